"""Mutations on the org tree, households and community settings."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error
from schema.mutations import perform
from schema.orgs.types import (
    CenterHousehold,
    CommunitySettings,
    ExpiryPolicy,
    Household,
    OrgUnit,
    UnitKind,
)
from schema.relay import decode_id, decode_optional_id
from services.authz import Actor
from services.orgs import center_households
from services.orgs import households as household_service
from services.orgs import service as org_service
from services.orgs import settings as settings_service
from services.orgs.center_households import CenterHouseholdView


@strawberry.input
class OrgUnitCreateInput:
    kind: UnitKind  # type: ignore[valid-type]
    name: str
    code: str = strawberry.field(description="Unique, e.g. `HQ-01-G03`.")
    parent_id: strawberry.ID | None = None


@strawberry.type
class OrgUnitCreatePayload:
    org_unit: OrgUnit | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class HouseholdCreateInput:
    grid_id: strawberry.ID
    address: str
    micro_grid_id: strawberry.ID | None = None


@strawberry.input
class HouseholdUpdateInput:
    id: strawberry.ID
    address: str | None = None
    micro_grid_id: strawberry.ID | None = None


@strawberry.type
class HouseholdPayload:
    household: Household | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class CenterHouseholdLinkInput:
    person_id: strawberry.ID = strawberry.field(description="A party member of the community.")
    household_ids: list[strawberry.ID]


@strawberry.type
class CenterHouseholdLinkPayload:
    center_household: CenterHousehold | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input(description="What to change; an omitted field stays as it is.")
class CommunitySettingsUpdateInput:
    community_id: strawberry.ID
    publicity_days: int | None = strawberry.field(default=None, description="1 to 30.")
    expiry_policy: ExpiryPolicy | None = None  # type: ignore[valid-type]
    expiry_months: int | None = strawberry.field(
        default=None,
        description="1 to 120; required for AFTER_MONTHS (unless already set), else refused.",
    )


@strawberry.type
class CommunitySettingsUpdatePayload:
    settings: CommunitySettings | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class OrgMutation:
    @strawberry.mutation(description="Add a community, grid or micro-grid (or department).")
    async def org_unit_create(
        self, info: Info[Context, None], input: OrgUnitCreateInput
    ) -> OrgUnitCreatePayload:
        unit, errors = await perform(
            info,
            lambda s, actor: org_service.create_unit(
                s,
                actor,
                kind=input.kind,
                name=input.name,
                code=input.code,
                parent_id=decode_optional_id(input.parent_id, "OrgUnit", field="parentId"),
            ),
        )
        return OrgUnitCreatePayload(
            org_unit=OrgUnit.from_model(unit) if unit else None, errors=list(errors)
        )

    @strawberry.mutation(description="Register a household at an address in a grid.")
    async def household_create(
        self, info: Info[Context, None], input: HouseholdCreateInput
    ) -> HouseholdPayload:
        household, errors = await perform(
            info,
            lambda s, actor: household_service.create_household(
                s,
                actor,
                grid_id=decode_id(input.grid_id, "OrgUnit", field="gridId"),
                address=input.address,
                micro_grid_id=decode_optional_id(
                    input.micro_grid_id, "OrgUnit", field="microGridId"
                ),
            ),
        )
        return HouseholdPayload(
            household=Household.from_model(household) if household else None, errors=list(errors)
        )

    @strawberry.mutation(description="Make a party member the center household of households.")
    async def center_household_link(
        self, info: Info[Context, None], input: CenterHouseholdLinkInput
    ) -> CenterHouseholdLinkPayload:
        async def work(session: AsyncSession, actor: Actor) -> CenterHouseholdView | None:
            center = await center_households.link(
                session,
                actor,
                person_id=decode_id(input.person_id, "Person", field="personId"),
                household_ids=[
                    decode_id(h, "Household", field="householdIds") for h in input.household_ids
                ],
            )
            views = await center_households.views_by_ids(session, [center.id])
            return views.get(center.id)

        view, errors = await perform(info, work)
        return CenterHouseholdLinkPayload(
            center_household=CenterHousehold.from_view(view) if view else None,
            errors=list(errors),
        )

    @strawberry.mutation(description="Change a household's address or micro-grid.")
    async def household_update(
        self, info: Info[Context, None], input: HouseholdUpdateInput
    ) -> HouseholdPayload:
        household, errors = await perform(
            info,
            lambda s, actor: household_service.update_household(
                s,
                actor,
                household_id=decode_id(input.id, "Household", field="id"),
                address=input.address,
                micro_grid_id=decode_optional_id(
                    input.micro_grid_id, "OrgUnit", field="microGridId"
                ),
            ),
        )
        return HouseholdPayload(
            household=Household.from_model(household) if household else None, errors=list(errors)
        )

    @strawberry.mutation(
        description="Change a community's publicity period or points expiry policy (its admins)."
    )
    async def community_settings_update(
        self, info: Info[Context, None], input: CommunitySettingsUpdateInput
    ) -> CommunitySettingsUpdatePayload:
        saved, errors = await perform(
            info,
            lambda s, actor: settings_service.update_settings(
                s,
                actor,
                community_id=decode_id(input.community_id, "OrgUnit", field="communityId"),
                publicity_days=input.publicity_days,
                expiry_policy=input.expiry_policy,
                expiry_months=input.expiry_months,
            ),
        )
        return CommunitySettingsUpdatePayload(
            settings=CommunitySettings.from_model(saved) if saved else None, errors=list(errors)
        )
