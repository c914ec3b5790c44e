"""Ledger operations: accounts, holds, posts, voids, single-phase transfers, reversals, expiry.

These are the primitives other services build on (meeting grants, redemptions, admin
adjustments); they check the ledger's own rules, not who may ask (callers do that). Each takes the
caller's session and never commits. A :class:`DomainError` is raised before anything is written
(the expiry voids a debit may write first excepted: they are true whatever happens next).

How one operation runs, in three round trips:

1. lock the community's chain head (:func:`services.ledger.chain.lock_head`): the community's
   ledger writes run one at a time from here to commit;
2. one guarded statement moves the counters: ``UPDATE ledger_account ... WHERE <enough available>
   RETURNING``, the credit side in a CTE that runs only if the debit matched (a hold or a transfer),
   or, to resolve a hold, ``INSERT ... ON CONFLICT (pending_id) DO NOTHING RETURNING`` with the
   counter updates in CTEs that run only if the row went in (post, void). Nothing is read into
   Python and written back;
3. the transfer row, with the chain head's ``UPDATE`` in the same statement when it is a posting.

A guarded debit that matches no row is explained by one more read: a missing or mismatched
account, else expired holds still counted (they are voided, cause EXPIRY, and the debit retried
once), else ``INSUFFICIENT_POINTS`` with the available balance. The CHECK constraint on
``ledger_account`` stands behind the guard.

Holds: ``expires_at`` is optional; time is :func:`services.clock.now`. An expired hold can be
neither posted nor voided (``HOLD_EXPIRED``, as in TigerBeetle): it is released already, in every
balance read, and :func:`expire_due` (a worker) writes its void. A resolved hold is
``HOLD_NOT_PENDING``. A post or void with no reason inherits the hold's.

Every transfer is booked on a day (``booked_on``): today, or for :func:`transfer` an earlier
day, back-dating a correction. A day after today is ``INVALID_VALUE`` and a day in a closed month
``PERIOD_CLOSED`` (:func:`services.ledger.writes.check_booking`), both before anything is written.

``Account`` objects returned here are snapshots: read balances through
:mod:`services.ledger.queries`. The accounts live in :mod:`services.ledger.accounts`,
:func:`post`, :func:`void` and :func:`expire_due` in :mod:`services.ledger.holds`, the statements
in :mod:`services.ledger.writes`; this module is the one to import.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.errors import DomainError, ErrorCode
from services.ledger.accounts import person_account, system_account
from services.ledger.chain import Head, lock_head
from services.ledger.holds import expire_due, post, release_expired, void
from services.ledger.models import (
    AVAILABLE_CONSTRAINT,
    CHAINED_KINDS,
    Account,
    Cause,
    PointKind,
    Transfer,
    TransferKind,
)
from services.ledger.queries import available
from services.ledger.writes import (
    MAX_AMOUNT,
    build_row,
    check_amount,
    check_booking,
    check_reason,
    debit_and_credit,
    write,
)

__all__ = [
    "MAX_AMOUNT",
    "check_amount",
    "check_reason",
    "expire_due",
    "hold",
    "person_account",
    "post",
    "reverse",
    "system_account",
    "transfer",
    "void",
]


# single-phase transfers and holds --------------------------------------------------------------


async def transfer(
    session: AsyncSession,
    *,
    community_id: uuid.UUID,
    debit_account_id: uuid.UUID,
    credit_account_id: uuid.UUID,
    amount: int,
    kind: PointKind,
    cause: Cause,
    cause_id: uuid.UUID | None,
    reason: str,
    actor_id: uuid.UUID | None,
    booked_on: date | None = None,
) -> Transfer:
    """Move ``amount`` posted points from the debit to the credit account at once, booked today
    or on ``booked_on`` (a past day of a month still open)."""
    return await _move(
        session,
        TransferKind.POSTED,
        community_id=community_id,
        debit_id=debit_account_id,
        credit_id=credit_account_id,
        amount=amount,
        point_kind=kind,
        cause=cause,
        cause_id=cause_id,
        reason=reason,
        actor_id=actor_id,
        booked_on=booked_on,
    )


async def hold(
    session: AsyncSession,
    *,
    community_id: uuid.UUID,
    debit_account_id: uuid.UUID,
    credit_account_id: uuid.UUID,
    amount: int,
    kind: PointKind,
    cause: Cause,
    cause_id: uuid.UUID | None,
    reason: str,
    actor_id: uuid.UUID | None,
    expires_at: datetime | None = None,
) -> Transfer:
    """Reserve ``amount`` points (a pending transfer), to be posted, voided or left to expire."""
    if expires_at is not None and expires_at <= clock.now():
        raise DomainError(ErrorCode.INVALID_VALUE, field="expiresAt")
    return await _move(
        session,
        TransferKind.PENDING,
        community_id=community_id,
        debit_id=debit_account_id,
        credit_id=credit_account_id,
        amount=amount,
        point_kind=kind,
        cause=cause,
        cause_id=cause_id,
        reason=reason,
        actor_id=actor_id,
        expires_at=expires_at,
    )


async def reverse(
    session: AsyncSession, *, transfer_id: uuid.UUID, actor_id: uuid.UUID, reason: str
) -> Transfer:
    """Undo a posting with a new posting the other way, naming it (at most once per posting).

    Points already spent cannot be taken back: the reversal's debit is guarded like any other.
    """
    original = await session.get(Transfer, transfer_id)
    if original is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="transferId")
    if original.kind not in CHAINED_KINDS:
        raise DomainError(ErrorCode.INVALID_STATE, field="transferId")
    return await _move(
        session,
        TransferKind.POSTED,
        community_id=original.community_id,
        debit_id=original.credit_account_id,
        credit_id=original.debit_account_id,
        amount=original.amount,
        point_kind=original.point_kind,
        cause=Cause.REVERSAL,
        cause_id=original.id,
        reason=reason,
        actor_id=actor_id,
        reverses_id=original.id,
    )


async def _move(
    session: AsyncSession,
    kind: TransferKind,
    *,
    community_id: uuid.UUID,
    debit_id: uuid.UUID,
    credit_id: uuid.UUID,
    amount: int,
    point_kind: PointKind,
    cause: Cause,
    cause_id: uuid.UUID | None,
    reason: str,
    actor_id: uuid.UUID | None,
    expires_at: datetime | None = None,
    reverses_id: uuid.UUID | None = None,
    booked_on: date | None = None,
) -> Transfer:
    amount = check_amount(amount)
    reason = check_reason(reason)
    if debit_id == credit_id:
        raise DomainError(ErrorCode.INVALID_VALUE, field="creditAccountId")
    if (cause is Cause.REVERSAL) != (reverses_id is not None):
        raise DomainError(ErrorCode.INVALID_VALUE, field="cause")
    head = await lock_head(session, community_id)
    now = clock.now()
    booked_on = booked_on or clock.local_date(now)
    await check_booking(session, community_id, booked_on, now=now)
    row = build_row(
        head,
        kind,
        now=now,
        point_kind=point_kind,
        debit_id=debit_id,
        credit_id=credit_id,
        amount=amount,
        cause=cause,
        cause_id=cause_id,
        reason=reason,
        actor_id=actor_id,
        expires_at=expires_at,
        reverses_id=reverses_id,
        booked_on=booked_on,
    )
    try:
        for attempt in range(2):
            if await debit_and_credit(
                session,
                community_id=community_id,
                point_kind=point_kind,
                debit_id=debit_id,
                credit_id=credit_id,
                amount=amount,
                side="pending" if kind is TransferKind.PENDING else "posted",
                not_reversed=reverses_id,
            ):
                break
            await _explain_refusal(
                session,
                community_id=community_id,
                point_kind=point_kind,
                debit_id=debit_id,
                credit_id=credit_id,
                amount=amount,
                reverses_id=reverses_id,
                head=head,
                now=now,
                may_release=attempt == 0,
            )
        written = await write(session, row)
    except IntegrityError as error:
        # The constraints behind the guard (unreachable while the head lock serializes writes;
        # the transaction is then aborted, so the caller's savepoint matters).
        if AVAILABLE_CONSTRAINT in str(error.orig):
            raise DomainError(ErrorCode.INSUFFICIENT_POINTS, field="amount") from error
        if reverses_id is not None and "reverses_id" in str(error.orig):
            raise DomainError(ErrorCode.ALREADY_REVERSED, field="transferId") from error
        raise
    assert written is not None
    return written


async def _explain_refusal(
    session: AsyncSession,
    *,
    community_id: uuid.UUID,
    point_kind: PointKind,
    debit_id: uuid.UUID,
    credit_id: uuid.UUID,
    amount: int,
    reverses_id: uuid.UUID | None,
    head: Head,
    now: datetime,
    may_release: bool,
) -> None:
    """Why the guarded debit matched nothing: raise the error, or return after releasing expired
    holds so the caller tries once more."""
    found = await session.scalars(
        select(Account)
        .where(Account.id.in_([debit_id, credit_id]))
        .execution_options(populate_existing=True)
    )
    accounts = {account.id: account for account in found}
    for account_id, field in ((debit_id, "debitAccountId"), (credit_id, "creditAccountId")):
        account = accounts.get(account_id)
        if account is None:
            raise DomainError(ErrorCode.NOT_FOUND, field=field)
        if account.community_id != community_id or account.kind != point_kind:
            raise DomainError(ErrorCode.INVALID_VALUE, field=field)
    if reverses_id is not None and await session.scalar(
        select(exists().where(Transfer.reverses_id == reverses_id))
    ):
        raise DomainError(ErrorCode.ALREADY_REVERSED, field="transferId")
    debit = accounts[debit_id]
    if may_release and await release_expired(session, head, debit_id, now):
        return
    raise DomainError(
        ErrorCode.INSUFFICIENT_POINTS,
        field="amount",
        available=await available(session, debit, now=now),
        amount=amount,
    )
