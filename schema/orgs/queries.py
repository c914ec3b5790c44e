"""Queries over the org tree, households and community settings."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.orgs.types import CommunitySettings, Household, OrgUnit, UnitKind
from schema.relay import Connection, connection, decode_id, decode_optional_id
from services.orgs import households as household_service
from services.orgs import service as org_service
from services.orgs import settings as settings_service
from services.pagination import DEFAULT_FIRST


@strawberry.type
class OrgQuery:
    @strawberry.field(description="Org units, by code; filter by kind or parent.")
    async def org_units(
        self,
        info: Info[Context, None],
        kind: UnitKind | None = None,  # type: ignore[valid-type]
        parent_id: strawberry.ID | None = None,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> Connection[OrgUnit]:
        await info.context.require_actor()
        parent = decode_optional_id(parent_id, "OrgUnit", field="parentId")
        page = await info.context.db(
            lambda s: org_service.list_units(
                s, kind=kind, parent_id=parent, first=first, after=after
            )
        )
        return connection(page, OrgUnit.from_model)

    @strawberry.field(description="Households you may see, by address; optionally inside a unit.")
    async def households(
        self,
        info: Info[Context, None],
        unit_id: strawberry.ID | None = None,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> Connection[Household]:
        actor = await info.context.require_actor()
        unit = decode_optional_id(unit_id, "OrgUnit", field="unitId")
        page = await info.context.db(
            lambda s: household_service.list_households(
                s, actor, unit_id=unit, first=first, after=after
            )
        )
        return connection(page, Household.from_model)

    @strawberry.field(description="A community's settings (public to everyone signed in).")
    async def community_settings(
        self, info: Info[Context, None], community_id: strawberry.ID
    ) -> CommunitySettings:
        await info.context.require_actor()
        community = decode_id(community_id, "OrgUnit", field="communityId")
        found = await info.context.db(
            lambda s: settings_service.get_settings(s, community_id=community)
        )
        return CommunitySettings.from_model(found)
