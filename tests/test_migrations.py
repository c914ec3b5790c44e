"""Models and migrations agree, and the migrations run down and up again cleanly."""

from __future__ import annotations

import asyncio
import os

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from api import migrate
from services.models import metadata
from tests import servers


def _ours(name: str | None, type_: str, parent_names: object) -> bool:
    """procrastinate's tables are its own schema's (migrations/versions/0015_notices.py)."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": _ours}
    )
    return list(compare_metadata(context, metadata))


async def test_models_match_migrations(database_url: str) -> None:
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    await engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


async def test_downgrade_to_base_and_upgrade_again(server_url: str) -> None:
    name = f"gridpoints_migrate_{os.getpid()}"
    url = await servers.create_database(server_url, name)
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        await asyncio.to_thread(migrate.downgrade, url, "base")
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            left = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        await engine.dispose()
        assert left == 0
        await asyncio.to_thread(migrate.upgrade, url)
    finally:
        await servers.drop_database(server_url, name)
