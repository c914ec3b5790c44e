"""Queries over people: ``me`` and the scoped directory."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.people.types import Person, Role
from schema.relay import Connection, connection, decode_optional_id
from services.pagination import DEFAULT_FIRST
from services.people import service as people_service


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="The signed-in person; null when not signed in.")
    async def me(self, info: Info[Context, None]) -> Person | None:
        actor = await info.context.actor()
        if actor is None:
            return None
        person = await (await info.context.loaders()).person.load(actor.person_id)
        return Person.from_model(person) if person else None

    @strawberry.field(description="People you may see, by name; filter by unit or role.")
    async def people(
        self,
        info: Info[Context, None],
        unit_id: strawberry.ID | None = None,
        role: Role | None = None,  # type: ignore[valid-type]
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> Connection[Person]:
        actor = await info.context.require_actor()
        unit = decode_optional_id(unit_id, "OrgUnit", field="unitId")
        page = await info.context.db(
            lambda s: people_service.list_people(
                s, actor, unit_id=unit, role=role, first=first, after=after
            )
        )
        return connection(page, Person.from_model)
