"""Mutations on people and their roles."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error
from schema.mutations import perform
from schema.people.types import Person, Role, RoleAssignment, SeatType
from schema.relay import decode_id, decode_optional_id
from services.authz import Actor
from services.people import service as people_service


@strawberry.input
class PersonCreateInput:
    name: str
    phone: str
    household_id: strawberry.ID | None = strawberry.field(
        default=None, description="The household they live in (or give `communityId`)."
    )
    community_id: strawberry.ID | None = None
    is_party_member: bool = False
    party_branch: str | None = None


@strawberry.type
class PersonPayload:
    person: Person | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class RoleAssignInput:
    person_id: strawberry.ID
    role: Role  # type: ignore[valid-type]
    unit_id: strawberry.ID | None = None
    seat_type: SeatType | None = None  # type: ignore[valid-type]


@strawberry.type
class RoleAssignPayload:
    role_assignment: RoleAssignment | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class RoleRevokeInput:
    id: strawberry.ID


@strawberry.type
class RoleRevokePayload:
    revoked_id: strawberry.ID | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class PartyMemberRegisterInput:
    community_id: strawberry.ID
    party_branch: str | None = None


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Register a resident in a household you manage.")
    async def person_create(
        self, info: Info[Context, None], input: PersonCreateInput
    ) -> PersonPayload:
        person, errors = await perform(
            info,
            lambda s, actor: people_service.create_person(
                s,
                actor,
                name=input.name,
                phone=input.phone,
                household_id=decode_optional_id(
                    input.household_id, "Household", field="householdId"
                ),
                community_id=decode_optional_id(input.community_id, "OrgUnit", field="communityId"),
                is_party_member=input.is_party_member,
                party_branch=input.party_branch,
                sms=info.context.sms,  # the invite: sign in with a code
            ),
        )
        return PersonPayload(
            person=Person.from_model(person) if person else None, errors=list(errors)
        )

    @strawberry.mutation(description="Give a person a role over a unit in your scope.")
    async def role_assign(
        self, info: Info[Context, None], input: RoleAssignInput
    ) -> RoleAssignPayload:
        assignment, errors = await perform(
            info,
            lambda s, actor: people_service.assign_role(
                s,
                actor,
                person_id=decode_id(input.person_id, "Person", field="personId"),
                role=input.role,
                unit_id=decode_optional_id(input.unit_id, "OrgUnit", field="unitId"),
                seat_type=input.seat_type,
            ),
        )
        return RoleAssignPayload(
            role_assignment=RoleAssignment.from_model(assignment) if assignment else None,
            errors=list(errors),
        )

    @strawberry.mutation(description="Take a role away.")
    async def role_revoke(
        self, info: Info[Context, None], input: RoleRevokeInput
    ) -> RoleRevokePayload:
        async def work(session: AsyncSession, actor: Actor) -> strawberry.ID:
            await people_service.revoke_role(
                session, actor, assignment_id=decode_id(input.id, "RoleAssignment", field="id")
            )
            return input.id

        revoked, errors = await perform(info, work)
        return RoleRevokePayload(revoked_id=revoked, errors=list(errors))

    @strawberry.mutation(description="报到: register yourself, a party member, with a community.")
    async def party_member_register(
        self, info: Info[Context, None], input: PartyMemberRegisterInput
    ) -> PersonPayload:
        person, errors = await perform(
            info,
            lambda s, actor: people_service.register_party_member(
                s,
                actor,
                community_id=decode_id(input.community_id, "OrgUnit", field="communityId"),
                party_branch=input.party_branch,
            ),
        )
        return PersonPayload(
            person=Person.from_model(person) if person else None, errors=list(errors)
        )
