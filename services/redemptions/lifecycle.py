"""After checkout: write-off (核销) at the counter, cancel before pickup, expiry.

A reserved redemption is closed exactly once: every path locks its row (``FOR UPDATE``) and
checks the state under the lock. Releasing gives everything back in the checkout's lock order
(goods by id, sessions by id, the booking, then the ledger), so a release never deadlocks a
checkout of the same items.

**Expiry, judged on read.** A reserved redemption past its ``deadline`` reads as expired
(:func:`status`) and cannot be written off or cancelled (``REDEMPTION_EXPIRED``). Its hold expired
at the same moment (the hold carries ``expires_at = deadline``), so the person's balance is right
at once. What it still reserves is released by whichever comes first: the worker
(:func:`expire_due`), or a checkout that needs the same stock, places or slot
(:func:`release_expired`, in the checkout's own transaction, the way the ledger voids expired holds
before refusing a debit). Expiry by another transaction takes rows with ``SKIP LOCKED``: a
redemption someone else is closing is left to them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, exists, select, update
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.authz import Actor, Permission, require
from services.catalog.models import Goods, ServiceSession, SessionWaitlist
from services.catalog.service import stock_changed
from services.errors import DomainError, ErrorCode
from services.events import outbox
from services.events.outbox import Topic
from services.ledger import idempotency
from services.ledger import service as ledger
from services.ledger.models import Cause
from services.orgs.models import OrgUnit
from services.redemptions.models import (
    LineKind,
    Redemption,
    RedemptionLine,
    RedemptionState,
    VenueBooking,
)

EXPIRED_REASON = "兑换逾期未领取"


def status(redemption: Redemption, now: datetime | None = None) -> RedemptionState:
    """The state a reader sees: reserved past its deadline is expired."""
    moment = now or clock.now()
    if redemption.state is RedemptionState.RESERVED and redemption.deadline <= moment:
        return RedemptionState.EXPIRED
    return redemption.state


def changed(session: AsyncSession, redemption: Redemption) -> None:
    outbox.emit(
        session,
        Topic.REDEMPTION_CHANGED,
        channels=[outbox.person_channel(redemption.person_id)],
        payload={"redemptionId": str(redemption.id), "state": redemption.state.value},
        community_id=redemption.community_id,
    )


async def _tell_the_queue(
    session: AsyncSession, session_id: uuid.UUID, freed: int, community_id: uuid.UUID
) -> None:
    """Places came back: tell the first ``freed`` people waiting that one is theirs to take."""
    waiting = await session.scalars(
        select(SessionWaitlist.person_id)
        .where(SessionWaitlist.session_id == session_id)
        .order_by(SessionWaitlist.seq)
        .limit(freed)
    )
    for person_id in waiting:
        outbox.emit(
            session,
            Topic.WAITLIST_PLACE_FREE,
            channels=[outbox.person_channel(person_id)],
            payload={"sessionId": str(session_id)},
            community_id=community_id,
        )


async def _release(
    session: AsyncSession,
    redemption: Redemption,
    to: RedemptionState,
    *,
    actor_id: uuid.UUID | None,
    reason: str,
) -> None:
    """Give back stock, places and the slot, void the hold, close the redemption (row locked)."""
    lines = list(
        await session.scalars(
            select(RedemptionLine).where(RedemptionLine.redemption_id == redemption.id)
        )
    )
    for line in sorted(
        (x for x in lines if x.kind is LineKind.GOODS), key=lambda x: str(x.goods_id)
    ):
        await session.execute(
            update(Goods).where(Goods.id == line.goods_id).values(stock=Goods.stock + line.quantity)
        )
        assert line.goods_id is not None
        stock_changed(session, line.goods_id, redemption.community_id)
    sittings = sorted(
        (x for x in lines if x.kind is LineKind.SESSION), key=lambda x: str(x.session_id)
    )
    for line in sittings:
        await session.execute(
            update(ServiceSession)
            .where(ServiceSession.id == line.session_id)
            .values(places_taken=ServiceSession.places_taken - line.quantity)
        )
        assert line.session_id is not None
        await _tell_the_queue(session, line.session_id, line.quantity, redemption.community_id)
    await session.execute(
        update(VenueBooking).where(VenueBooking.redemption_id == redemption.id).values(active=False)
    )
    try:
        await ledger.void(
            session,
            pending_id=redemption.hold_id,
            actor_id=actor_id,
            reason=reason,
            cause=Cause.EXPIRY if to is RedemptionState.EXPIRED else None,
        )
    except DomainError as error:  # the ledger's own expiry voided it already
        if error.code not in (ErrorCode.HOLD_EXPIRED, ErrorCode.HOLD_NOT_PENDING):
            raise
    redemption.state = to
    redemption.closed_at = clock.now()
    changed(session, redemption)
    await session.flush()


async def _expire_rows(session: AsyncSession, rows: list[Redemption]) -> int:
    for redemption in rows:
        await _release(
            session, redemption, RedemptionState.EXPIRED, actor_id=None, reason=EXPIRED_REASON
        )
    return len(rows)


async def expire_due(
    session: AsyncSession, *, now: datetime | None = None, limit: int = 200
) -> int:
    """For the worker: expire up to ``limit`` reserved redemptions past their deadline."""
    moment = now or clock.now()
    rows = await session.scalars(
        select(Redemption)
        .where(Redemption.state == RedemptionState.RESERVED, Redemption.deadline <= moment)
        .order_by(Redemption.community_id, Redemption.deadline, Redemption.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return await _expire_rows(session, list(rows))


async def release_expired(
    session: AsyncSession,
    *,
    goods_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    venue_id: uuid.UUID | None = None,
    blocked: Range[datetime] | None = None,
) -> int:
    """Expire the overdue redemptions that still reserve this goods, session or venue range."""
    now = clock.now()
    stmt = select(Redemption).where(
        Redemption.state == RedemptionState.RESERVED, Redemption.deadline <= now
    )
    if venue_id is not None:
        assert blocked is not None
        stmt = stmt.where(
            exists().where(
                VenueBooking.redemption_id == Redemption.id,
                VenueBooking.venue_id == venue_id,
                VenueBooking.active,
                VenueBooking.blocked.overlaps(blocked),
            )
        )
    else:
        item = (
            RedemptionLine.goods_id == goods_id
            if goods_id is not None
            else RedemptionLine.session_id == session_id
        )
        stmt = stmt.where(exists().where(and_(RedemptionLine.redemption_id == Redemption.id, item)))
    rows = await session.scalars(
        stmt.order_by(Redemption.id).limit(100).with_for_update(skip_locked=True)
    )
    return await _expire_rows(session, list(rows))


async def _locked(session: AsyncSession, redemption_id: uuid.UUID) -> Redemption | None:
    return await session.scalar(
        select(Redemption)
        .where(Redemption.id == redemption_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _require_open(redemption: Redemption) -> None:
    if redemption.state is RedemptionState.FULFILLED:
        raise DomainError(ErrorCode.CODE_USED)
    if status(redemption) is RedemptionState.EXPIRED:
        raise DomainError(ErrorCode.REDEMPTION_EXPIRED)
    if redemption.state is not RedemptionState.RESERVED:
        raise DomainError(ErrorCode.INVALID_STATE)


async def cancel(
    session: AsyncSession, actor: Actor, *, redemption_id: uuid.UUID, idempotency_key: str
) -> Redemption:
    """The person gives the redemption back before pickup: hold voided, everything released."""

    async def work() -> idempotency.Result:
        redemption = await _locked(session, redemption_id)
        if redemption is None or redemption.person_id != actor.person_id:
            raise DomainError(ErrorCode.NOT_FOUND, field="redemptionId")
        _require_open(redemption)
        await _release(
            session,
            redemption,
            RedemptionState.CANCELLED,
            actor_id=actor.person_id,
            reason="兑换取消",
        )
        return {"redemption_id": str(redemption.id)}

    result = await idempotency.run_once(
        session,
        actor_id=actor.person_id,
        key=idempotency_key,
        operation="redemption.cancel",
        request={"redemption_id": redemption_id},
        work=work,
    )
    found = await session.get(Redemption, uuid.UUID(result["redemption_id"]))
    assert found is not None
    return found


def normalize_code(code: str) -> str:
    return "".join(code.split()).upper()[:32]


async def fulfil(
    session: AsyncSession, actor: Actor, *, community_id: uuid.UUID, pickup_code: str
) -> Redemption:
    """Staff write off a pickup code at the counter or the venue: the hold posts to the sink."""
    community = await session.get(OrgUnit, community_id)
    if community is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="communityId")
    require(actor, Permission.REDEMPTION_FULFIL, community.path)
    code = normalize_code(pickup_code)
    found = await session.scalar(
        select(Redemption.id).where(
            Redemption.community_id == community_id, Redemption.pickup_code == code
        )
    )
    redemption = await _locked(session, found) if found else None
    if redemption is None:
        raise DomainError(ErrorCode.CODE_UNKNOWN, field="pickupCode")
    _require_open(redemption)
    await ledger.post(
        session, pending_id=redemption.hold_id, actor_id=actor.person_id, reason="兑换核销"
    )
    redemption.state = RedemptionState.FULFILLED
    redemption.closed_at = clock.now()
    redemption.fulfilled_by = actor.person_id
    changed(session, redemption)
    await session.flush()
    return redemption
