"""Mutations on the org tree and households."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error
from schema.mutations import perform
from schema.orgs.types import Household, OrgUnit, UnitKind
from schema.relay import decode_id
from services.orgs import households as household_service
from services.orgs import service as org_service


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
                parent_id=decode_id(input.parent_id, "OrgUnit", field="parentId")
                if input.parent_id
                else None,
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
                micro_grid_id=decode_id(input.micro_grid_id, "OrgUnit", field="microGridId")
                if input.micro_grid_id
                else None,
            ),
        )
        return HouseholdPayload(
            household=Household.from_model(household) if household else None, errors=list(errors)
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
                micro_grid_id=decode_id(input.micro_grid_id, "OrgUnit", field="microGridId")
                if input.micro_grid_id
                else None,
            ),
        )
        return HouseholdPayload(
            household=Household.from_model(household) if household else None, errors=list(errors)
        )
