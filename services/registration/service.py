"""Self-registration: a newcomer applies with an SMS code; the grid's staff approve or reject.

* **Apply** (no sign-in): the code sent by ``phoneCodeRequest(REGISTER)`` proves the phone is the
  applicant's. Then one statement either writes the application (a second one for the same phone
  while it waits replaces the first: a unique partial index, ``ON CONFLICT ... DO UPDATE``) or,
  when the phone already belongs to someone, writes nothing. The answer is the same either way,
  and so is the work before it (the checks, the code, that one statement); only what happens
  after the commit differs: the owner of a registered phone is sent the invite again (sign in with
  a code) instead of their application being stored, so no second person can come of it.
* **Decide** (the grid's grid worker or the community's admin): the application's row is locked,
  so of two staff deciding at once the second waits and then finds it decided
  (``REGISTRATION_DECIDED``); the status leaves ``pending`` in a guarded UPDATE besides. Approving
  creates the person (no password: they sign in by SMS code) in the household chosen (of the
  application's grid) or in the household at the application's address in that grid, created if
  there is none. Rejecting needs a reason. Either way the applicant is told by SMS after the
  commit (:func:`_tell_outcome`).
"""

from __future__ import annotations

import uuid
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import Select, exists, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services import validation
from services.auth import codes
from services.auth.codes import CodePolicy, CodePurpose
from services.authz import Actor
from services.errors import DomainError, ErrorCode
from services.notices.inbox import Entry, notify
from services.notices.kinds import Kind
from services.orgs import households as household_service
from services.orgs.models import ADDRESS_MAX, NAME_MAX, Household, OrgUnit, UnitKind
from services.orgs.service import require_unit
from services.people import service as people_service
from services.people.models import BRANCH_MAX, Person
from services.registration.invites import invite_after_commit
from services.registration.models import (
    REASON_MAX,
    ApplicationStatus,
    HouseholdRelation,
    RegistrationApplication,
)
from services.registration.queries import decidable
from services.sms import SmsGateway, SmsTemplate
from services.sms.sending import send_after_commit

SMS_REASON_MAX = 30  # providers cap a template variable (Alibaba: 35 characters)

_table = RegistrationApplication.__table__


async def apply(
    session: AsyncSession,
    redis: Redis,
    policy: CodePolicy,
    *,
    phone: str,
    code: str,
    name: str,
    community_id: uuid.UUID,
    grid_id: uuid.UUID,
    address: str,
    relation: HouseholdRelation,
    is_party_member: bool = False,
    party_branch: str | None = None,
) -> None:
    """Apply to be registered in ``grid_id``; answers alike whether or not ``phone`` is taken."""
    phone = validation.phone(phone)
    values = {
        "phone": phone,
        "name": validation.required_text(name, field="name", max_length=NAME_MAX),
        "address": validation.required_text(address, field="address", max_length=ADDRESS_MAX),
        "relation": relation,
        "is_party_member": is_party_member,
        "party_branch": validation.text(
            party_branch, field="partyBranch", max_length=BRANCH_MAX, required=False
        )
        if is_party_member
        else None,
    }
    community = await require_unit(
        session, community_id, kinds=[UnitKind.COMMUNITY], field="communityId"
    )
    grid = await require_unit(session, grid_id, kinds=[UnitKind.GRID], field="gridId")
    if grid.parent_id != community.id:
        raise DomainError(ErrorCode.REGISTRATION_GRID_OUTSIDE_COMMUNITY, field="gridId")
    await codes.check_code(redis, policy, purpose=CodePurpose.REGISTER, phone=phone, code=code)
    values |= {"community_id": community.id, "grid_id": grid.id}
    registered, active, home, _written = (await session.execute(_apply_statement(values))).one()
    if registered:
        if active and home is not None:  # only the phone's owner reads this
            invite_after_commit(session, policy.gateway, phone=phone, community=home)
        return
    # the staff's inbox entry is written by the reminder scan (services/notices/reminders.py),
    # not here: this answer must do the same work whether or not the phone is registered


def _apply_statement(values: dict[str, object]) -> Select[Any]:
    """One statement: is the phone someone's (and their community), and if not, the upsert."""
    registered = (
        select(Person.id, Person.is_active, OrgUnit.name.label("home"))
        .outerjoin(OrgUnit, OrgUnit.id == Person.community_id)
        .where(Person.phone == values["phone"])
        .cte("registered")
    )
    source = select(
        *(literal(value, _table.c[key].type).label(key) for key, value in values.items())
    ).where(~exists(select(registered.c.id)))
    insert = pg_insert(RegistrationApplication).from_select(list(values), source)
    upsert = insert.on_conflict_do_update(
        index_elements=[RegistrationApplication.phone],
        index_where=text("status = 'pending'"),
        set_={key: insert.excluded[key] for key in values if key != "phone"}
        | {"submitted_at": func.now()},
    ).returning(RegistrationApplication.id)
    written = upsert.cte("written")
    return select(
        exists(select(registered.c.id)).label("registered"),
        select(registered.c.is_active).scalar_subquery(),
        select(registered.c.home).scalar_subquery(),
        select(written.c.id).scalar_subquery(),
    )


async def decide(
    session: AsyncSession,
    actor: Actor,
    *,
    application_id: uuid.UUID,
    approve: bool,
    household_id: uuid.UUID | None = None,
    reason: str | None = None,
    sms: SmsGateway | None = None,
) -> RegistrationApplication:
    """Approve (creating the person) or reject (with a reason) an application, once."""
    application = await session.scalar(
        select(RegistrationApplication)
        .where(RegistrationApplication.id == application_id, decidable(actor))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if application is None:
        raise DomainError(ErrorCode.REGISTRATION_NOT_FOUND, field="applicationId")
    if application.status is not ApplicationStatus.PENDING:
        raise DomainError(ErrorCode.REGISTRATION_DECIDED, field="applicationId")
    outcome: dict[str, object]
    if approve:
        person = await _register(session, actor, application, household_id)
        community = await session.get(OrgUnit, application.community_id)
        await notify(
            session,
            Kind.REGISTRATION_APPROVED,
            [
                Entry(
                    person.id,
                    f"registration_approved:{application.id}",
                    None,
                    {"community": community.name if community else ""},
                )
            ],
        )
        outcome = {
            "status": ApplicationStatus.APPROVED,
            "person_id": person.id,
            "household_id": person.household_id,
            "reason": validation.text(
                reason, field="reason", max_length=REASON_MAX, required=False
            ),
        }
    else:
        cleaned = validation.text(reason, field="reason", max_length=REASON_MAX, required=False)
        if cleaned is None:
            raise DomainError(ErrorCode.REASON_REQUIRED, field="reason")
        outcome = {"status": ApplicationStatus.REJECTED, "reason": cleaned}
    decided = await session.scalar(
        update(RegistrationApplication)
        .where(
            RegistrationApplication.id == application.id,
            RegistrationApplication.status == ApplicationStatus.PENDING,
        )
        .values(decided_by=actor.person_id, decided_at=func.now(), **outcome)
        .returning(RegistrationApplication)
        .execution_options(populate_existing=True)
    )
    if decided is None:  # unreachable under the row lock; the guard holds without it
        raise DomainError(ErrorCode.REGISTRATION_DECIDED, field="applicationId")
    community = await session.get(OrgUnit, decided.community_id)
    assert community is not None
    _tell_outcome(session, sms, decided, community=community.name)
    return decided


async def _register(
    session: AsyncSession,
    actor: Actor,
    application: RegistrationApplication,
    household_id: uuid.UUID | None,
) -> Person:
    """The person of an approved application, in the household chosen or at its address."""
    if household_id is not None:
        household = await session.scalar(
            select(Household).where(
                Household.id == household_id, Household.grid_id == application.grid_id
            )
        )
        if household is None:
            raise DomainError(ErrorCode.REGISTRATION_HOUSEHOLD_OUTSIDE_GRID, field="householdId")
    else:
        household = await session.scalar(
            select(Household).where(
                Household.community_id == application.community_id,
                Household.address == application.address,
            )
        )
        if household is not None and household.grid_id != application.grid_id:
            raise DomainError(ErrorCode.REGISTRATION_ADDRESS_IN_OTHER_GRID, field="householdId")
        if household is None:
            household = await household_service.create_household(
                session, actor, grid_id=application.grid_id, address=application.address
            )
    try:
        return await people_service.create_person(
            session,
            actor,
            name=application.name,
            phone=application.phone,
            household_id=household.id,
            is_party_member=application.is_party_member,
            party_branch=application.party_branch,
        )
    except DomainError as error:
        if error.code is ErrorCode.PHONE_TAKEN:  # registered by staff since it was sent
            raise DomainError(ErrorCode.REGISTRATION_PHONE_REGISTERED) from error
        raise


def _tell_outcome(
    session: AsyncSession,
    sms: SmsGateway | None,
    application: RegistrationApplication,
    *,
    community: str,
) -> None:
    """The applicant's SMS about the decision, sent after the commit (none if it rolls back)."""
    if application.status is ApplicationStatus.APPROVED:
        template, params = SmsTemplate.REGISTRATION_APPROVED, {"community": community}
    else:
        reason = application.reason or ""
        if len(reason) > SMS_REASON_MAX:
            reason = reason[: SMS_REASON_MAX - 1] + "…"
        template = SmsTemplate.REGISTRATION_REJECTED
        params = {"community": community, "reason": reason}
    send_after_commit(session, sms, application.phone, template, params)
