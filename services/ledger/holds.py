"""Resolving holds: post (all or part), void, and expiry.

A hold is resolved by exactly one row naming it (UNIQUE ``pending_id``): the row is inserted with
``ON CONFLICT DO NOTHING`` and the counters move in the same statement only if it went in, so a
second post, a post racing a void, or a post racing the expiry worker resolves nothing and is
told why (``HOLD_NOT_PENDING``, or ``HOLD_EXPIRED`` when expiry got there first or the deadline has
passed). Deadlines are judged from :func:`services.clock.now`: an expired hold counts as released
in every balance read before its void is written.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.errors import DomainError, ErrorCode
from services.ledger.chain import Head, lock_head
from services.ledger.models import Cause, Transfer, TransferKind
from services.ledger.queries import expired_holds
from services.ledger.writes import TRANSFERS, build_row, check_amount, check_reason, write

EXPIRY_REASON = "hold expired"


async def post(
    session: AsyncSession,
    *,
    pending_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    amount: int | None = None,
    reason: str = "",
) -> Transfer:
    """Post a hold, all of it or ``amount`` of it (the rest is released). At most once."""
    pending = await _pending(session, pending_id)
    posted = check_amount(pending.amount if amount is None else amount)
    if posted > pending.amount:
        raise DomainError(ErrorCode.AMOUNT_EXCEEDS_HOLD, field="amount")
    return await _resolve_or_explain(
        session, pending, TransferKind.POST, amount=posted, actor_id=actor_id, reason=reason
    )


async def void(
    session: AsyncSession,
    *,
    pending_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    reason: str,
    cause: Cause | None = None,
) -> Transfer:
    """Release a hold without posting anything. At most once, and never after a post."""
    pending = await _pending(session, pending_id)
    return await _resolve_or_explain(
        session, pending, TransferKind.VOID, actor_id=actor_id, reason=reason, cause=cause
    )


async def expire_due(
    session: AsyncSession, *, now: datetime | None = None, limit: int = 500
) -> int:
    """Void (cause EXPIRY, no actor) up to ``limit`` holds expired by ``now``; how many.

    For a background worker: balances already treat expired holds as released, so a stopped
    worker leaves counters behind but no balance wrong. Safe to run concurrently with anything:
    the UNIQUE (pending_id) index lets only one resolution of a hold in.
    """
    moment = now or clock.now()
    resolution = TRANSFERS.alias("resolution")
    due = await session.scalars(
        select(Transfer)
        .where(
            Transfer.expires_at <= moment,
            Transfer.kind == TransferKind.PENDING,
            ~exists().where(resolution.c.pending_id == Transfer.id),
        )
        .order_by(Transfer.community_id, Transfer.expires_at, Transfer.id)  # heads in one order
        .limit(limit)
    )
    count = 0
    for pending in due.all():
        head = await lock_head(session, pending.community_id)
        if await _resolve(session, head, pending, TransferKind.VOID, expiring=True) is not None:
            count += 1
    return count


async def _pending(session: AsyncSession, pending_id: uuid.UUID) -> Transfer:
    pending = await session.get(Transfer, pending_id)
    if pending is None or pending.kind is not TransferKind.PENDING:
        raise DomainError(ErrorCode.NOT_FOUND, field="pendingId")
    return pending


async def _resolve_or_explain(
    session: AsyncSession,
    pending: Transfer,
    kind: TransferKind,
    *,
    actor_id: uuid.UUID | None,
    reason: str,
    amount: int | None = None,
    cause: Cause | None = None,
) -> Transfer:
    text = check_reason(reason) if reason.strip() else pending.reason
    head = await lock_head(session, pending.community_id)
    if cause is not Cause.EXPIRY and pending.expires_at and pending.expires_at <= clock.now():
        await _raise_unresolvable(session, pending, expired=True)
    written = await _resolve(
        session, head, pending, kind, actor_id=actor_id, reason=text, amount=amount, cause=cause
    )
    if written is None:
        await _raise_unresolvable(session, pending, expired=False)
    assert written is not None
    return written


async def _raise_unresolvable(session: AsyncSession, pending: Transfer, *, expired: bool) -> None:
    resolution = await session.scalar(select(Transfer).where(Transfer.pending_id == pending.id))
    if (resolution is None and expired) or (resolution and resolution.cause is Cause.EXPIRY):
        raise DomainError(ErrorCode.HOLD_EXPIRED, field="pendingId")
    raise DomainError(ErrorCode.HOLD_NOT_PENDING, field="pendingId")


async def _resolve(
    session: AsyncSession,
    head: Head,
    pending: Transfer,
    kind: TransferKind,
    *,
    actor_id: uuid.UUID | None = None,
    reason: str | None = None,
    amount: int | None = None,
    cause: Cause | None = None,
    expiring: bool = False,
) -> Transfer | None:
    """Write the post or void of ``pending`` and release its counters, if nothing resolved it
    first (then None). ``head`` is the community's, locked by the caller."""
    held = pending.amount
    posted = (amount if amount is not None else held) if kind is TransferKind.POST else 0
    row = build_row(
        head,
        kind,
        now=clock.now(),
        point_kind=pending.point_kind,
        debit_id=pending.debit_account_id,
        credit_id=pending.credit_account_id,
        amount=posted if kind is TransferKind.POST else held,
        cause=Cause.EXPIRY if expiring else (cause or pending.cause),
        cause_id=pending.cause_id,
        reason=EXPIRY_REASON if expiring else (reason or pending.reason),
        actor_id=None if expiring else actor_id,
        pending_id=pending.id,
    )
    return await write(
        session,
        row,
        conflict_on="pending_id",
        then=[
            (pending.debit_account_id, {"debits_pending": -held, "debits_posted": posted}),
            (pending.credit_account_id, {"credits_pending": -held, "credits_posted": posted}),
        ],
    )


async def release_expired(
    session: AsyncSession, head: Head, account_id: uuid.UUID, now: datetime
) -> int:
    """Void (cause EXPIRY) the expired holds still counted on the account; how many."""
    count = 0
    for pending in await expired_holds(session, [account_id], now=now):
        if await _resolve(session, head, pending, TransferKind.VOID, expiring=True) is not None:
            count += 1
    return count
