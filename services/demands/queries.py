"""Reading demands: mine, a unit's queue with its clocks, a department's assignments, timelines.

Every list goes through :func:`services.demands.access.readable`, so a ``node(id:)`` lookup and a
list answer the same question. What is shown is projected to the current time
(:func:`services.demands.levels.project`); breaches are the recorded ones plus those the clock has
made due but nobody has written yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.authz import Actor, Permission, allows
from services.demands import access
from services.demands.levels import assisting_breach, project
from services.demands.models import (
    AssignmentRole,
    Demand,
    DemandAssignment,
    DemandBreach,
    DemandCategory,
    DemandLevel,
    DemandPhoto,
    DemandState,
    Stage,
)
from services.errors import DomainError, ErrorCode
from services.orgs.models import OrgUnit
from services.pagination import Page, keyset_page


async def get_demand(session: AsyncSession, actor: Actor, demand_id: uuid.UUID) -> Demand | None:
    return await session.scalar(
        select(Demand).where(Demand.id == demand_id, access.readable(actor))
    )


async def demands_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Demand]:
    rows = await session.scalars(select(Demand).where(Demand.id.in_(ids), access.readable(actor)))
    return {row.id: row for row in rows}


async def my_demands(
    session: AsyncSession, actor: Actor, *, first: int, after: str | None = None
) -> Page[Demand]:
    stmt = select(Demand).where(Demand.resident_id == actor.person_id)
    order = (Demand.created_at, Demand.id)
    return await keyset_page(session, stmt, order, first=first, after=after)


async def queue(
    session: AsyncSession,
    actor: Actor,
    *,
    unit_id: uuid.UUID,
    include_closed: bool = False,
    first: int,
    after: str | None = None,
) -> Page[Demand]:
    """The demands of a grid (or of everything under a community or street), oldest clock first."""
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="unitId")
    if not allows(actor, Permission.DEMAND_READ, unit.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="unitId")
    within = select(OrgUnit.id).where(OrgUnit.path.overlap([unit.id]))
    stmt = select(Demand).where(Demand.grid_id.in_(within), access.readable(actor))
    if not include_closed:
        stmt = stmt.where(Demand.state != DemandState.CLOSED)
    return await keyset_page(
        session, stmt, (Demand.stage_started_at, Demand.id), first=first, after=after
    )


async def assigned(
    session: AsyncSession, actor: Actor, *, first: int, after: str | None = None
) -> Page[Demand]:
    """Demands a department the actor serves was summoned to."""
    mine = select(DemandAssignment.demand_id).where(access.department_scope(actor))
    stmt = select(Demand).where(Demand.id.in_(mine))
    order = (Demand.created_at, Demand.id)
    return await keyset_page(session, stmt, order, first=first, after=after)


async def assignments_of(
    session: AsyncSession, demand_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DemandAssignment]]:
    grouped: dict[uuid.UUID, list[DemandAssignment]] = {}
    rows = await session.scalars(
        select(DemandAssignment)
        .where(DemandAssignment.demand_id.in_(demand_ids))
        .order_by(DemandAssignment.assigned_at, DemandAssignment.role)
    )
    for row in rows:
        grouped.setdefault(row.demand_id, []).append(row)
    return grouped


@dataclass(frozen=True, slots=True)
class BreachView:
    level: DemandLevel
    stage: Stage
    due_at: datetime
    unit_id: uuid.UUID | None
    person_id: uuid.UUID | None
    recorded_at: datetime | None  # None: due by the clock, not written yet


async def breaches_of(
    session: AsyncSession, demands: Sequence[Demand]
) -> dict[uuid.UUID, list[BreachView]]:
    now = clock.now()
    grouped: dict[uuid.UUID, list[BreachView]] = {d.id: [] for d in demands}
    rows = await session.scalars(
        select(DemandBreach)
        .where(DemandBreach.demand_id.in_([d.id for d in demands]))
        .order_by(DemandBreach.due_at)
    )
    for row in rows:
        grouped[row.demand_id].append(
            BreachView(
                row.level, row.stage, row.due_at, row.unit_id, row.person_id, row.recorded_at
            )
        )
    at_departments = [d.id for d in demands if d.level is DemandLevel.DEPARTMENT]
    assisting: dict[uuid.UUID, list[DemandAssignment]] = {}
    if at_departments:
        for assignment in await session.scalars(
            select(DemandAssignment).where(DemandAssignment.demand_id.in_(at_departments))
        ):
            assisting.setdefault(assignment.demand_id, []).append(assignment)
    for demand in demands:
        helpers = {
            a.department_id for a in assisting.get(demand.id, []) if a.role is AssignmentRole.ASSIST
        }
        own = [b for b in grouped[demand.id] if b.unit_id not in helpers]
        known = {(b.level, b.stage, b.due_at) for b in own}
        for due in project(demand, now).breaches:
            if (due.level, due.stage, due.due_at) not in known:
                grouped[demand.id].append(
                    BreachView(due.level, due.stage, due.due_at, None, None, None)
                )
        recorded = {(b.due_at, b.unit_id) for b in grouped[demand.id]}
        for assignment in assisting.get(demand.id, []):
            late = assisting_breach(demand, assignment, now)
            if late is not None and (late.due_at, assignment.department_id) not in recorded:
                grouped[demand.id].append(
                    BreachView(
                        late.level, late.stage, late.due_at, assignment.department_id, None, None
                    )
                )
    return grouped


async def categories_by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, DemandCategory]:
    rows = await session.scalars(select(DemandCategory).where(DemandCategory.id.in_(ids)))
    return {row.id: row for row in rows}


async def visible_photo(
    session: AsyncSession, actor: Actor, photo_id: uuid.UUID
) -> DemandPhoto | None:
    """A photo the actor may see: their own upload, or one on a demand they may see."""
    photo = await session.get(DemandPhoto, photo_id)
    if photo is None:
        return None
    if photo.demand_id is None:
        return photo if photo.uploader_id == actor.person_id else None
    return photo if await get_demand(session, actor, photo.demand_id) else None


async def breaches_by_ids(
    session: AsyncSession, demand_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BreachView]]:
    """Breaches of demands already shown to the caller (a loader behind a visible demand)."""
    demands = list(await session.scalars(select(Demand).where(Demand.id.in_(demand_ids))))
    return await breaches_of(session, demands)
