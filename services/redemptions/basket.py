"""Checkout: one basket (goods, at most one venue booking, session places), all or nothing.

In one transaction, in this order (the order every release uses too, so they never deadlock):

1. the idempotency key (:func:`services.ledger.idempotency.run_once`), then a per-person advisory
   lock, so one person's checkouts run one at a time and their limits and quotas count right;
2. goods by id: ``UPDATE goods SET stock = stock - n WHERE stock >= n RETURNING`` (never below
   zero, ``OUT_OF_STOCK``);
3. sessions by id: ``places_taken + n <= capacity`` likewise (``SESSION_FULL``);
4. the venue booking: an INSERT the exclusion constraint accepts or refuses (``SLOT_TAKEN``);
5. one ledger hold for the total (person account → the community's exchange sink, cause
   REDEMPTION, ``expires_at`` = the pickup deadline): ``INSUFFICIENT_POINTS``;
6. the redemption row with a fresh pickup code, its lines, and the outbox events.

Before step 2, overdue redemptions still holding any of the basket's goods, places or venue range
are released (:func:`services.redemptions.lifecycle.release_expired`), with the basket's goods and
sessions locked together with theirs in id order: a release in the middle of the guards would lock
goods out of order and could deadlock two checkouts. Any :class:`DomainError` leaves the caller's
savepoint to undo the whole basket.

The pickup deadline: a basket with a venue booking or a session is picked up by the earliest of
their starts plus the community's grace time (goods come along on that visit); goods alone, within
the community's pickup days.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, bindparam, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import Range, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock, validation
from services.authz import Actor
from services.catalog import windows
from services.catalog.models import Goods, LimitPeriod, ServiceSession, Venue, VenueOpening
from services.catalog.service import stock_changed
from services.errors import DomainError, ErrorCode
from services.ledger import idempotency
from services.ledger import service as ledger
from services.ledger.models import AccountType, Cause, PointKind
from services.notices import about
from services.orgs.models import Household
from services.redemptions import lifecycle
from services.redemptions.models import (
    CODE_LENGTH,
    NO_DOUBLE_BOOKING,
    LineKind,
    Redemption,
    RedemptionLine,
    RedemptionState,
    VenueBooking,
)

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud, typed by staff
MAX_QUANTITY = 100
MAX_LINES = 50

BOOKING_MAX = timedelta(days=7)  # a venue's longest booking may be set up to a week


@dataclass(frozen=True, slots=True)
class GoodsLine:
    goods_id: uuid.UUID
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class VenueLine:
    venue_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class SessionLine:
    session_id: uuid.UUID
    places: int = 1


@dataclass(frozen=True, slots=True)
class Basket:
    point_kind: PointKind
    goods: Sequence[GoodsLine] = field(default=())
    venue: VenueLine | None = None
    sessions: Sequence[SessionLine] = field(default=())

    def fingerprint(self) -> str:
        """The basket as canonical JSON (the idempotency request)."""
        body = {
            "kind": self.point_kind.value,
            "goods": sorted([str(g.goods_id), g.quantity] for g in self.goods),
            "venue": [
                str(self.venue.venue_id),
                self.venue.starts_at.isoformat(),
                self.venue.ends_at.isoformat(),
            ]
            if self.venue
            else None,
            "sessions": sorted([str(s.session_id), s.places] for s in self.sessions),
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"))


def pickup_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


@dataclass
class _Line:
    kind: LineKind
    title: str
    quantity: int
    points: int
    goods_id: uuid.UUID | None = None
    venue_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None


async def checkout(
    session: AsyncSession, actor: Actor, *, basket: Basket, idempotency_key: str
) -> Redemption:
    """Redeem the basket in the actor's community; the redemption, with its pickup code."""

    async def work() -> idempotency.Result:
        redemption = await _checkout(session, actor, basket)
        return {"redemption_id": str(redemption.id)}

    result = await idempotency.run_once(
        session,
        actor_id=actor.person_id,
        key=idempotency_key,
        operation="redemption.checkout",
        request={"basket": basket.fingerprint()},
        work=work,
    )
    found = await session.get(Redemption, uuid.UUID(result["redemption_id"]))
    assert found is not None
    return found


def _merged_goods(lines: Sequence[GoodsLine]) -> dict[uuid.UUID, int]:
    merged: dict[uuid.UUID, int] = {}
    for line in lines:
        if not 0 < line.quantity <= MAX_QUANTITY:
            raise DomainError(ErrorCode.INVALID_VALUE, field="quantity")
        merged[line.goods_id] = merged.get(line.goods_id, 0) + line.quantity
    return merged


async def _checkout(session: AsyncSession, actor: Actor, basket: Basket) -> Redemption:
    goods_wanted = _merged_goods(basket.goods)
    places_wanted: dict[uuid.UUID, int] = {}
    for wanted in basket.sessions:
        if not 0 < wanted.places <= MAX_QUANTITY:
            raise DomainError(ErrorCode.INVALID_VALUE, field="places")
        places_wanted[wanted.session_id] = places_wanted.get(wanted.session_id, 0) + wanted.places
    if not goods_wanted and not places_wanted and basket.venue is None:
        raise DomainError(ErrorCode.EMPTY_BASKET)
    if len(goods_wanted) + len(places_wanted) > MAX_LINES:
        raise DomainError(ErrorCode.INVALID_VALUE, field="goods")
    community_id = actor.community_id
    if community_id is None:
        raise DomainError(ErrorCode.NO_HOME_COMMUNITY)
    now = clock.now()
    open_windows, today = await windows.windows_of(session, community_id), clock.local_date(now)
    if not windows.is_open(open_windows, today):
        opens = windows.next_open(open_windows, today)
        raise DomainError(ErrorCode.WINDOW_CLOSED, opens_at=opens.isoformat() if opens else "—")
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"redeem:{actor.person_id}", 0)))
    )
    if basket.venue is not None:  # before anything reads the slot as a range (issue 13, item 6:
        # an end before the start failed in PostgreSQL's range constructor, an internal error)
        validation.moment(basket.venue.starts_at, field="startsAt")
        validation.moment(basket.venue.ends_at, field="endsAt")
        validation.time_range(
            basket.venue.starts_at, basket.venue.ends_at, field="endsAt", max_length=BOOKING_MAX
        )
    await _release_overdue(session, basket, goods_wanted, places_wanted)
    redemption_id = uuid.uuid4()
    kind = basket.point_kind.value
    lines: list[_Line] = []
    starts: list[datetime] = []
    for goods_id in sorted(goods_wanted):
        lines.append(
            await _take_goods(session, actor, community_id, goods_id, goods_wanted[goods_id], kind)
        )
    for session_id in sorted(places_wanted):
        line, starts_at = await _take_places(
            session, community_id, session_id, places_wanted[session_id], kind, actor.person_id
        )
        lines.append(line)
        starts.append(starts_at)
    if basket.venue is not None:
        lines.append(await _book(session, actor, community_id, basket.venue, kind, redemption_id))
        starts.append(basket.venue.starts_at)
    policy = await windows.policy(session, community_id)
    deadline = (
        min(starts) + timedelta(minutes=policy.grace_minutes)
        if starts
        else now + timedelta(days=policy.pickup_days)
    )
    total = sum(line.points for line in lines)
    account = await ledger.person_account(
        session, community_id=community_id, person_id=actor.person_id, kind=basket.point_kind
    )
    sink = await ledger.system_account(
        session, community_id=community_id, type=AccountType.EXCHANGE_SINK, kind=basket.point_kind
    )
    hold = await ledger.hold(
        session,
        community_id=community_id,
        debit_account_id=account.id,
        credit_account_id=sink.id,
        amount=total,
        kind=basket.point_kind,
        cause=Cause.REDEMPTION,
        cause_id=redemption_id,
        reason="积分兑换",
        actor_id=actor.person_id,
        expires_at=deadline,
    )
    grid_id = await session.scalar(
        select(Household.grid_id).where(Household.id == actor.household_id)
    )
    redemption = await _insert(
        session,
        id=redemption_id,
        community_id=community_id,
        person_id=actor.person_id,
        grid_id=grid_id,
        point_kind=basket.point_kind,
        total=total,
        hold_id=hold.id,
        state=RedemptionState.RESERVED,
        deadline=deadline,
        created_at=now,
    )
    for line in lines:
        session.add(
            RedemptionLine(
                community_id=community_id,
                redemption_id=redemption.id,
                kind=line.kind,
                goods_id=line.goods_id,
                venue_id=line.venue_id,
                session_id=line.session_id,
                title=line.title,
                quantity=line.quantity,
                points=line.points,
            )
        )
        if line.goods_id is not None:
            stock_changed(session, line.goods_id, community_id)
    lifecycle.changed(session, redemption)  # before the flush: one INSERT for all its events
    await session.flush()
    await about.redemption(session, redemption)
    return redemption


async def _release_overdue(
    session: AsyncSession,
    basket: Basket,
    goods_wanted: dict[uuid.UUID, int],
    places_wanted: dict[uuid.UUID, int],
) -> None:
    """Give back what overdue redemptions still hold of this basket, before taking anything."""
    venue_id, blocked = None, None
    if basket.venue is not None:
        venue = await session.get(Venue, basket.venue.venue_id)
        if venue is not None:
            venue_id = venue.id
            buffer = timedelta(minutes=venue.buffer_minutes)
            blocked = Range(basket.venue.starts_at, basket.venue.ends_at + buffer)
    await lifecycle.release_expired(
        session,
        goods_ids=list(goods_wanted),
        session_ids=list(places_wanted),
        venue_id=venue_id,
        blocked=blocked,
    )


async def _insert(session: AsyncSession, **values: Any) -> Redemption:
    """Insert with a fresh pickup code; a code already used in the community draws again.
    ``ON CONFLICT`` on the code, not a savepoint: two round trips fewer per checkout."""
    for _ in range(5):
        inserted = (
            insert(Redemption)
            .values(**values, pickup_code=pickup_code())
            .on_conflict_do_nothing(constraint="uq_redemption_community_code")
            .returning(Redemption)
        )
        redemption: Redemption | None = await session.scalar(
            select(Redemption).from_statement(inserted)
        )
        if redemption is not None:
            return redemption
    raise RuntimeError("no free pickup code after 5 draws")


def _period_start(period: LimitPeriod, today: date) -> date:
    if period is LimitPeriod.WEEK:
        return today - timedelta(days=today.isoweekday() - 1)
    if period is LimitPeriod.MONTH:
        return today.replace(day=1)
    if period is LimitPeriod.QUARTER:
        return date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return date(today.year, 1, 1)


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=clock.LOCAL)


def _counting(now: datetime) -> object:
    """Redemptions that count toward limits: fulfilled, or reserved and not yet overdue."""
    return or_(
        Redemption.state == RedemptionState.FULFILLED,
        (Redemption.state == RedemptionState.RESERVED) & (Redemption.deadline > now),
    )


async def _take_goods(
    session: AsyncSession,
    actor: Actor,
    community_id: uuid.UUID,
    goods_id: uuid.UUID,
    quantity: int,
    kind: str,
) -> _Line:
    goods = await session.get(Goods, goods_id)
    if goods is None or goods.community_id != community_id or not goods.active:
        raise DomainError(ErrorCode.NOT_FOUND, field="goodsId")
    if kind not in goods.point_kinds:
        raise DomainError(ErrorCode.KIND_NOT_ACCEPTED, field="pointKind")
    now = clock.now()
    if goods.limit_per_person is not None and goods.limit_period is not None:
        since = _local_midnight(_period_start(goods.limit_period, clock.local_date(now)))
        taken = await session.scalar(
            select(func.coalesce(func.sum(RedemptionLine.quantity), 0))
            .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
            .where(
                RedemptionLine.goods_id == goods.id,
                Redemption.person_id == actor.person_id,
                Redemption.created_at >= since,
                _counting(now),  # type: ignore[arg-type]
            )
        )
        if int(taken or 0) + quantity > goods.limit_per_person:
            raise DomainError(
                ErrorCode.LIMIT_REACHED, field="quantity", limit=goods.limit_per_person
            )
    left = await session.scalar(_TAKE_STOCK, {"the_goods": goods.id, "wanted": quantity})
    if left is None:
        raise DomainError(ErrorCode.OUT_OF_STOCK, field="goodsId", name=goods.name)
    return _Line(LineKind.GOODS, goods.name, quantity, goods.price * quantity, goods_id=goods.id)


# built once (values bound per call): building a statement costs more CPU than running this one
_TAKE_STOCK = (
    update(Goods)
    .where(
        Goods.id == bindparam("the_goods"),
        Goods.active,
        Goods.stock >= bindparam("wanted", type_=Integer),
    )
    .values(stock=Goods.stock - bindparam("wanted", type_=Integer))
    .returning(Goods.stock)
)


async def _take_places(
    session: AsyncSession,
    community_id: uuid.UUID,
    session_id: uuid.UUID,
    places: int,
    kind: str,
    person_id: uuid.UUID,
) -> tuple[_Line, datetime]:
    """Take places, leaving free ones to the people waiting ahead: a freed place goes to the
    waitlist in order (the first in line checks out), never to a newcomer. Taking a place ends
    the taker's own wait."""
    from services.catalog.models import Service, SessionWaitlist

    found = (
        await session.execute(
            select(ServiceSession, Service)
            .join(Service, Service.id == ServiceSession.service_id)
            .where(ServiceSession.id == session_id)
        )
    ).one_or_none()
    if found is None or found[0].community_id != community_id or not found[1].active:
        raise DomainError(ErrorCode.NOT_FOUND, field="sessionId")
    sitting, service = found
    if kind not in service.point_kinds:
        raise DomainError(ErrorCode.KIND_NOT_ACCEPTED, field="pointKind")
    if sitting.starts_at <= clock.now():
        raise DomainError(ErrorCode.TOO_LATE_TO_BOOK, field="sessionId")
    my_turn = (
        select(SessionWaitlist.seq)
        .where(SessionWaitlist.session_id == sitting.id, SessionWaitlist.person_id == person_id)
        .scalar_subquery()
    )
    ahead = (
        select(func.count())
        .where(
            SessionWaitlist.session_id == sitting.id,
            # not waiting: everyone in the queue is ahead
            SessionWaitlist.seq < func.coalesce(my_turn, literal(2**63 - 1, BigInteger)),
        )
        .scalar_subquery()
    )
    guarded = (
        update(ServiceSession)
        .where(
            ServiceSession.id == sitting.id,
            ServiceSession.places_taken + places + ahead <= ServiceSession.capacity,
        )
        .values(places_taken=ServiceSession.places_taken + places)
        .returning(ServiceSession.places_taken)
    )
    taken = await session.scalar(guarded)
    if taken is None:
        raise DomainError(ErrorCode.SESSION_FULL, field="sessionId", name=service.name)
    await session.execute(
        delete(SessionWaitlist).where(
            SessionWaitlist.session_id == sitting.id, SessionWaitlist.person_id == person_id
        )
    )
    line = _Line(
        LineKind.SESSION, service.name, places, sitting.price * places, session_id=sitting.id
    )
    return line, sitting.starts_at


async def check_slot(
    session: AsyncSession, venue: Venue, starts_at: datetime, ends_at: datetime
) -> int:
    """The number of slots ``[starts_at, ends_at)`` books, or the rule it breaks."""
    now = clock.now()
    length = (ends_at - starts_at).total_seconds() / 60
    if length <= 0:
        raise DomainError(ErrorCode.INVALID_TIME_WINDOW, field="endsAt")
    if length > venue.max_booking_minutes:
        raise DomainError(ErrorCode.BOOKING_TOO_LONG, field="endsAt", max=venue.max_booking_minutes)
    if starts_at < now + timedelta(minutes=venue.min_notice_minutes) or starts_at <= now:
        raise DomainError(ErrorCode.TOO_LATE_TO_BOOK, field="startsAt")
    local_start, local_end = starts_at.astimezone(clock.LOCAL), ends_at.astimezone(clock.LOCAL)
    day = local_start.date()
    opening = await session.get(VenueOpening, (venue.id, day.isoweekday()))
    if (
        opening is None
        or day in venue.blackout_dates
        or local_end.date() != day
        or local_start.time() < opening.opens
        or local_end.time() > opening.closes
    ):
        raise DomainError(ErrorCode.OUTSIDE_OPENING_HOURS, field="startsAt")
    from_opening = (
        local_start
        - local_start.replace(
            hour=opening.opens.hour, minute=opening.opens.minute, second=0, microsecond=0
        )
    ).total_seconds() / 60
    if from_opening % venue.slot_minutes or length % venue.slot_minutes:
        raise DomainError(ErrorCode.OUTSIDE_OPENING_HOURS, field="startsAt")
    return int(length // venue.slot_minutes)


async def _book(
    session: AsyncSession,
    actor: Actor,
    community_id: uuid.UUID,
    wanted: VenueLine,
    kind: str,
    redemption_id: uuid.UUID,
) -> _Line:
    venue = await session.get(Venue, wanted.venue_id)
    if venue is None or venue.community_id != community_id or not venue.active:
        raise DomainError(ErrorCode.NOT_FOUND, field="venueId")
    if kind not in venue.point_kinds:
        raise DomainError(ErrorCode.KIND_NOT_ACCEPTED, field="pointKind")
    slots = await check_slot(session, venue, wanted.starts_at, wanted.ends_at)
    if venue.weekly_quota is not None:
        local = wanted.starts_at.astimezone(clock.LOCAL).date()
        week = _local_midnight(local - timedelta(days=local.isoweekday() - 1))
        booked = await session.scalar(
            select(func.count())
            .select_from(VenueBooking)
            .join(Redemption, Redemption.id == VenueBooking.redemption_id)
            .where(
                VenueBooking.person_id == actor.person_id,
                VenueBooking.venue_id == venue.id,
                VenueBooking.starts_at >= week,
                VenueBooking.starts_at < week + timedelta(days=7),
                _counting(clock.now()),  # type: ignore[arg-type]
            )
        )
        if int(booked or 0) >= venue.weekly_quota:
            raise DomainError(ErrorCode.LIMIT_REACHED, field="venueId", limit=venue.weekly_quota)
    blocked = Range(wanted.starts_at, wanted.ends_at + timedelta(minutes=venue.buffer_minutes))
    try:
        async with session.begin_nested():
            session.add(
                VenueBooking(
                    community_id=community_id,
                    venue_id=venue.id,
                    redemption_id=redemption_id,
                    person_id=actor.person_id,
                    starts_at=wanted.starts_at,
                    ends_at=wanted.ends_at,
                    blocked=blocked,
                    active=True,
                )
            )
            await session.flush()
    except IntegrityError as error:
        if NO_DOUBLE_BOOKING in str(error.orig):
            raise DomainError(ErrorCode.SLOT_TAKEN, field="startsAt") from error
        raise
    return _Line(LineKind.VENUE, venue.name, slots, venue.price_per_slot * slots, venue_id=venue.id)
