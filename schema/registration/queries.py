"""Queries: the registration form's lists (no sign-in) and the staff's queue."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.registration.types import RegistrationApplication, RegistrationStatus, RegistrationUnit
from schema.relay import Connection, connection, decode_optional_id
from services.pagination import DEFAULT_FIRST
from services.registration import models
from services.registration import queries as registration_queries


@strawberry.type
class RegistrationQuery:
    @strawberry.field(
        description="For the registration form, no sign-in needed: the communities by code, or "
        "with `communityId` that community's grids. Ids and names only."
    )
    async def registration_units(
        self, info: Info[Context, None], community_id: strawberry.ID | None = None
    ) -> list[RegistrationUnit]:
        community = decode_optional_id(community_id, "OrgUnit", field="communityId")
        units = await info.context.db(
            lambda s: registration_queries.registration_units(s, community_id=community)
        )
        return [RegistrationUnit.from_model(unit) for unit in units]

    @strawberry.field(
        description="Registration applications of the grids you decide for (grid worker, "
        "community admin), oldest first; `status` PENDING by default, null for every status."
    )
    async def registration_applications(
        self,
        info: Info[Context, None],
        status: RegistrationStatus | None = models.ApplicationStatus.PENDING,  # type: ignore[valid-type]
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> Connection[RegistrationApplication]:
        actor = await info.context.require_actor()
        page = await info.context.db(
            lambda s: registration_queries.list_applications(
                s, actor, status=status, first=first, after=after
            )
        )
        return connection(page, RegistrationApplication.from_model)
