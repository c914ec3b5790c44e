"""Where the tests' PostgreSQL and Redis come from.

With ``DATABASE_URL`` set, the suite creates its own database on that server (named
``gridpoints_test_<pid>``, dropped at the end) so the database the URL names is never touched. With
``REDIS_URL`` set, it uses logical database 15 of that server and flushes it between tests.
Without them, it starts an embedded PostgreSQL and an embedded Redis in a temporary folder:
the zero-setup path, the same code the app uses.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from api import embedded

TEST_REDIS_DB = 15


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
