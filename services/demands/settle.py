"""Write down what the clock has already decided: breaches, automatic escalations, "not rated".

Readers never need this (they see :func:`services.demands.levels.project`); it keeps the stored
row, the breach records and the timeline in step. Every mutation settles the demand it locked
before acting, and the worker settles every due demand with ``FOR UPDATE SKIP LOCKED``. A breach is
unique per (demand, level, stage, due time) and a settled row projects to itself, so settling twice
changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.demands import access, timeline
from services.demands.levels import DueBreach, assisting_breach, next_due, project
from services.demands.models import (
    AssignmentRole,
    Demand,
    DemandAssignment,
    DemandBreach,
    DemandLevel,
    DemandState,
    EventKind,
    Outcome,
)
from services.errors import DomainError, ErrorCode


async def lock(session: AsyncSession, demand_id: uuid.UUID) -> Demand:
    demand = await session.scalar(
        select(Demand)
        .where(Demand.id == demand_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if demand is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="demandId")
    return demand


async def _holder(
    session: AsyncSession, demand: Demand, level: DemandLevel
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The unit and the person holding ``demand`` at ``level`` (for a breach record)."""
    if level is DemandLevel.DEPARTMENT:
        lead = await session.scalar(
            select(DemandAssignment.department_id).where(
                DemandAssignment.demand_id == demand.id,
                DemandAssignment.role == AssignmentRole.LEAD,
                DemandAssignment.returned_at.is_(None),
            )
        )
        return lead, None
    unit = await access.level_unit(session, demand, level)
    person = demand.owner_id if level is DemandLevel.GRID else demand.handler_id
    return unit.id, person


async def _assisting(session: AsyncSession, demand: Demand) -> list[DemandAssignment]:
    """The assisting departments of a demand held at department level."""
    if demand.level is not DemandLevel.DEPARTMENT:
        return []
    rows = await session.scalars(
        select(DemandAssignment).where(
            DemandAssignment.demand_id == demand.id,
            DemandAssignment.role == AssignmentRole.ASSIST,
            DemandAssignment.returned_at.is_(None),
        )
    )
    return list(rows)


async def settle(session: AsyncSession, demand: Demand, now: datetime | None = None) -> bool:
    """Bring the (locked) row up to the clock; True when anything was written."""
    moment = now or clock.now()
    view = project(demand, moment)
    changed = False
    # the holder of each level is read as the loop escalates (it clears who held the stage)
    due: list[tuple[DueBreach, uuid.UUID | None]] = [(b, None) for b in view.breaches]
    assisting = await _assisting(session, demand)
    late = ((assisting_breach(demand, row, moment), row.department_id) for row in assisting)
    due.extend((breach, unit) for breach, unit in late if breach is not None)
    for breach, department_id in due:
        if department_id is None:
            unit_id, person_id = await _holder(session, demand, breach.level)
        else:
            unit_id, person_id = department_id, None
        inserted = await session.scalar(
            insert(DemandBreach)
            .values(
                community_id=demand.community_id,
                demand_id=demand.id,
                level=breach.level,
                stage=breach.stage,
                unit_id=unit_id,
                person_id=person_id,
                due_at=breach.due_at,
                recorded_at=moment,
            )
            .on_conflict_do_nothing(constraint="uq_demand_breach_demand_stage")
            .returning(DemandBreach.id)
        )
        if inserted is None:
            continue
        changed = True
        await timeline.record(
            session,
            demand,
            EventKind.BREACHED,
            at=breach.due_at,
            level=breach.level,
            unit_id=unit_id,
            note=breach.stage.value,
        )
        if breach.escalates:
            demand.level = _next(breach.level)
            demand.stage_started_at = breach.due_at
            demand.stage_accepted_at = None
            demand.handler_id = None
            unit = await access.level_unit(session, demand, demand.level)
            await timeline.record(
                session, demand, EventKind.AUTO_ESCALATED, at=breach.due_at, unit_id=unit.id
            )
    if view.state is DemandState.CLOSED and demand.state is DemandState.RESOLVED:
        demand.state, demand.closed_at, demand.outcome = view.state, view.closed_at, view.outcome
        assert view.closed_at is not None
        await timeline.record(
            session, demand, EventKind.CLOSED, at=view.closed_at, note=Outcome.NOT_RATED.value
        )
        changed = True
    settle_at = next_due(demand, moment, assisting)
    if changed or demand.settle_at != settle_at:
        demand.settle_at = settle_at
        await session.flush()  # on its own: a change made after this is settled again
    return changed


def _next(level: DemandLevel) -> DemandLevel:
    return DemandLevel.COMMUNITY if level is DemandLevel.GRID else DemandLevel.STREET


async def settle_due(
    session: AsyncSession, *, now: datetime | None = None, limit: int = 500
) -> int:
    """The worker's job: settle the demands whose ``settle_at`` has come (the next time one of
    their clocks runs out, or a change). Returns how many demands changed. Safe on any number of
    replicas (SKIP LOCKED) and any number of times.

    Settling moves ``settle_at`` on, so a settled demand waits for its next clock. It once
    took every open demand past its shortest clock, settled or not, oldest first: on a city
    with 100,000 overdue open demands each tick re-read 500 already settled ones (6.6 s of CPU
    a minute in the API process, bench/reports) and new ones waited behind them."""
    moment = now or clock.now()
    candidates = list(
        await session.scalars(
            select(Demand)
            .where(
                Demand.settle_at <= moment,
                Demand.state.in_([DemandState.ACTIVE, DemandState.RESOLVED]),
            )
            .order_by(Demand.settle_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )
    changed = 0
    for demand in candidates:
        if await settle(session, demand, moment):
            changed += 1
    return changed
