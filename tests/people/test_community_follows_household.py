"""The database holds a person's community equal to their household's (issue 13 item 4).

Whatever a service does, a person with a household cannot be in another community; and the
migration that adds the rule first gives misplaced people (moved by the old 报到) their home back.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from api import migrate
from services.people.models import Person
from tests import servers
from tests.support import World


@pytest.mark.parametrize("community", ["C2", None])
async def test_a_person_with_a_household_stays_in_its_community(
    session: AsyncSession, world: World, community: str | None
) -> None:
    moved = world.units[community] if community else None
    with pytest.raises(IntegrityError):
        await session.execute(
            update(Person).where(Person.id == world.people["resident_b"]).values(community_id=moved)
        )
    await session.rollback()


async def test_the_migration_gives_misplaced_people_their_home_back(server_url: str) -> None:
    name = f"gridpoints_home_{os.getpid()}"
    url = await servers.create_database(server_url, name)
    engine = create_async_engine(url)
    try:
        await asyncio.to_thread(migrate.upgrade, url, "0013")
        ids = {key: uuid.uuid4() for key in ("c1", "c2", "grid", "home", "moved", "stayed")}
        async with engine.begin() as connection:
            for key in ("c1", "c2"):
                await connection.execute(
                    text(
                        "INSERT INTO org_unit (id, kind, name, code, parent_id, community_id, path)"
                        " VALUES (CAST(:id AS uuid), 'community', :key, :key, NULL, CAST(:id AS uuid), ARRAY[CAST(:id AS uuid)])"
                    ),
                    {"id": ids[key], "key": key},
                )
            await connection.execute(
                text(
                    "INSERT INTO org_unit (id, kind, name, code, parent_id, community_id, path)"
                    " VALUES (CAST(:id AS uuid), 'grid', 'g', 'g', CAST(:c1 AS uuid), CAST(:c1 AS uuid), ARRAY[CAST(:c1 AS uuid), CAST(:id AS uuid)])"
                ),
                {"id": ids["grid"], "c1": ids["c1"]},
            )
            await connection.execute(
                text(
                    "INSERT INTO household (id, community_id, grid_id, address)"
                    " VALUES (:id, :c1, :grid, '1号')"
                ),
                {"id": ids["home"], "c1": ids["c1"], "grid": ids["grid"]},
            )
            for key, community, phone in (
                ("moved", "c2", "13900000001"),
                ("stayed", "c1", "13900000002"),
            ):
                await connection.execute(
                    text(
                        "INSERT INTO person (id, name, phone, community_id, household_id,"
                        " is_party_member, party_registered_at)"
                        " VALUES (:id, :key, :phone, :community, :home, true, now())"
                    ),
                    {
                        "id": ids[key],
                        "key": key,
                        "phone": phone,
                        "community": ids[community],
                        "home": ids["home"],
                    },
                )
                await connection.execute(
                    text(
                        "INSERT INTO role_assignment (id, person_id, role, unit_id)"
                        " VALUES (gen_random_uuid(), :id, 'party_member', :community)"
                    ),
                    {"id": ids[key], "community": ids[community]},
                )
        await asyncio.to_thread(migrate.upgrade, url)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT p.name, p.community_id, r.unit_id FROM person p"
                        " JOIN role_assignment r ON r.person_id = p.id ORDER BY p.name"
                    )
                )
            ).all()
        assert [tuple(row) for row in rows] == [
            ("moved", ids["c1"], ids["c1"]),
            ("stayed", ids["c1"], ids["c1"]),
        ]
    finally:
        await engine.dispose()
        await servers.drop_database(server_url, name)
