"""GraphQL types of people: ``Person`` and ``RoleAssignment``."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.auth.types import WechatBinding
from schema.context import Context
from schema.orgs.types import Household, OrgUnit, load_unit
from schema.relay import Node, to_global_id
from services.auth import wechat
from services.people import models

Role = strawberry.enum(models.Role, name="Role")
SeatType = strawberry.enum(models.SeatType, name="SeatType", description="联席会议席位")


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 李四 → 李*: how public boards show people."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@strawberry.type(description="A role held over an org unit; it reaches the unit's subtree.")
class RoleAssignment(Node):
    unit_local_id: strawberry.Private[uuid.UUID | None]
    role: Role  # type: ignore[valid-type]
    seat_type: SeatType | None  # type: ignore[valid-type]
    created_at: datetime

    @classmethod
    def from_model(cls, assignment: models.RoleAssignment) -> RoleAssignment:
        return cls(
            id=to_global_id("RoleAssignment", assignment.id),
            unit_local_id=assignment.unit_id,
            role=assignment.role,
            seat_type=assignment.seat_type,
            created_at=assignment.created_at,
        )

    @strawberry.field(description="The unit the role is held over; null for a system admin.")
    async def unit(self, info: Info[Context, None]) -> OrgUnit | None:
        return await load_unit(info, self.unit_local_id)


@strawberry.type(
    description="Someone who signs in: a resident, party member, grid worker or staff."
)
class Person(Node):
    local_id: strawberry.Private[uuid.UUID]
    household_local_id: strawberry.Private[uuid.UUID | None]
    community_local_id: strawberry.Private[uuid.UUID | None]
    name: str
    phone: str
    is_party_member: bool
    party_branch: str | None
    party_registered_at: datetime | None = strawberry.field(
        description="When the party member registered (报到) with their residential community."
    )
    created_at: datetime

    @classmethod
    def from_model(cls, person: models.Person) -> Person:
        return cls(
            id=to_global_id("Person", person.id),
            local_id=person.id,
            household_local_id=person.household_id,
            community_local_id=person.community_id,
            name=person.name,
            phone=person.phone,
            is_party_member=person.is_party_member,
            party_branch=person.party_branch,
            party_registered_at=person.party_registered_at,
            created_at=person.created_at,
        )

    @strawberry.field(
        description="How you sign in with WeChat (one binding per source); null for anyone else."
    )
    async def wechat_bindings(self, info: Info[Context, None]) -> list[WechatBinding] | None:
        actor = await info.context.actor()
        if actor is None or actor.person_id != self.local_id:
            return None
        found = await info.context.db(lambda s: wechat.bindings(s, self.local_id))
        return [WechatBinding.from_model(identity) for identity in found]

    @strawberry.field(description="The name as public boards show it: 张*丰.")
    def masked_name(self) -> str:
        return mask_name(self.name)

    @strawberry.field(description="Their household, when you may see it.")
    async def household(self, info: Info[Context, None]) -> Household | None:
        if self.household_local_id is None:
            return None
        household = await (await info.context.loaders()).household.load(self.household_local_id)
        return Household.from_model(household) if household else None

    @strawberry.field(description="Home community.")
    async def community(self, info: Info[Context, None]) -> OrgUnit | None:
        return await load_unit(info, self.community_local_id)

    @strawberry.field
    async def roles(self, info: Info[Context, None]) -> list[RoleAssignment]:
        assignments = await (await info.context.loaders()).roles.load(self.local_id)
        return [RoleAssignment.from_model(a) for a in assignments]
