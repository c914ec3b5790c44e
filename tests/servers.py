"""Where the tests' PostgreSQL and Redis come from.

With ``DATABASE_URL`` set, the suite creates its own database on that server (named
``gridpoints_test_<pid>``, dropped at the end) so the database the URL names is never touched. With
``REDIS_URL`` set, it uses logical database 15 (or ``GRIDPOINTS_TEST_REDIS_DB``) of that
server and flushes it between tests.
Without them, it starts an embedded PostgreSQL and an embedded Redis in a temporary folder:
the zero-setup path, the same code the app uses.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from api import embedded

TEST_REDIS_DB = int(os.environ.get("GRIDPOINTS_TEST_REDIS_DB", "15"))  # parallel runs: one each


def redis_url(data_dir: Path) -> str:
    configured = os.environ.get("REDIS_URL")
    if not configured:
        return embedded.start_redis(data_dir)
    url = make_url(configured.replace("redis://", "postgresql://", 1))
    return f"redis://{url.host or '127.0.0.1'}:{url.port or 6379}/{TEST_REDIS_DB}"


def server_url(data_dir: Path) -> str:
    """An asyncpg URL of the server (its maintenance database ``postgres``)."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return (
            make_url(embedded.normalize_database_url(configured))
            .set(database="postgres")
            .render_as_string(hide_password=False)
        )
    return embedded.start_postgres(data_dir, database="postgres")


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def create_database(server: str, name: str) -> str:
    engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return with_database(server, name)


async def drop_database(server: str, name: str) -> None:
    engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def running_server(
    database_url: str, redis_url: str, *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[tuple[str, list[str]]]:
    """``gridpoints serve`` in a subprocess, ready (``/readyz`` 200); yields its base URL and,
    after it stops, the lines it printed (filled on exit)."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        "serve",
        "--port",
        str(port),
        *args,
        env={
            **os.environ,
            # no job worker unless a test asks: its polling holds locks that the next test's
            # TRUNCATE of the shared database deadlocked with
            "GRIDPOINTS_JOBS_CONCURRENCY": "0",
            **(env or {}),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    output: list[str] = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            for _ in range(240):
                if process.returncode is not None:
                    raise AssertionError("the server exited early")
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.25)
            else:
                raise AssertionError("the server never became ready")
        yield base, output
    finally:
        if process.returncode is None:
            process.terminate()
        printed = (await asyncio.wait_for(process.communicate(), 30))[0].decode()
        output.extend(printed.splitlines())
