"""Corrections by staff: adjustments and reversals, each with a reason and an idempotency key.

Who: LEDGER_ADJUST over the community the points belong to (community admins, street and system
admins above them); never on one's own account (no one grants themselves points, nor undoes a
deduction of their own). A person the actor may not see, or a transfer they may not read, is
NOT_FOUND, so a refusal reveals nothing.

An adjustment is a posted transfer between the community's issuance account and the person's
account (positive: to the person; negative: from the person, refused beyond what they have
available), cause ADJUSTMENT. It is booked today, or back-dated to ``booked_on``: a past day of a
month the community has not closed (a later day is ``INVALID_VALUE``, a closed month
``PERIOD_CLOSED``, both on ``bookedOn``). A reversal is :func:`services.ledger.service.reverse`,
booked today: that is how a posting of a closed month is corrected.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from services.authz import Actor, Permission, allows
from services.errors import DomainError, ErrorCode
from services.ledger import queries, service
from services.ledger.idempotency import Result, check_key, run_once
from services.ledger.models import AccountType, Cause, PointKind, Transfer
from services.orgs.models import OrgUnit
from services.people import service as people_service


async def adjust(
    session: AsyncSession,
    actor: Actor,
    *,
    person_id: uuid.UUID,
    point_kind: PointKind,
    amount: int,
    reason: str,
    idempotency_key: str,
    booked_on: date | None = None,
) -> Transfer:
    """Add (``amount`` > 0) or take away (< 0) a person's points, with a reason."""
    key = check_key(idempotency_key)
    text = service.check_reason(reason)
    if amount == 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, field="amount")
    service.check_amount(abs(amount))

    async def work() -> Result:
        person = await people_service.get_person(session, actor, person_id)
        if person is None:
            raise DomainError(ErrorCode.NOT_FOUND, field="personId")
        if person.community_id is None:
            raise DomainError(ErrorCode.INVALID_VALUE, field="personId")
        community = await session.get(OrgUnit, person.community_id)
        assert community is not None
        if not allows(actor, Permission.LEDGER_ADJUST, community.path):
            raise DomainError(ErrorCode.FORBIDDEN, field="personId")
        if person.id == actor.person_id:
            raise DomainError(ErrorCode.FORBIDDEN, field="personId")
        issuance = await service.system_account(
            session, community_id=community.id, type=AccountType.ISSUANCE, kind=point_kind
        )
        account = await service.person_account(
            session, community_id=community.id, person_id=person.id, kind=point_kind
        )
        debit, credit = (issuance, account) if amount > 0 else (account, issuance)
        moved = await service.transfer(
            session,
            community_id=community.id,
            debit_account_id=debit.id,
            credit_account_id=credit.id,
            amount=abs(amount),
            kind=point_kind,
            cause=Cause.ADJUSTMENT,
            cause_id=None,
            reason=text,
            actor_id=actor.person_id,
            booked_on=booked_on,
        )
        return {"transfer_id": str(moved.id)}

    request: dict[str, Any] = {
        "person_id": person_id,
        "point_kind": point_kind,
        "amount": amount,
        "reason": text,
    }
    if booked_on is not None:  # absent, the fingerprint is what it was before back-dating existed
        request["booked_on"] = booked_on
    result = await run_once(
        session,
        actor_id=actor.person_id,
        key=key,
        operation="ledger.adjust",
        request=request,
        work=work,
    )
    return await _transfer(session, result)


async def reverse(
    session: AsyncSession,
    actor: Actor,
    *,
    transfer_id: uuid.UUID,
    reason: str,
    idempotency_key: str,
) -> Transfer:
    """Reverse a posting of a community in the actor's scope, with a reason."""
    key = check_key(idempotency_key)
    text = service.check_reason(reason)

    async def work() -> Result:
        original = await queries.get_transfer(session, actor, transfer_id)
        if original is None:
            raise DomainError(ErrorCode.NOT_FOUND, field="transferId")
        community = await session.get(OrgUnit, original.community_id)
        assert community is not None
        if not allows(actor, Permission.LEDGER_ADJUST, community.path):
            raise DomainError(ErrorCode.FORBIDDEN, field="transferId")
        owners = {original.debit_account.person_id, original.credit_account.person_id}
        if actor.person_id in owners:
            raise DomainError(ErrorCode.FORBIDDEN, field="transferId")
        reversal = await service.reverse(
            session, transfer_id=original.id, actor_id=actor.person_id, reason=text
        )
        return {"transfer_id": str(reversal.id)}

    result = await run_once(
        session,
        actor_id=actor.person_id,
        key=key,
        operation="ledger.reverse",
        request={"transfer_id": transfer_id, "reason": text},
        work=work,
    )
    return await _transfer(session, result)


async def _transfer(session: AsyncSession, result: Result) -> Transfer:
    """The transfer a stored result names, with its accounts (the same on every retry)."""
    found = await session.scalar(
        select(Transfer)
        .where(Transfer.id == uuid.UUID(result["transfer_id"]))
        .options(joinedload(Transfer.debit_account), joinedload(Transfer.credit_account))
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found
