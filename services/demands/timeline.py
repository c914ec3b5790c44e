"""The demand's timeline: every step is an event (who, when, what, photos), and a notification."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.demands.models import (
    Demand,
    DemandAssignment,
    DemandEvent,
    DemandLevel,
    DemandPhoto,
    EventKind,
)
from services.errors import DomainError, ErrorCode
from services.events import outbox
from services.events.outbox import Topic
from services.notices import about
from services.orgs.models import OrgUnit

MAX_PHOTOS = 9


async def record(
    session: AsyncSession,
    demand: Demand,
    kind: EventKind,
    *,
    at: datetime,
    level: DemandLevel | None = None,
    actor_id: uuid.UUID | None = None,
    unit_id: uuid.UUID | None = None,
    note: str | None = None,
    photo_ids: Sequence[uuid.UUID] = (),
) -> DemandEvent:
    """Add the step, attach the actor's uploaded photos; tell the resident, and the staff of every
    unit above the grid and of every department summoned (a demand subscription hears it)."""
    event = DemandEvent(
        id=uuid.uuid4(),
        community_id=demand.community_id,
        demand_id=demand.id,
        kind=kind,
        level=level or demand.level,
        actor_id=actor_id,
        unit_id=unit_id,
        note=note,
        at=at,
    )
    session.add(event)
    await session.flush()
    if photo_ids:
        await attach_photos(session, demand, event, actor_id, photo_ids)
    grid = await session.get(OrgUnit, demand.grid_id)
    assert grid is not None
    departments = await session.scalars(
        select(DemandAssignment.department_id).where(DemandAssignment.demand_id == demand.id)
    )
    outbox.emit(
        session,
        Topic.DEMAND_CHANGED,
        channels=[
            outbox.person_channel(demand.resident_id),
            outbox.grid_channel(demand.grid_id),
            *(outbox.unit_channel(unit) for unit in [*grid.path, *departments]),
        ],
        payload={"demandId": str(demand.id), "event": kind.value},
        community_id=demand.community_id,
    )
    await about.demand_step(session, demand, event.id, kind.value)
    return event


async def attach_photos(
    session: AsyncSession,
    demand: Demand,
    event: DemandEvent,
    uploader_id: uuid.UUID | None,
    photo_ids: Sequence[uuid.UUID],
) -> None:
    """Only the uploader's own photos, not yet attached elsewhere, may be cited (all or none)."""
    wanted = set(photo_ids)
    if len(wanted) > MAX_PHOTOS:
        raise DomainError(ErrorCode.INVALID_VALUE, field="photoIds")
    attached = await session.scalars(
        update(DemandPhoto)
        .where(
            DemandPhoto.id.in_(wanted),
            DemandPhoto.uploader_id == uploader_id,
            DemandPhoto.demand_id.is_(None),
        )
        .values(demand_id=demand.id, event_id=event.id, community_id=demand.community_id)
        .returning(DemandPhoto.id)
    )
    if set(attached) != wanted:
        raise DomainError(ErrorCode.NOT_FOUND, field="photoIds")


async def events_of(
    session: AsyncSession, demand_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DemandEvent]]:
    grouped: dict[uuid.UUID, list[DemandEvent]] = {}
    rows = await session.scalars(
        select(DemandEvent).where(DemandEvent.demand_id.in_(demand_ids)).order_by(DemandEvent.seq)
    )
    for event in rows:
        grouped.setdefault(event.demand_id, []).append(event)
    return grouped


async def photos_of_events(
    session: AsyncSession, event_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DemandPhoto]]:
    grouped: dict[uuid.UUID, list[DemandPhoto]] = {}
    rows = await session.scalars(
        select(DemandPhoto)
        .where(DemandPhoto.event_id.in_(event_ids))
        .order_by(DemandPhoto.created_at, DemandPhoto.id)
    )
    for photo in rows:
        assert photo.event_id is not None
        grouped.setdefault(photo.event_id, []).append(photo)
    return grouped
