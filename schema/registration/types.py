"""GraphQL types of self-registration: the form's units and the application staff decide."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.orgs.types import Household, OrgUnit, load_unit
from schema.people.types import Person
from schema.relay import Node, to_global_id
from services.orgs.models import OrgUnit as OrgUnitModel
from services.registration import models

HouseholdRelation = strawberry.enum(
    models.HouseholdRelation,
    name="HouseholdRelation",
    description="How an applicant relates to the household (与户主关系): HEAD 户主, SPOUSE 配偶, "
    "CHILD 子女, PARENT 父母, SIBLING 兄弟姐妹, TENANT 租户, OTHER 其他.",
)
RegistrationStatus = strawberry.enum(
    models.ApplicationStatus,
    name="RegistrationStatus",
    description="PENDING until the grid's staff decide: APPROVED (the person exists) or REJECTED.",
)


@strawberry.type(description="A community or grid the registration form offers: id and name only.")
class RegistrationUnit:
    id: strawberry.ID = strawberry.field(description="The org unit's global ID.")
    name: str

    @classmethod
    def from_model(cls, unit: OrgUnitModel) -> RegistrationUnit:
        return cls(id=to_global_id("OrgUnit", unit.id), name=unit.name)


@strawberry.type(description="A newcomer's application to be registered in a grid.")
class RegistrationApplication(Node):
    community_local_id: strawberry.Private[uuid.UUID]
    grid_local_id: strawberry.Private[uuid.UUID]
    person_local_id: strawberry.Private[uuid.UUID | None]
    household_local_id: strawberry.Private[uuid.UUID | None]
    name: str
    phone: str
    address: str
    relation: HouseholdRelation  # type: ignore[valid-type]
    is_party_member: bool
    party_branch: str | None
    status: RegistrationStatus  # type: ignore[valid-type]
    submitted_at: datetime = strawberry.field(description="When it was (last) sent.")
    decided_at: datetime | None
    reason: str | None = strawberry.field(description="Why it was rejected (or a note).")

    @classmethod
    def from_model(cls, application: models.RegistrationApplication) -> RegistrationApplication:
        return cls(
            id=to_global_id("RegistrationApplication", application.id),
            community_local_id=application.community_id,
            grid_local_id=application.grid_id,
            person_local_id=application.person_id,
            household_local_id=application.household_id,
            name=application.name,
            phone=application.phone,
            address=application.address,
            relation=application.relation,
            is_party_member=application.is_party_member,
            party_branch=application.party_branch,
            status=application.status,
            submitted_at=application.submitted_at,
            decided_at=application.decided_at,
            reason=application.reason,
        )

    @strawberry.field
    async def community(self, info: Info[Context, None]) -> OrgUnit | None:
        return await load_unit(info, self.community_local_id)

    @strawberry.field
    async def grid(self, info: Info[Context, None]) -> OrgUnit | None:
        return await load_unit(info, self.grid_local_id)

    @strawberry.field(description="The person approval registered.")
    async def person(self, info: Info[Context, None]) -> Person | None:
        if self.person_local_id is None:
            return None
        found = await (await info.context.loaders()).person.load(self.person_local_id)
        return Person.from_model(found) if found else None

    @strawberry.field(description="The household the approved person was registered in.")
    async def household(self, info: Info[Context, None]) -> Household | None:
        if self.household_local_id is None:
            return None
        found = await (await info.context.loaders()).household.load(self.household_local_id)
        return Household.from_model(found) if found else None
