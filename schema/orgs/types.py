"""GraphQL types of the org tree: ``OrgUnit`` and ``Household``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.relay import Connection, Node, connection, to_global_id
from services.orgs import center_households, models
from services.orgs import households as household_service
from services.orgs import service as org_service
from services.pagination import DEFAULT_FIRST

if TYPE_CHECKING:
    from schema.people.types import Person

UnitKind = strawberry.enum(models.UnitKind, name="UnitKind")
ExpiryPolicy = strawberry.enum(
    models.ExpiryPolicy,
    name="ExpiryPolicy",
    description="When points lapse: NEVER, YEAR_END (年底清零: what was booked before 1 January), "
    "AFTER_MONTHS (expiryMonths months after booking).",
)


async def load_unit(info: Info[Context, None], unit_id: uuid.UUID | None) -> OrgUnit | None:
    """The unit by id through the request's loader (org units are public)."""
    if unit_id is None:
        return None
    unit = await (await info.context.loaders()).unit.load(unit_id)
    return OrgUnit.from_model(unit) if unit else None


@strawberry.type(description="A street, community, grid, micro-grid or department.")
class OrgUnit(Node):
    local_id: strawberry.Private[uuid.UUID]
    parent_local_id: strawberry.Private[uuid.UUID | None]
    community_local_id: strawberry.Private[uuid.UUID | None]
    kind: UnitKind  # type: ignore[valid-type]
    name: str
    code: str
    created_at: datetime

    @classmethod
    def from_model(cls, unit: models.OrgUnit) -> OrgUnit:
        return cls(
            id=to_global_id("OrgUnit", unit.id),
            local_id=unit.id,
            parent_local_id=unit.parent_id,
            community_local_id=unit.community_id,
            kind=unit.kind,
            name=unit.name,
            code=unit.code,
            created_at=unit.created_at,
        )

    @strawberry.field
    async def parent(self, info: Info[Context, None]) -> OrgUnit | None:
        return await load_unit(info, self.parent_local_id)

    @strawberry.field(description="The community this unit belongs to (itself for a community).")
    async def community(self, info: Info[Context, None]) -> OrgUnit | None:
        return await load_unit(info, self.community_local_id)

    @strawberry.field(description="Units directly under this one, by code.")
    async def children(
        self, info: Info[Context, None], first: int = DEFAULT_FIRST, after: str | None = None
    ) -> Connection[OrgUnit]:
        await info.context.require_actor()
        page = await info.context.db(
            lambda s: org_service.list_units(s, parent_id=self.local_id, first=first, after=after)
        )
        return connection(page, OrgUnit.from_model)

    @strawberry.field(description="Households inside this unit that you may see, by address.")
    async def households(
        self, info: Info[Context, None], first: int = DEFAULT_FIRST, after: str | None = None
    ) -> Connection[Household]:
        actor = await info.context.require_actor()
        page = await info.context.db(
            lambda s: household_service.list_households(
                s, actor, unit_id=self.local_id, first=first, after=after
            )
        )
        return connection(page, Household.from_model)


@strawberry.type(
    description="党员中心户: the party member who looks after this household and ~15 nearby ones."
)
class CenterHousehold:
    id: strawberry.ID
    name: str
    phone: str
    party_branch: str | None

    @classmethod
    def from_view(cls, view: center_households.CenterHouseholdView) -> CenterHousehold:
        return cls(
            id=to_global_id("CenterHousehold", view.id),
            name=view.name,
            phone=view.phone,
            party_branch=view.party_branch,
        )


@strawberry.type(description="A household (户) at an address inside a grid.")
class Household(Node):
    local_id: strawberry.Private[uuid.UUID]
    grid_local_id: strawberry.Private[uuid.UUID]
    micro_grid_local_id: strawberry.Private[uuid.UUID | None]
    community_local_id: strawberry.Private[uuid.UUID]
    center_household_local_id: strawberry.Private[uuid.UUID | None]
    address: str
    created_at: datetime

    @classmethod
    def from_model(cls, household: models.Household) -> Household:
        return cls(
            id=to_global_id("Household", household.id),
            local_id=household.id,
            grid_local_id=household.grid_id,
            micro_grid_local_id=household.micro_grid_id,
            community_local_id=household.community_id,
            center_household_local_id=household.center_household_id,
            address=household.address,
            created_at=household.created_at,
        )

    @strawberry.field
    async def grid(self, info: Info[Context, None]) -> OrgUnit:
        unit = await load_unit(info, self.grid_local_id)
        assert unit is not None
        return unit

    @strawberry.field
    async def micro_grid(self, info: Info[Context, None]) -> OrgUnit | None:
        return await load_unit(info, self.micro_grid_local_id)

    @strawberry.field
    async def community(self, info: Info[Context, None]) -> OrgUnit:
        unit = await load_unit(info, self.community_local_id)
        assert unit is not None
        return unit

    @strawberry.field(description="The party member who looks after this household, if any.")
    async def center_household(self, info: Info[Context, None]) -> CenterHousehold | None:
        if self.center_household_local_id is None:
            return None
        loaders = await info.context.loaders()
        view = await loaders.center_household.load(self.center_household_local_id)
        return CenterHousehold.from_view(view) if view else None

    @strawberry.field(description="The people living here.")
    async def members(
        self, info: Info[Context, None]
    ) -> list[Annotated[Person, strawberry.lazy("schema.people.types")]]:
        from schema.people.types import Person

        people = await (await info.context.loaders()).members.load(self.local_id)
        return [Person.from_model(person) for person in people]


@strawberry.type(description="社区设置: a community's publicity period and points expiry policy.")
class CommunitySettings:
    community_local_id: strawberry.Private[uuid.UUID]
    publicity_days: int = strawberry.field(description="How long grants are publicized (公示).")
    expiry_policy: ExpiryPolicy  # type: ignore[valid-type]
    expiry_months: int | None = strawberry.field(description="With AFTER_MONTHS: 1 to 120.")
    expiry_applied_on: date | None = strawberry.field(
        description="The day (Asia/Shanghai) the policy was last applied; null since it changed."
    )

    @classmethod
    def from_model(cls, settings: models.CommunitySettings) -> CommunitySettings:
        return cls(
            community_local_id=settings.community_id,
            publicity_days=settings.publicity_days,
            expiry_policy=settings.expiry_policy,
            expiry_months=settings.expiry_months,
            expiry_applied_on=settings.expiry_applied_on,
        )

    @strawberry.field
    async def community(self, info: Info[Context, None]) -> OrgUnit:
        unit = await load_unit(info, self.community_local_id)
        assert unit is not None
        return unit
