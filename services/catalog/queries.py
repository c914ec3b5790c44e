"""Reading the catalog: goods, venues and their free slots, services and their sessions.

A community's active catalog is readable by anyone signed in (it is public, read-mostly data);
its managers also see inactive items. Free slots are computed, not stored: every slot of the
opening hours, minus blackout dates, minus slots whose ``[start, end + buffer)`` overlaps a live
booking (an overdue reserved one does not count: it is judged expired on read), minus slots too
soon for the minimum notice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.authz import Actor, Permission, allows, scope
from services.catalog import windows
from services.catalog.models import Goods, Service, ServiceSession, Venue, VenueOpening
from services.errors import DomainError, ErrorCode
from services.ledger import queries as ledger_queries
from services.ledger.models import PointKind
from services.orgs.models import OrgUnit
from services.pagination import Page, keyset_page
from services.redemptions.models import Redemption, RedemptionState, VenueBooking

MAX_DAYS = 31


async def _manages(session: AsyncSession, actor: Actor, community_id: uuid.UUID) -> bool:
    path = await session.scalar(select(OrgUnit.path).where(OrgUnit.id == community_id))
    return path is not None and allows(actor, Permission.CATALOG_MANAGE, path)


def sees_customer_catalog(actor: Actor) -> bool:
    """Does ``actor`` see every community's goods as any customer does (active goods only, what
    :func:`list_goods` shows)? Not when they manage a catalog anywhere: then what they see
    depends on which (the response cache shares answers by this)."""
    return not scope(actor, Permission.CATALOG_MANAGE)


async def list_goods(
    session: AsyncSession,
    actor: Actor,
    *,
    community_id: uuid.UUID,
    in_stock: bool = False,
    affordable: bool = False,
    point_kind: PointKind | None = None,
    first: int,
    after: str | None = None,
) -> Page[Goods]:
    """The community's goods by name. ``affordable``: priced within my available points in a kind
    the goods accepts."""
    stmt = select(Goods).where(Goods.community_id == community_id)
    if not await _manages(session, actor, community_id):
        stmt = stmt.where(Goods.active)
    if in_stock:
        stmt = stmt.where(Goods.stock > 0)
    if point_kind is not None:
        stmt = stmt.where(Goods.point_kinds.contains([point_kind.value]))
    if affordable:
        balances = await ledger_queries.balances(session, actor.person_id)
        within: list[ColumnElement[bool]] = [
            and_(Goods.point_kinds.contains([b.point_kind.value]), Goods.price <= b.available)
            for b in balances
            if point_kind is None or b.point_kind is point_kind
        ]
        stmt = stmt.where(or_(false(), *within))
    return await keyset_page(session, stmt, (Goods.name, Goods.id), first=first, after=after)


async def low_stock(session: AsyncSession, actor: Actor, *, community_id: uuid.UUID) -> list[Goods]:
    """Active goods at or below their low-stock mark, emptiest first (managers only)."""
    if not await _manages(session, actor, community_id):
        raise DomainError(ErrorCode.FORBIDDEN)
    rows = await session.scalars(
        select(Goods)
        .where(Goods.community_id == community_id, Goods.active, Goods.stock <= Goods.low_stock_at)
        .order_by(Goods.stock, Goods.name, Goods.id)
    )
    return list(rows)


async def list_venues(
    session: AsyncSession, actor: Actor, *, community_id: uuid.UUID
) -> list[Venue]:
    stmt = select(Venue).where(Venue.community_id == community_id)
    if not await _manages(session, actor, community_id):
        stmt = stmt.where(Venue.active)
    return list(await session.scalars(stmt.order_by(Venue.name, Venue.id)))


async def list_services(
    session: AsyncSession, actor: Actor, *, community_id: uuid.UUID
) -> list[Service]:
    stmt = select(Service).where(Service.community_id == community_id)
    if not await _manages(session, actor, community_id):
        stmt = stmt.where(Service.active)
    return list(await session.scalars(stmt.order_by(Service.name, Service.id)))


async def list_sessions(
    session: AsyncSession,
    *,
    community_id: uuid.UUID,
    service_id: uuid.UUID | None = None,
    upcoming: bool = True,
    with_places: bool = False,
) -> list[ServiceSession]:
    stmt = (
        select(ServiceSession)
        .join(Service, Service.id == ServiceSession.service_id)
        .where(ServiceSession.community_id == community_id, Service.active)
    )
    if service_id is not None:
        stmt = stmt.where(ServiceSession.service_id == service_id)
    if upcoming:
        stmt = stmt.where(ServiceSession.starts_at > clock.now())
    if with_places:
        stmt = stmt.where(ServiceSession.places_taken < ServiceSession.capacity)
    rows = await session.scalars(
        stmt.order_by(ServiceSession.starts_at, ServiceSession.id).limit(200)
    )
    return list(rows)


async def venues_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Venue]:
    return {v.id: v for v in await session.scalars(select(Venue).where(Venue.id.in_(ids)))}


async def goods_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Goods]:
    return {g.id: g for g in await session.scalars(select(Goods).where(Goods.id.in_(ids)))}


async def services_by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Service]:
    return {s.id: s for s in await session.scalars(select(Service).where(Service.id.in_(ids)))}


async def sessions_by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ServiceSession]:
    rows = await session.scalars(select(ServiceSession).where(ServiceSession.id.in_(ids)))
    return {s.id: s for s in rows}


async def openings_of(
    session: AsyncSession, venue_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[VenueOpening]]:
    found: dict[uuid.UUID, list[VenueOpening]] = {}
    rows = await session.scalars(
        select(VenueOpening)
        .where(VenueOpening.venue_id.in_(venue_ids))
        .order_by(VenueOpening.weekday)
    )
    for row in rows:
        found.setdefault(row.venue_id, []).append(row)
    return found


@dataclass(frozen=True, slots=True)
class Slot:
    starts_at: datetime
    ends_at: datetime


def live_booking(now: datetime) -> ColumnElement[bool]:
    """Bookings that still hold their slot: active, and not a reserved redemption past due."""
    overdue = select(Redemption.id).where(
        Redemption.id == VenueBooking.redemption_id,
        Redemption.state == RedemptionState.RESERVED,
        Redemption.deadline <= now,
    )
    return and_(VenueBooking.active, ~overdue.exists())


async def free_slots(
    session: AsyncSession, *, venue_id: uuid.UUID, first_day: date, last_day: date
) -> list[Slot]:
    """The venue's bookable one-slot periods from ``first_day`` to ``last_day`` (local dates)."""
    venue = await session.get(Venue, venue_id)
    if venue is None or not venue.active:
        raise DomainError(ErrorCode.NOT_FOUND, field="venueId")
    windows.check_day(first_day, field="firstDay")
    windows.check_day(last_day, field="lastDay")
    if last_day < first_day or (last_day - first_day).days >= MAX_DAYS:
        raise DomainError(ErrorCode.INVALID_VALUE, field="lastDay", max=MAX_DAYS)
    now = clock.now()
    hours = {o.weekday: o for o in (await openings_of(session, [venue.id])).get(venue.id, [])}
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=clock.LOCAL)
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=clock.LOCAL)
    taken = [
        b.blocked
        for b in await session.scalars(
            select(VenueBooking).where(
                VenueBooking.venue_id == venue.id,
                VenueBooking.blocked.overlaps(Range(start - timedelta(days=1), end)),
                live_booking(now),
            )
        )
    ]
    buffer = timedelta(minutes=venue.buffer_minutes)
    step = timedelta(minutes=venue.slot_minutes)
    earliest = now + timedelta(minutes=venue.min_notice_minutes)
    slots: list[Slot] = []
    day = first_day
    while day <= last_day:
        opening = hours.get(day.isoweekday())
        if opening is not None and day not in venue.blackout_dates:
            at = datetime.combine(day, opening.opens, tzinfo=clock.LOCAL)
            closes = datetime.combine(day, opening.closes, tzinfo=clock.LOCAL)
            while at + step <= closes:
                wanted = Range(at, at + step + buffer)
                if at > now and at >= earliest and not any(_overlap(wanted, b) for b in taken):
                    slots.append(Slot(at, at + step))
                at += step
        day += timedelta(days=1)
    return slots


def _overlap(a: Range[datetime], b: Range[datetime]) -> bool:
    if a.lower is None or a.upper is None or b.lower is None or b.upper is None:
        return True  # unbounded ranges never occur here; treat them as taken
    return a.lower < b.upper and b.lower < a.upper


async def get_visible(
    session: AsyncSession,
    actor: Actor,
    model: type[Goods] | type[Venue] | type[Service] | type[ServiceSession],
    item_id: uuid.UUID,
) -> Goods | Venue | Service | ServiceSession | None:
    """One catalog item for ``node(id:)``: active ones for anyone, inactive ones for managers."""
    item: Goods | Venue | Service | ServiceSession | None = await session.get(model, item_id)
    if item is None:
        return None
    if isinstance(item, ServiceSession):
        service = await session.get(Service, item.service_id)
        active = service is not None and service.active
    else:
        active = item.active
    if active or await _manages(session, actor, item.community_id):
        return item
    return None
