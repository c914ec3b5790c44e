"""After checkout: write-off (核销) at the counter, cancel before pickup, expiry.

A reserved redemption is closed exactly once: every path locks its row (``FOR UPDATE``) and
checks the state under the lock. Releasing gives everything back in the checkout's lock order
(goods by id, sessions by id, the bookings, then the ledger), for one redemption or a batch of
them, so a release never deadlocks a checkout, a cancel or another release.

**Expiry, judged on read.** A reserved redemption past its ``deadline`` reads as expired
(:func:`status`) and cannot be written off or cancelled (``REDEMPTION_EXPIRED``). Its hold expired
at the same moment (the hold carries ``expires_at = deadline``), so the person's balance is right
at once. What it still reserves is released by whichever comes first: the worker
(:func:`expire_due`), or a checkout that wants the same stock, places or slot
(:func:`release_expired`, in the checkout's own transaction before it takes anything, the way
the ledger voids expired holds before refusing a debit). Expiry by another transaction takes rows
with ``SKIP LOCKED``: a redemption someone else is closing is left to them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, exists, or_, select, update
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
from services.notices import about
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


async def lock_items(
    session: AsyncSession, goods_ids: Iterable[uuid.UUID], session_ids: Iterable[uuid.UUID]
) -> None:
    """Lock goods rows, then session rows, each in id order: the one order in which every
    checkout and every release takes them, so none of them waits for another in a cycle."""
    if goods := sorted(set(goods_ids)):
        await session.execute(
            select(Goods.id).where(Goods.id.in_(goods)).order_by(Goods.id).with_for_update()
        )
    if sittings := sorted(set(session_ids)):
        await session.execute(
            select(ServiceSession.id)
            .where(ServiceSession.id.in_(sittings))
            .order_by(ServiceSession.id)
            .with_for_update()
        )


async def _release(
    session: AsyncSession,
    redemptions: Sequence[Redemption],
    to: RedemptionState,
    *,
    actor_id: uuid.UUID | None,
    reason: str,
) -> None:
    """Give back stock, places and slots, void the holds, close the redemptions (rows locked).

    However many redemptions, goods are given back in id order, then places in id order (the
    checkout's order), then the bookings, then the ledger community by community: releasing
    redemption A (goods 2) then B (goods 1) one by one would lock goods 2 before goods 1 and
    deadlock with a cancel or checkout that locks 1 then 2.
    """
    if not redemptions:
        return
    lines = list(
        await session.scalars(
            select(RedemptionLine).where(
                RedemptionLine.redemption_id.in_([r.id for r in redemptions])
            )
        )
    )
    goods: dict[uuid.UUID, int] = defaultdict(int)
    places: dict[uuid.UUID, int] = defaultdict(int)
    community_of: dict[uuid.UUID, uuid.UUID] = {}
    for line in lines:
        item = line.goods_id if line.kind is LineKind.GOODS else line.session_id
        if item is None or line.kind is LineKind.VENUE:
            continue
        (goods if line.kind is LineKind.GOODS else places)[item] += line.quantity
        community_of[item] = line.community_id
    for goods_id in sorted(goods):
        await session.execute(
            update(Goods).where(Goods.id == goods_id).values(stock=Goods.stock + goods[goods_id])
        )
        stock_changed(session, goods_id, community_of[goods_id])
    for session_id in sorted(places):
        await session.execute(
            update(ServiceSession)
            .where(ServiceSession.id == session_id)
            .values(places_taken=ServiceSession.places_taken - places[session_id])
        )
        await _tell_the_queue(session, session_id, places[session_id], community_of[session_id])
    await session.execute(
        update(VenueBooking)
        .where(VenueBooking.redemption_id.in_([r.id for r in redemptions]))
        .values(active=False)
    )
    for redemption in sorted(redemptions, key=lambda r: (str(r.community_id), str(r.id))):
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
        await about.redemption(session, redemption)
    await session.flush()


async def expire_due(
    session: AsyncSession, *, now: datetime | None = None, limit: int = 200
) -> int:
    """For the worker: expire up to ``limit`` reserved redemptions past their deadline."""
    moment = now or clock.now()
    rows = list(
        await session.scalars(
            select(Redemption)
            .where(Redemption.state == RedemptionState.RESERVED, Redemption.deadline <= moment)
            .order_by(Redemption.community_id, Redemption.deadline, Redemption.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    await _release(session, rows, RedemptionState.EXPIRED, actor_id=None, reason=EXPIRED_REASON)
    return len(rows)


async def release_expired(
    session: AsyncSession,
    *,
    goods_ids: Collection[uuid.UUID] = (),
    session_ids: Collection[uuid.UUID] = (),
    venue_id: uuid.UUID | None = None,
    blocked: Range[datetime] | None = None,
) -> int:
    """For a checkout, before it takes anything: expire the overdue redemptions that still
    reserve these goods, session places or venue range, and lock the checkout's own goods and
    sessions with theirs, all in id order (:func:`lock_items`). Taking them afterwards waits for
    nobody, so a checkout's release never deadlocks another checkout's."""
    now = clock.now()
    holds: list[ColumnElement[bool]] = []
    if goods_ids or session_ids:
        holds.append(
            exists().where(
                RedemptionLine.redemption_id == Redemption.id,
                or_(
                    RedemptionLine.goods_id.in_(list(goods_ids)),
                    RedemptionLine.session_id.in_(list(session_ids)),
                ),
            )
        )
    if venue_id is not None and blocked is not None:
        holds.append(
            exists().where(
                VenueBooking.redemption_id == Redemption.id,
                VenueBooking.venue_id == venue_id,
                VenueBooking.active,
                VenueBooking.blocked.overlaps(blocked),
            )
        )
    if not holds:
        return 0
    rows = list(
        await session.scalars(
            select(Redemption)
            .where(
                Redemption.state == RedemptionState.RESERVED,
                Redemption.deadline <= now,
                or_(*holds),
            )
            .order_by(Redemption.id)
            .limit(100)
            .with_for_update(skip_locked=True)
        )
    )
    if not rows:
        return 0
    theirs = (
        await session.execute(
            select(RedemptionLine.goods_id, RedemptionLine.session_id).where(
                RedemptionLine.redemption_id.in_([r.id for r in rows])
            )
        )
    ).all()
    await lock_items(
        session,
        [*goods_ids, *(g for g, _ in theirs if g is not None)],
        [*session_ids, *(s for _, s in theirs if s is not None)],
    )
    await _release(session, rows, RedemptionState.EXPIRED, actor_id=None, reason=EXPIRED_REASON)
    return len(rows)


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
            [redemption],
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
    await about.redemption(session, redemption)
    await session.flush()
    return redemption
