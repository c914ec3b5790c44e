"""The benchmark's world: its database, the seeded city, who acts (tokens) and on what.

Ids in the city are deterministic (:mod:`api.seed_city_rows`), so the actors and items are
computed, not queried. Sessions are minted straight into Redis with the app's own
:func:`services.auth.sessions.create` (sign-in is Argon2 by design: 500 sign-ins would measure
the password hash, not the scenario).
"""

from __future__ import annotations

import random
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
from redis.asyncio import Redis

from api import seed_city_rows as city
from schema.relay import to_global_id
from services import clock
from services.auth import sessions

STORM_PLACES = 20


@dataclass
class Actor:
    person_id: uuid.UUID
    community: int
    token: str = ""


@dataclass
class Storm:
    """A published order with 20 places and its claimants, all residents of community 0."""

    order_id: uuid.UUID
    order: str
    claimants: list[Actor]


@dataclass
class World:
    database_url: str
    redis_url: str
    size: city.CitySize
    residents: list[Actor] = field(default_factory=list)
    admins: list[Actor] = field(default_factory=list)
    workers: list[Actor] = field(default_factory=list)
    storms: list[Storm] = field(default_factory=list)

    def goods(self, community: int, n: int) -> str:
        return to_global_id("Goods", city.goods_id(community, n))

    def community(self, community: int) -> str:
        return to_global_id("OrgUnit", city.community_id(community))

    def grid(self, grid: int) -> str:
        return to_global_id("OrgUnit", city.grid_id(grid))


def create_database(server_url: str, name: str, *, fresh: bool) -> str:
    """``server_url`` names any database of the server; returns the URL of ``name``."""
    base, _, _ = server_url.rpartition("/")
    if fresh:
        subprocess.run(
            ["psql", server_url, "-qc", f"DROP DATABASE IF EXISTS {name}"],
            check=True,
            capture_output=True,
        )
    exists = subprocess.run(
        ["psql", server_url, "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(
            ["psql", server_url, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True
        )
    return f"{base}/{name}"


async def has_city(database_url: str) -> bool:
    connection = await asyncpg.connect(database_url)
    try:
        found = await connection.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'org_unit')"
        )
        if not found:
            return False
        return bool(
            await connection.fetchval("SELECT 1 FROM org_unit WHERE code = $1", city.city_code(0))
        )
    finally:
        await connection.close()


async def prewarm(database_url: str) -> int | None:
    """Read every table and index into the OS cache (``pg_prewarm``), so that a run measures a
    warm server as in production, not the disk after a reseed: a cold city made the key
    queries 2-4x slower. None when the extension is not there (contrib is optional)."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        blocks = await connection.fetchval(
            """SELECT sum(pg_prewarm(c.oid, 'read')) FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"""
        )
        return int(blocks or 0)
    except asyncpg.PostgresError:
        return None
    finally:
        await connection.close()


def seed(database_url: str, redis_url: str, size: city.CitySize) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "seed",
            "city",
            f"--grids={size.grids}",
            f"--residents={size.residents}",
            f"--entries={size.entries}",
        ],
        check=True,
        env=_env(database_url, redis_url),
    )


def _env(database_url: str, redis_url: str) -> dict[str, str]:
    import os

    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}


def community_of_resident(size: city.CitySize, resident: int) -> int:
    return ((resident // 2) % size.grids) // city.GRIDS_PER_COMMUNITY


async def build(
    database_url: str,
    redis_url: str,
    size: city.CitySize,
    *,
    actors: int,
    claimants: int,
) -> World:
    """Tokens for ``actors`` random residents, every community admin and grid worker (up to
    ``actors``), and a fresh claim-storm order with ``claimants`` new residents."""
    world = World(database_url, redis_url, size)
    rng = random.Random(7)
    redis = Redis.from_url(redis_url, decode_responses=True)
    ttl = 24 * 3600
    try:
        for resident in rng.sample(range(size.residents), min(actors, size.residents)):
            person = Actor(city.resident_id(resident), community_of_resident(size, resident))
            person.token = await sessions.create(redis, person.person_id, ttl=ttl)
            world.residents.append(person)
        for community in range(min(size.communities, actors)):
            admin = Actor(city.staff_id(2, community), community)
            admin.token = await sessions.create(redis, admin.person_id, ttl=ttl)
            world.admins.append(admin)
        for grid in range(min(size.grids, actors)):
            worker = Actor(city.staff_id(4, grid), grid // city.GRIDS_PER_COMMUNITY)
            worker.token = await sessions.create(redis, worker.person_id, ttl=ttl)
            world.workers.append(worker)
        for people in (claimants, claimants, 1):  # all at once, paced, one to count statements
            world.storms.append(await _storm(world, redis, people, ttl))
    finally:
        await redis.aclose()
    return world


async def _storm(world: World, redis: Redis, claimants: int, ttl: int) -> Storm:
    """A published order of community 0 with 20 places, and ``claimants`` residents of it."""
    run = uuid.uuid4()
    order_id = uuid.uuid4()
    community = city.community_id(0)
    household = uuid.UUID(int=(city.T_HOUSEHOLD << 96) | 0)
    now = clock.now()
    connection = await asyncpg.connect(world.database_url)
    try:
        async with connection.transaction():
            await connection.execute(
                """INSERT INTO volunteer_order (id, community_id, scope, title, content, category,
                   location, starts_at, ends_at, claim_deadline, places, points, point_kind,
                   state, publisher_id, published_at)
                   VALUES ($1, $2, 'community', '抢单压测', '500 人抢 20 个名额', '压测', '广场',
                   $3, $4, $5, $6, 10, 'work', 'published', $7, $8)""",
                order_id,
                community,
                now + timedelta(days=2),
                now + timedelta(days=2, hours=2),
                now + timedelta(days=1),
                STORM_PLACES,
                city.staff_id(2, 0),
                now,
            )
            people = [uuid.uuid4() for _ in range(claimants)]
            await connection.copy_records_to_table(
                "person",
                records=[
                    (pid, f"抢单{n}", f"14{run.int % 10**5:05d}{n:04d}", community, household)
                    for n, pid in enumerate(people)
                ],
                columns=["id", "name", "phone", "community_id", "household_id"],
            )
            await connection.copy_records_to_table(
                "role_assignment",
                records=[(uuid.uuid4(), pid, "resident", community) for pid in people],
                columns=["id", "person_id", "role", "unit_id"],
            )
    finally:
        await connection.close()
    storm = Storm(order_id, to_global_id("VolunteerOrder", order_id), [])
    for pid in people:
        actor = Actor(pid, 0)
        actor.token = await sessions.create(redis, pid, ttl=ttl)
        storm.claimants.append(actor)
    return storm


async def storm_outcome(world: World, storm: Storm) -> dict[str, int]:
    connection = await asyncpg.connect(world.database_url)
    try:
        rows = await connection.fetch(
            "SELECT state::text, count(*) FROM order_claim WHERE order_id = $1 GROUP BY state",
            storm.order_id,
        )
        taken = await connection.fetchval(
            "SELECT places_taken FROM volunteer_order WHERE id = $1", storm.order_id
        )
    finally:
        await connection.close()
    outcome = {row[0]: int(row[1]) for row in rows}
    outcome["places_taken"] = int(taken)
    return outcome


async def open_meeting(world: World, community: int) -> str:
    connection = await asyncpg.connect(world.database_url)
    try:
        found = await connection.fetchval(
            "SELECT id FROM joint_meeting WHERE community_id = $1 AND state = 'open' LIMIT 1",
            city.community_id(community),
        )
    finally:
        await connection.close()
    return to_global_id("JointMeeting", found)
