"""Keeping a community's catalog: goods and their stock, venues, services and sessions, windows.

Only the community's admins (CATALOG_MANAGE over the community: its community admins and the
street admins above) change it. Stock moves here only with a reason, recorded in
``goods_stock_movement``; the change is one guarded UPDATE, so a correction racing checkouts never
takes the stock below zero (``OUT_OF_STOCK``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import validation
from services.authz import Actor, Permission, require
from services.catalog.models import (
    DESCRIPTION_MAX,
    NAME_MAX,
    REASON_MAX,
    URL_MAX,
    ExchangeSettings,
    ExchangeWindow,
    Goods,
    LimitPeriod,
    Service,
    ServiceSession,
    StockMovement,
    Venue,
    VenueOpening,
    WindowKind,
)
from services.errors import DomainError, ErrorCode
from services.events import outbox, versions
from services.events.outbox import Topic
from services.ledger.models import PointKind
from services.orgs.models import OrgUnit, UnitKind
from services.orgs.service import require_unit

MAX_PRICE = 10_000
MAX_STOCK = 1_000_000


async def require_manager(session: AsyncSession, actor: Actor, community_id: uuid.UUID) -> OrgUnit:
    community = await require_unit(
        session, community_id, kinds=[UnitKind.COMMUNITY], field="communityId"
    )
    require(actor, Permission.CATALOG_MANAGE, community.path)
    return community


def stock_changed(session: AsyncSession, goods: Goods | uuid.UUID, community_id: uuid.UUID) -> None:
    """Tell subscribers, and the response cache, that a community's goods changed."""
    goods_id = goods.id if isinstance(goods, Goods) else goods
    versions.touch(session, versions.catalog(community_id))
    outbox.emit(
        session,
        Topic.STOCK_CHANGED,
        channels=[outbox.community_channel(community_id)],
        payload={"goodsId": str(goods_id)},
        community_id=community_id,
    )


def _kinds(kinds: Sequence[PointKind]) -> list[str]:
    if not kinds:
        raise DomainError(ErrorCode.REQUIRED, field="pointKinds")
    return sorted({kind.value for kind in kinds})


def _price(value: int, field: str) -> int:
    if not 0 < value <= MAX_PRICE:
        raise DomainError(ErrorCode.INVALID_VALUE, field=field)
    return value


def _text(value: str | None, field: str, max_length: int) -> str:
    return validation.text(value, field=field, max_length=max_length, required=False) or ""


@dataclass(frozen=True, slots=True)
class GoodsDraft:
    name: str
    price: int
    point_kinds: Sequence[PointKind] = (PointKind.GRID, PointKind.WORK)
    description: str = ""
    picture_url: str | None = None
    stock: int = 0
    low_stock_at: int = 5
    limit_per_person: int | None = None
    limit_period: LimitPeriod | None = None
    active: bool = True


def _apply_goods(goods: Goods, draft: GoodsDraft) -> None:
    if (draft.limit_per_person is None) != (draft.limit_period is None) or (
        draft.limit_per_person is not None and draft.limit_per_person <= 0
    ):
        raise DomainError(ErrorCode.INVALID_VALUE, field="limitPerPerson")
    if not 0 <= draft.low_stock_at <= MAX_STOCK:
        raise DomainError(ErrorCode.INVALID_VALUE, field="lowStockAt")
    goods.name = validation.required_text(draft.name, field="name", max_length=NAME_MAX)
    goods.description = _text(draft.description, "description", DESCRIPTION_MAX)
    goods.picture_url = validation.text(
        draft.picture_url, field="pictureUrl", max_length=URL_MAX, required=False
    )
    goods.price = _price(draft.price, "price")
    goods.point_kinds = _kinds(draft.point_kinds)
    goods.low_stock_at = draft.low_stock_at
    goods.limit_per_person = draft.limit_per_person
    goods.limit_period = draft.limit_period
    goods.active = draft.active


async def create_goods(
    session: AsyncSession, actor: Actor, *, community_id: uuid.UUID, draft: GoodsDraft
) -> Goods:
    await require_manager(session, actor, community_id)
    if not 0 <= draft.stock <= MAX_STOCK:
        raise DomainError(ErrorCode.INVALID_VALUE, field="stock")
    goods = Goods(community_id=community_id, stock=0)
    _apply_goods(goods, draft)
    session.add(goods)
    await session.flush()
    if draft.stock:
        return await adjust_stock(
            session, actor, goods_id=goods.id, delta=draft.stock, reason="初始库存"
        )
    stock_changed(session, goods, community_id)
    return goods


async def _goods(session: AsyncSession, goods_id: uuid.UUID) -> Goods:
    goods = await session.get(Goods, goods_id)
    if goods is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="goodsId")
    return goods


async def update_goods(
    session: AsyncSession, actor: Actor, *, goods_id: uuid.UUID, draft: GoodsDraft
) -> Goods:
    """Change everything but the stock (that moves through :func:`adjust_stock`)."""
    goods = await _goods(session, goods_id)
    await require_manager(session, actor, goods.community_id)
    _apply_goods(goods, draft)
    await session.flush()
    stock_changed(session, goods, goods.community_id)
    return goods


async def adjust_stock(
    session: AsyncSession, actor: Actor, *, goods_id: uuid.UUID, delta: int, reason: str
) -> Goods:
    """Restock (``delta`` > 0) or correct (< 0, never below zero), with a reason kept."""
    goods = await _goods(session, goods_id)
    await require_manager(session, actor, goods.community_id)
    text = validation.required_text(reason, field="reason", max_length=REASON_MAX)
    if delta == 0 or abs(delta) > MAX_STOCK:
        raise DomainError(ErrorCode.INVALID_VALUE, field="delta")
    after = await session.scalar(
        update(Goods)
        .where(Goods.id == goods.id, Goods.stock + delta >= 0, Goods.stock + delta <= MAX_STOCK)
        .values(stock=Goods.stock + delta)
        .returning(Goods.stock)
    )
    if after is None:  # below zero is out of stock; above the most a shelf may hold, a bad value
        code = ErrorCode.OUT_OF_STOCK if delta < 0 else ErrorCode.INVALID_VALUE
        raise DomainError(code, field="delta", name=goods.name)
    session.add(
        StockMovement(
            community_id=goods.community_id,
            goods_id=goods.id,
            delta=delta,
            stock_after=after,
            reason=text,
            actor_id=actor.person_id,
        )
    )
    await session.flush()
    await session.refresh(goods)
    stock_changed(session, goods, goods.community_id)
    return goods


async def stock_history(
    session: AsyncSession, actor: Actor, *, goods_id: uuid.UUID
) -> list[StockMovement]:
    goods = await _goods(session, goods_id)
    await require_manager(session, actor, goods.community_id)
    rows = await session.scalars(
        select(StockMovement)
        .where(StockMovement.goods_id == goods.id)
        .order_by(StockMovement.seq.desc())
    )
    return list(rows)


@dataclass(frozen=True, slots=True)
class Opening:
    weekday: int  # ISO: 1 = Monday
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class VenueDraft:
    name: str
    capacity: int
    slot_minutes: int
    max_booking_minutes: int
    price_per_slot: int
    hours: Sequence[Opening]
    point_kinds: Sequence[PointKind] = (PointKind.GRID, PointKind.WORK)
    description: str = ""
    picture_url: str | None = None
    min_notice_minutes: int = 0
    buffer_minutes: int = 0
    weekly_quota: int | None = None
    blackout_dates: Sequence[date] = ()
    active: bool = True


SESSION_MAX = timedelta(days=1)  # a sitting of a service (childcare, a class) is within a day
BLACKOUTS_MAX = 366


def _apply_venue(venue: Venue, draft: VenueDraft) -> None:
    if len(draft.blackout_dates) > BLACKOUTS_MAX:
        raise DomainError(ErrorCode.INVALID_VALUE, field="blackoutDates")
    for day in draft.blackout_dates:  # the product's window (issue 13, item 6)
        validation.day(day, field="blackoutDates")
    checks = (
        ("capacity", 0 < draft.capacity <= 10_000),
        ("slotMinutes", 5 <= draft.slot_minutes <= 1440),
        ("maxBookingMinutes", draft.slot_minutes <= draft.max_booking_minutes <= 7 * 1440),
        ("minNoticeMinutes", 0 <= draft.min_notice_minutes <= 60 * 1440),
        ("bufferMinutes", 0 <= draft.buffer_minutes <= 1440),
        ("weeklyQuota", draft.weekly_quota is None or 0 < draft.weekly_quota <= 1000),
    )
    for field, ok in checks:
        if not ok:
            raise DomainError(ErrorCode.INVALID_VALUE, field=field)
    days = [opening.weekday for opening in draft.hours]
    if len(set(days)) != len(days) or not all(
        1 <= o.weekday <= 7 and o.opens < o.closes for o in draft.hours
    ):
        raise DomainError(ErrorCode.INVALID_VALUE, field="hours")
    venue.name = validation.required_text(draft.name, field="name", max_length=NAME_MAX)
    venue.description = _text(draft.description, "description", DESCRIPTION_MAX)
    venue.picture_url = validation.text(
        draft.picture_url, field="pictureUrl", max_length=URL_MAX, required=False
    )
    venue.capacity = draft.capacity
    venue.slot_minutes = draft.slot_minutes
    venue.max_booking_minutes = draft.max_booking_minutes
    venue.min_notice_minutes = draft.min_notice_minutes
    venue.buffer_minutes = draft.buffer_minutes
    venue.weekly_quota = draft.weekly_quota
    venue.price_per_slot = _price(draft.price_per_slot, "pricePerSlot")
    venue.point_kinds = _kinds(draft.point_kinds)
    venue.blackout_dates = sorted(set(draft.blackout_dates))
    venue.active = draft.active


async def _set_hours(session: AsyncSession, venue: Venue, hours: Sequence[Opening]) -> None:
    await session.execute(delete(VenueOpening).where(VenueOpening.venue_id == venue.id))
    for o in hours:
        session.add(
            VenueOpening(
                venue_id=venue.id,
                community_id=venue.community_id,
                weekday=o.weekday,
                opens=o.opens,
                closes=o.closes,
            )
        )
    await session.flush()


async def create_venue(
    session: AsyncSession, actor: Actor, *, community_id: uuid.UUID, draft: VenueDraft
) -> Venue:
    await require_manager(session, actor, community_id)
    venue = Venue(community_id=community_id)
    _apply_venue(venue, draft)
    session.add(venue)
    await session.flush()
    await _set_hours(session, venue, draft.hours)
    return venue


async def update_venue(
    session: AsyncSession, actor: Actor, *, venue_id: uuid.UUID, draft: VenueDraft
) -> Venue:
    """Change a venue (hours and blackouts included); existing bookings stand."""
    venue = await session.get(Venue, venue_id)
    if venue is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="venueId")
    await require_manager(session, actor, venue.community_id)
    _apply_venue(venue, draft)
    await _set_hours(session, venue, draft.hours)
    return venue


async def create_service(
    session: AsyncSession,
    actor: Actor,
    *,
    community_id: uuid.UUID,
    name: str,
    description: str = "",
    picture_url: str | None = None,
    point_kinds: Sequence[PointKind] = (PointKind.GRID, PointKind.WORK),
) -> Service:
    await require_manager(session, actor, community_id)
    service = Service(
        community_id=community_id,
        name=validation.required_text(name, field="name", max_length=NAME_MAX),
        description=_text(description, "description", DESCRIPTION_MAX),
        picture_url=validation.text(
            picture_url, field="pictureUrl", max_length=URL_MAX, required=False
        ),
        point_kinds=_kinds(point_kinds),
    )
    session.add(service)
    await session.flush()
    return service


async def create_session(
    session: AsyncSession,
    actor: Actor,
    *,
    service_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    price: int,
) -> ServiceSession:
    validation.moment(starts_at, field="startsAt")  # the product's window (issue 13, item 6)
    validation.moment(ends_at, field="endsAt")
    validation.time_range(starts_at, ends_at, field="endsAt", max_length=SESSION_MAX)
    service = await session.get(Service, service_id)
    if service is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="serviceId")
    await require_manager(session, actor, service.community_id)
    if not 0 < capacity <= 10_000:
        raise DomainError(ErrorCode.INVALID_VALUE, field="capacity")
    sitting = ServiceSession(
        community_id=service.community_id,
        service_id=service.id,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        price=_price(price, "price"),
    )
    session.add(sitting)
    await session.flush()
    return sitting


@dataclass(frozen=True, slots=True)
class WindowRule:
    kind: WindowKind
    weekday: int | None = None
    days: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None


def _checked_rule(rule: WindowRule) -> WindowRule:
    for day, field in ((rule.starts_on, "startsOn"), (rule.ends_on, "endsOn")):
        if day is not None:  # the product's window (issue 13, item 6)
            validation.day(day, field=field)
    ok = {
        WindowKind.WEEKDAY: rule.weekday is not None and 1 <= rule.weekday <= 7,
        WindowKind.MONTH_END: rule.days is not None and 1 <= rule.days <= 31,
        WindowKind.QUARTER_END: rule.days is not None and 1 <= rule.days <= 31,
        WindowKind.DATES: rule.starts_on is not None
        and rule.ends_on is not None
        and rule.starts_on <= rule.ends_on,
    }[rule.kind]
    if not ok:
        raise DomainError(ErrorCode.INVALID_VALUE, field="windows")
    keep_days = rule.kind in (WindowKind.MONTH_END, WindowKind.QUARTER_END)
    return WindowRule(
        kind=rule.kind,
        weekday=rule.weekday if rule.kind is WindowKind.WEEKDAY else None,
        days=rule.days if keep_days else None,
        starts_on=rule.starts_on if rule.kind is WindowKind.DATES else None,
        ends_on=rule.ends_on if rule.kind is WindowKind.DATES else None,
    )


async def set_exchange_settings(
    session: AsyncSession,
    actor: Actor,
    *,
    community_id: uuid.UUID,
    pickup_days: int,
    grace_minutes: int,
    windows: Sequence[WindowRule],
) -> ExchangeSettings:
    """Replace the community's pickup deadline, venue grace time and windows (none: always open)."""
    await require_manager(session, actor, community_id)
    if not 1 <= pickup_days <= 60:
        raise DomainError(ErrorCode.INVALID_VALUE, field="pickupDays")
    if not 0 <= grace_minutes <= 1440:
        raise DomainError(ErrorCode.INVALID_VALUE, field="graceMinutes")
    rules = [_checked_rule(rule) for rule in windows]
    settings = await session.get(ExchangeSettings, community_id)
    if settings is None:
        settings = ExchangeSettings(community_id=community_id)
        session.add(settings)
    settings.pickup_days = pickup_days
    settings.grace_minutes = grace_minutes
    await session.execute(delete(ExchangeWindow).where(ExchangeWindow.community_id == community_id))
    for rule in rules:
        session.add(
            ExchangeWindow(
                community_id=community_id,
                kind=rule.kind,
                weekday=rule.weekday,
                days=rule.days,
                starts_on=rule.starts_on,
                ends_on=rule.ends_on,
            )
        )
    await session.flush()
    return settings
