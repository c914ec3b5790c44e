"""Reading redemptions: my own (with their codes), and the staff views of a community.

A resident reads only their own redemptions; staff holding REDEMPTION_FULFIL or CATALOG_MANAGE
over the community read its redemptions (:func:`readable`), so ``node(id:)`` shows what the
lists show. Statistics count fulfilled redemptions by the local month of their write-off.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.authz import ALL_UNITS, Actor, Permission, allows, scope
from services.catalog import windows
from services.catalog.queries import live_booking
from services.errors import DomainError, ErrorCode
from services.orgs.models import OrgUnit
from services.pagination import Page, keyset_page
from services.redemptions.models import (
    LineKind,
    Redemption,
    RedemptionLine,
    RedemptionState,
    VenueBooking,
)

STAFF = (Permission.REDEMPTION_FULFIL, Permission.CATALOG_MANAGE)


def readable(actor: Actor) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [Redemption.person_id == actor.person_id]
    for permission in STAFF:
        units = scope(actor, permission)
        if units is ALL_UNITS:
            return Redemption.id.is_not(None)
        assert isinstance(units, frozenset)
        if units:
            within = select(OrgUnit.id).where(OrgUnit.path.overlap(list(units)))
            conditions.append(Redemption.community_id.in_(within))
    return or_(*conditions)


async def require_staff(session: AsyncSession, actor: Actor, community_id: uuid.UUID) -> None:
    path = await session.scalar(select(OrgUnit.path).where(OrgUnit.id == community_id))
    if path is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="communityId")
    if not any(allows(actor, permission, path) for permission in STAFF):
        raise DomainError(ErrorCode.FORBIDDEN)


async def my_redemptions(
    session: AsyncSession, actor: Actor, *, first: int, after: str | None = None
) -> Page[Redemption]:
    """Newest first."""
    stmt = select(Redemption).where(Redemption.person_id == actor.person_id)
    return await keyset_page(session, stmt, (Redemption.order_key,), first=first, after=after)


async def redemptions_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Redemption]:
    rows = await session.scalars(select(Redemption).where(Redemption.id.in_(ids), readable(actor)))
    return {r.id: r for r in rows}


async def lines_of(
    session: AsyncSession, redemption_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RedemptionLine]]:
    found: dict[uuid.UUID, list[RedemptionLine]] = {}
    rows = await session.scalars(
        select(RedemptionLine)
        .where(RedemptionLine.redemption_id.in_(redemption_ids))
        .order_by(RedemptionLine.kind, RedemptionLine.title, RedemptionLine.id)
    )
    for line in rows:
        found.setdefault(line.redemption_id, []).append(line)
    return found


async def bookings_of(
    session: AsyncSession, redemption_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, VenueBooking]:
    rows = await session.scalars(
        select(VenueBooking).where(VenueBooking.redemption_id.in_(redemption_ids))
    )
    return {b.redemption_id: b for b in rows}


async def pickup_queue(
    session: AsyncSession, actor: Actor, *, community_id: uuid.UUID, day: date | None = None
) -> list[Redemption]:
    """Redemptions waiting for pickup (reserved, not overdue), soonest deadline first; with
    ``day``, those due that local day (today's pickups)."""
    await require_staff(session, actor, community_id)
    now = clock.now()
    stmt = select(Redemption).where(
        Redemption.community_id == community_id,
        Redemption.state == RedemptionState.RESERVED,
        Redemption.deadline > now,
    )
    if day is not None:
        start = datetime.combine(
            windows.check_day(day, field="day"), datetime.min.time(), tzinfo=clock.LOCAL
        )
        stmt = stmt.where(
            Redemption.deadline >= start, Redemption.deadline < start + timedelta(days=1)
        )
    rows = await session.scalars(stmt.order_by(Redemption.deadline, Redemption.id).limit(500))
    return list(rows)


async def venue_calendar(
    session: AsyncSession,
    actor: Actor,
    *,
    community_id: uuid.UUID,
    first_day: date,
    days: int = 1,
    venue_id: uuid.UUID | None = None,
) -> list[VenueBooking]:
    """Bookings holding a slot (live or used) from ``first_day`` for ``days`` days (1-31)."""
    await require_staff(session, actor, community_id)
    if not 1 <= days <= 31:
        raise DomainError(ErrorCode.INVALID_VALUE, field="days")
    windows.check_day(first_day, field="firstDay")
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=clock.LOCAL)
    stmt = select(VenueBooking).where(
        VenueBooking.community_id == community_id,
        VenueBooking.starts_at >= start,
        VenueBooking.starts_at < start + timedelta(days=days),
        live_booking(clock.now()),
    )
    if venue_id is not None:
        stmt = stmt.where(VenueBooking.venue_id == venue_id)
    rows = await session.scalars(stmt.order_by(VenueBooking.starts_at, VenueBooking.id))
    return list(rows)


@dataclass(frozen=True, slots=True)
class ItemTotal:
    kind: LineKind
    item_id: uuid.UUID
    title: str
    quantity: int
    points: int


@dataclass(frozen=True, slots=True)
class GridTotal:
    grid_id: uuid.UUID | None
    redemptions: int
    points: int


@dataclass(frozen=True, slots=True)
class MonthStatistics:
    month: date
    redemptions: int
    points: int
    items: list[ItemTotal]
    grids: list[GridTotal]


async def month_statistics(
    session: AsyncSession, actor: Actor, *, community_id: uuid.UUID, month: date
) -> MonthStatistics:
    """Points spent in a local month (fulfilled redemptions), per item and per grid."""
    await require_staff(session, actor, community_id)
    first = windows.check_day(month, field="month").replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=clock.LOCAL)
    end = datetime.combine(after, datetime.min.time(), tzinfo=clock.LOCAL)
    done = (
        Redemption.community_id == community_id,
        Redemption.state == RedemptionState.FULFILLED,
        Redemption.closed_at >= start,
        Redemption.closed_at < end,
    )
    item = func.coalesce(
        RedemptionLine.goods_id, RedemptionLine.venue_id, RedemptionLine.session_id
    )
    item_rows = await session.execute(
        select(
            RedemptionLine.kind,
            item,
            func.min(RedemptionLine.title),
            func.sum(RedemptionLine.quantity),
            func.sum(RedemptionLine.points),
        )
        .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
        .where(*done)
        .group_by(RedemptionLine.kind, item)
        .order_by(func.sum(RedemptionLine.points).desc(), item)
    )
    grid_rows = await session.execute(
        select(Redemption.grid_id, func.count(), func.sum(Redemption.total))
        .where(*done)
        .group_by(Redemption.grid_id)
        .order_by(func.sum(Redemption.total).desc())
    )
    items = [ItemTotal(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in item_rows]
    grids = [GridTotal(r[0], int(r[1]), int(r[2])) for r in grid_rows]
    return MonthStatistics(
        month=first,
        redemptions=sum(g.redemptions for g in grids),
        points=sum(g.points for g in grids),
        items=items,
        grids=grids,
    )
