"""Mutations: apply (no sign-in, an SMS code instead) and decide (the grid's staff)."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error
from schema.mutations import perform, perform_anonymous
from schema.registration.types import HouseholdRelation, RegistrationApplication
from schema.relay import decode_id, decode_optional_id
from services.authz import Actor
from services.registration import models
from services.registration import service as registration_service


@strawberry.input
class RegistrationApplyInput:
    phone: str
    code: str = strawberry.field(description="The code sent by `phoneCodeRequest(REGISTER)`.")
    name: str
    community_id: strawberry.ID
    grid_id: strawberry.ID
    address: str
    relation: HouseholdRelation  # type: ignore[valid-type]
    is_party_member: bool = False
    party_branch: str | None = None


@strawberry.type
class RegistrationApplyPayload:
    submitted: bool = strawberry.field(
        default=False,
        description="The application was taken. The same answer whether or not the phone is "
        "registered already (its owner is then told by SMS to sign in with a code).",
    )
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class RegistrationDecideInput:
    application_id: strawberry.ID
    approve: bool
    household_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Approve into this household of the applicant's grid; else the household "
        "at the applicant's address in that grid (created if there is none).",
    )
    reason: str | None = strawberry.field(default=None, description="Required to reject.")


@strawberry.type
class RegistrationDecidePayload:
    application: RegistrationApplication | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class RegistrationMutation:
    @strawberry.mutation(
        description="Apply to be registered as a resident (no sign-in): the phone is proved by "
        "its REGISTER code. Applying again while the application waits replaces it."
    )
    async def registration_apply(
        self, info: Info[Context, None], input: RegistrationApplyInput
    ) -> RegistrationApplyPayload:
        context = info.context

        async def work(session: AsyncSession) -> bool:
            await registration_service.apply(
                session,
                context.redis,
                context.auth.codes,
                phone=input.phone,
                code=input.code,
                name=input.name,
                community_id=decode_id(input.community_id, "OrgUnit", field="communityId"),
                grid_id=decode_id(input.grid_id, "OrgUnit", field="gridId"),
                address=input.address,
                relation=models.HouseholdRelation(input.relation),
                is_party_member=input.is_party_member,
                party_branch=input.party_branch,
            )
            return True

        submitted, errors = await perform_anonymous(info, work)
        return RegistrationApplyPayload(submitted=bool(submitted), errors=list(errors))

    @strawberry.mutation(
        description="Approve (the person is registered; they sign in by SMS code) or reject "
        "(with a reason) an application of your grid or community, once. The applicant is told "
        "by SMS."
    )
    async def registration_decide(
        self, info: Info[Context, None], input: RegistrationDecideInput
    ) -> RegistrationDecidePayload:
        context = info.context

        async def work(session: AsyncSession, actor: Actor) -> models.RegistrationApplication:
            return await registration_service.decide(
                session,
                actor,
                application_id=decode_id(
                    input.application_id, "RegistrationApplication", field="applicationId"
                ),
                approve=input.approve,
                household_id=decode_optional_id(
                    input.household_id, "Household", field="householdId"
                ),
                reason=input.reason,
                sms=context.sms,
            )

        decided, errors = await perform(info, work)
        return RegistrationDecidePayload(
            application=RegistrationApplication.from_model(decided) if decided else None,
            errors=list(errors),
        )
