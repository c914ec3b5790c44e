"""Test helpers: a GraphQL client and a small world of org units and people built through services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import OPERATOR
from schema.relay import to_global_id
from services.auth import sessions
from services.auth.passwords import hash_password
from services.orgs import households as household_service
from services.orgs import service as org_service
from services.orgs.models import UnitKind
from services.people import service as people_service
from services.people.models import Person, Role, SeatType

PASSWORD = "Passw0rd-test"


@dataclass
class Response:
    status: int
    body: dict[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        assert "errors" not in self.body, self.body
        data = self.body["data"]
        assert isinstance(data, dict)
        return data

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])

    @property
    def error_codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code", "") for e in self.errors]


class Api:
    """Speaks GraphQL over HTTP to the app, with an optional token and language."""

    def __init__(self, client: httpx.AsyncClient, redis: Redis | None = None) -> None:
        self.client = client
        self.redis = redis

    async def login(self, person_id: uuid.UUID) -> str:
        """A session token made the way sign-in makes one, without the sign-in rate limit
        (for tests that need dozens of signed-in people)."""
        assert self.redis is not None
        return await sessions.create(self.redis, person_id, ttl=3600)

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        language: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if language:
            sent["Accept-Language"] = language
        reply = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
        )
        return Response(reply.status_code, reply.json())

    async def sign_in(self, phone: str, password: str = PASSWORD) -> str:
        reply = await self(
            "mutation($i: SignInInput!) { signIn(input: $i) { token errors { code } } }",
            {"i": {"phone": phone, "password": password}},
        )
        payload = reply.data["signIn"]
        assert payload["errors"] == [], payload
        token = payload["token"]
        assert isinstance(token, str)
        return token


def gid(type_name: str, local_id: uuid.UUID) -> str:
    return str(to_global_id(type_name, local_id))


@dataclass
class World:
    """Street S; communities C1 (grids A, B) and C2 (grid D); department DEP; one person per role."""

    units: dict[str, uuid.UUID] = field(default_factory=dict)
    households: dict[str, uuid.UUID] = field(default_factory=dict)
    people: dict[str, uuid.UUID] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)


async def build_world(session: AsyncSession) -> World:
    world = World()
    for key, kind, parent in (
        ("S", UnitKind.STREET, None),
        ("C1", UnitKind.COMMUNITY, "S"),
        ("C2", UnitKind.COMMUNITY, "S"),
        ("A", UnitKind.GRID, "C1"),
        ("B", UnitKind.GRID, "C1"),
        ("D", UnitKind.GRID, "C2"),
        ("A1", UnitKind.MICRO_GRID, "A"),
        ("DEP", UnitKind.DEPARTMENT, "S"),
    ):
        unit = await org_service.create_unit(
            session,
            OPERATOR,
            kind=kind,
            name=f"单元{key}",
            code=f"T-{key}",
            parent_id=world.units[parent] if parent else None,
        )
        world.units[key] = unit.id
    for key, grid in (("hA1", "A"), ("hA2", "A"), ("hB1", "B"), ("hD1", "D")):
        household = await household_service.create_household(
            session, OPERATOR, grid_id=world.units[grid], address=f"{key}号楼101室"
        )
        world.households[key] = household.id
    people: list[tuple[str, str | None, str | None, list[tuple[Role, str | None]]]] = [
        ("admin", None, "C1", [(Role.SYSTEM_ADMIN, None)]),
        ("street_admin", None, "C1", [(Role.STREET_ADMIN, "S")]),
        ("community_admin", None, "C1", [(Role.COMMUNITY_ADMIN, "C1")]),
        ("community_admin2", None, "C2", [(Role.COMMUNITY_ADMIN, "C2")]),
        ("worker_a", None, "C1", [(Role.GRID_WORKER, "A")]),
        ("worker_b", None, "C1", [(Role.GRID_WORKER, "B")]),
        ("worker_d", None, "C2", [(Role.GRID_WORKER, "D")]),
        ("resident_a", "hA1", None, []),
        ("resident_a2", "hA2", None, []),
        ("resident_b", "hB1", None, []),
        ("department", None, "C1", [(Role.DEPARTMENT_STAFF, "DEP")]),
        ("member", None, "C1", [(Role.MEETING_MEMBER, "C1")]),
    ]
    for number, (key, household, community, roles) in enumerate(people, start=1):
        phone = f"1370000{number:04d}"
        person = await people_service.create_person(
            session,
            OPERATOR,
            name=f"测试{key}",
            phone=phone,
            household_id=world.households[household] if household else None,
            community_id=world.units[community] if community else None,
        )
        person.password_hash = hash_password(PASSWORD)
        for role, unit in roles:
            await people_service.assign_role(
                session,
                OPERATOR,
                person_id=person.id,
                role=role,
                unit_id=world.units[unit] if unit else None,
                seat_type=SeatType.RESIDENT_REP if role is Role.MEETING_MEMBER else None,
            )
        world.people[key] = person.id
        world.phones[key] = phone
    await session.flush()
    return world


async def person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    found = await session.get(Person, person_id)
    assert found is not None
    return found


async def add_residents(
    session: AsyncSession, world: World, *, count: int, household: str = "hA1", prefix: str = "1331"
) -> list[str]:
    """``count`` residents in their own new households next to ``household``; their phones."""
    from services.orgs.models import Household

    base = await session.get(Household, world.households[household])
    assert base is not None
    phones: list[str] = []
    password_hash = hash_password(PASSWORD)
    for n in range(count):
        home = await household_service.create_household(
            session, OPERATOR, grid_id=base.grid_id, address=f"{prefix}-{n}号"
        )
        phone = f"{prefix}{n:07d}"
        person = await people_service.create_person(
            session, OPERATOR, name=f"居民{prefix}{n:02d}", phone=phone, household_id=home.id
        )
        person.password_hash = password_hash
        world.people[phone] = person.id
        world.phones[phone] = phone
        phones.append(phone)
    await session.flush()
    return phones
