"""Publishing and running volunteer orders: draft → published → (full, in progress) →
completed | cancelled."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock, validation
from services.authz import Actor
from services.errors import DomainError, ErrorCode
from services.events import outbox
from services.events.outbox import Topic
from services.ledger.models import PointKind
from services.notices.inbox import Entry, notify
from services.notices.kinds import Kind
from services.orders import access
from services.orders.models import (
    CATEGORY_MAX,
    CONTENT_MAX,
    LOCATION_MAX,
    REASON_MAX,
    TITLE_MAX,
    Claim,
    ClaimState,
    OrderScope,
    OrderState,
    VolunteerOrder,
)
from services.orgs.models import UnitKind
from services.orgs.service import require_unit
from services.pagination import Page, keyset_page

MAX_PLACES = 10_000
MAX_POINTS = 1_000
MAX_HEAD_START_HOURS = 24 * 14


class OrderStatus(StrEnum):
    """What a reader sees: the stored state, refined by the places and the clock."""

    DRAFT = "draft"
    PUBLISHED = "published"
    FULL = "full"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


def status(order: VolunteerOrder, now: datetime | None = None) -> OrderStatus:
    moment = now or clock.now()
    if order.state is not OrderState.PUBLISHED:
        return OrderStatus(order.state.value)
    if moment >= order.starts_at:
        return OrderStatus.IN_PROGRESS
    if order.places_taken >= order.places:
        return OrderStatus.FULL
    return OrderStatus.PUBLISHED


@dataclass(frozen=True, slots=True)
class OrderDraft:
    title: str
    content: str
    category: str
    location: str
    starts_at: datetime
    ends_at: datetime
    claim_deadline: datetime
    places: int
    points: int
    point_kind: PointKind
    party_first_hours: int = 0


MAX_LENGTH = timedelta(days=31)  # an order is one activity, not a season


def check_times(draft: OrderDraft) -> None:
    """Inside the product's window, ending after it starts, within a month (issue 13, item 6:
    an order in year 1 or 9999 was accepted and broke publishing)."""
    validation.moment(draft.starts_at, field="startsAt")
    validation.moment(draft.ends_at, field="endsAt")
    validation.moment(draft.claim_deadline, field="claimDeadline")
    validation.time_range(draft.starts_at, draft.ends_at, field="endsAt", max_length=MAX_LENGTH)


def _checked(draft: OrderDraft) -> OrderDraft:
    check_times(draft)
    if not 0 < draft.places <= MAX_PLACES:
        raise DomainError(ErrorCode.INVALID_VALUE, field="places")
    if not 0 <= draft.points <= MAX_POINTS:
        raise DomainError(ErrorCode.INVALID_VALUE, field="points")
    if not 0 <= draft.party_first_hours <= MAX_HEAD_START_HOURS:
        raise DomainError(ErrorCode.INVALID_VALUE, field="partyFirstHours")
    if draft.claim_deadline > draft.starts_at:
        raise DomainError(ErrorCode.CLAIM_DEADLINE_AFTER_START, field="claimDeadline")
    return OrderDraft(
        title=validation.required_text(draft.title, field="title", max_length=TITLE_MAX),
        content=validation.required_text(draft.content, field="content", max_length=CONTENT_MAX),
        category=validation.required_text(
            draft.category, field="category", max_length=CATEGORY_MAX
        ),
        location=validation.required_text(
            draft.location, field="location", max_length=LOCATION_MAX
        ),
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        claim_deadline=draft.claim_deadline,
        places=draft.places,
        points=draft.points,
        point_kind=draft.point_kind,
        party_first_hours=draft.party_first_hours,
    )


async def create_order(
    session: AsyncSession, actor: Actor, *, unit_id: uuid.UUID, draft: OrderDraft
) -> VolunteerOrder:
    """A draft order for a community or one of its grids (``unit_id``)."""
    unit = await require_unit(
        session, unit_id, kinds=[UnitKind.COMMUNITY, UnitKind.GRID], field="unitId"
    )
    checked = _checked(draft)
    assert unit.community_id is not None
    order = VolunteerOrder(
        community_id=unit.community_id,
        scope=OrderScope.GRID if unit.kind is UnitKind.GRID else OrderScope.COMMUNITY,
        grid_id=unit.id if unit.kind is UnitKind.GRID else None,
        publisher_id=actor.person_id,
        state=OrderState.DRAFT,
        **{field: getattr(checked, field) for field in OrderDraft.__dataclass_fields__},
    )
    await access.require_manager(session, actor, order)
    session.add(order)
    await session.flush()
    return order


async def get_order(
    session: AsyncSession, actor: Actor, order_id: uuid.UUID, *, for_update: bool = False
) -> VolunteerOrder:
    stmt = select(VolunteerOrder).where(VolunteerOrder.id == order_id, access.readable(actor))
    if for_update:
        stmt = stmt.with_for_update()
    order = await session.scalar(stmt)
    if order is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="id")
    return order


async def find_order(
    session: AsyncSession, actor: Actor, order_id: uuid.UUID
) -> VolunteerOrder | None:
    return await session.scalar(
        select(VolunteerOrder).where(VolunteerOrder.id == order_id, access.readable(actor))
    )


async def find_open_to(
    session: AsyncSession, actor: Actor, order_id: uuid.UUID
) -> VolunteerOrder | None:
    """The order if it is published for the actor: their community's, or their own grid's."""
    return await session.scalar(
        select(VolunteerOrder).where(VolunteerOrder.id == order_id, access.claimable_by(actor))
    )


async def orders_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, VolunteerOrder]:
    rows = await session.scalars(
        select(VolunteerOrder).where(VolunteerOrder.id.in_(ids), access.readable(actor))
    )
    return {order.id: order for order in rows}


async def publish_order(
    session: AsyncSession, actor: Actor, *, order_id: uuid.UUID
) -> VolunteerOrder:
    order = await get_order(session, actor, order_id, for_update=True)
    await access.require_manager(session, actor, order)
    if order.state is not OrderState.DRAFT:
        raise DomainError(ErrorCode.INVALID_STATE)
    now = clock.now()
    if order.claim_deadline <= now:
        raise DomainError(ErrorCode.CLAIM_DEADLINE_PASSED)
    order.state = OrderState.PUBLISHED
    order.published_at = now
    await session.flush()
    outbox.emit(
        session,
        Topic.ORDER_PUBLISHED,
        channels=[outbox.community_channel(order.community_id)],
        payload={"orderId": str(order.id), "gridId": str(order.grid_id) if order.grid_id else None},
        community_id=order.community_id,
    )
    audience = await session.scalars(access.people_in_scope(order))
    await notify(
        session,
        Kind.ORDER_PUBLISHED,
        [
            Entry(p, f"order_published:{order.id}", order.id, {"title": order.title})
            for p in audience
            if p != actor.person_id
        ],
        subject_type="VolunteerOrder",
    )
    return order


async def cancel_order(
    session: AsyncSession, actor: Actor, *, order_id: uuid.UUID, reason: str
) -> VolunteerOrder:
    """Cancel before it is completed; every live claim is cancelled with it."""
    order = await get_order(session, actor, order_id, for_update=True)
    await access.require_manager(session, actor, order)
    if order.state not in (OrderState.DRAFT, OrderState.PUBLISHED):
        raise DomainError(ErrorCode.INVALID_STATE)
    order.cancel_reason = validation.text(
        reason, field="reason", max_length=REASON_MAX, required=True
    )
    order.state = OrderState.CANCELLED
    order.places_taken = 0
    cancelled = await session.execute(
        update(Claim)
        .where(
            Claim.order_id == order.id,
            Claim.state.in_([ClaimState.CLAIMED, ClaimState.WAITLISTED]),
        )
        .values(state=ClaimState.CANCELLED)
        .returning(Claim.id, Claim.person_id)
    )
    for claim_id, person_id in cancelled.all():
        outbox.emit(
            session,
            Topic.ORDER_CANCELLED,
            channels=[outbox.person_channel(person_id)],
            payload={"orderId": str(order.id), "claimId": str(claim_id)},
            community_id=order.community_id,
        )
    await session.flush()
    return order


async def complete_order(
    session: AsyncSession, actor: Actor, *, order_id: uuid.UUID
) -> VolunteerOrder:
    """Close the order once its service has started; attendance can be confirmed until then."""
    order = await get_order(session, actor, order_id, for_update=True)
    await access.require_manager(session, actor, order)
    if order.state is not OrderState.PUBLISHED or clock.now() < order.starts_at:
        raise DomainError(ErrorCode.INVALID_STATE)
    order.state = OrderState.COMPLETED
    await session.flush()
    return order


async def list_orders(
    session: AsyncSession,
    actor: Actor,
    *,
    community_id: uuid.UUID | None = None,
    grid_id: uuid.UUID | None = None,
    states: Sequence[OrderState] = (),
    category: str | None = None,
    claimable: bool = False,
    first: int,
    after: str | None = None,
) -> Page[VolunteerOrder]:
    """Orders the actor may read, by start time. ``claimable``: published, before the
    deadline, with the actor in scope (community orders of their community, grid orders of
    their grid)."""
    stmt = select(VolunteerOrder).where(access.readable(actor))
    if community_id is not None:
        stmt = stmt.where(VolunteerOrder.community_id == community_id)
    if grid_id is not None:
        stmt = stmt.where(VolunteerOrder.grid_id == grid_id)
    if states:
        stmt = stmt.where(VolunteerOrder.state.in_(states))
    if category:
        stmt = stmt.where(VolunteerOrder.category == category)
    if claimable:
        stmt = stmt.where(access.claimable_by(actor), VolunteerOrder.claim_deadline > clock.now())
    return await keyset_page(
        session,
        stmt,
        (VolunteerOrder.starts_at, VolunteerOrder.id),
        first=first,
        after=after,
    )
