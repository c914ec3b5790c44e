"""Handling a demand at the grid, the community and the street: accept, solve, escalate, return.

Every function locks the demand row and first settles it against the clock
(:func:`services.demands.settle.settle`), so nobody acts on a level the clock has already taken the
demand away from. Accepting is one guarded ``UPDATE ... WHERE stage_accepted_at IS NULL``: of two
receivers accepting at once exactly one wins, the other gets ALREADY_ACCEPTED. The first receiver
at the grid becomes the demand's owner, and owns it to the end, wherever it goes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock, validation
from services.authz import Actor
from services.demands import access, timeline
from services.demands.models import (
    NOTE_MAX,
    Demand,
    DemandLevel,
    DemandState,
    EventKind,
    Outcome,
)
from services.demands.settle import lock, settle
from services.errors import DomainError, ErrorCode

ESCALATES_TO = {DemandLevel.GRID: DemandLevel.COMMUNITY, DemandLevel.COMMUNITY: DemandLevel.STREET}
RETURNS_TO = {DemandLevel.COMMUNITY: DemandLevel.GRID, DemandLevel.STREET: DemandLevel.COMMUNITY}


async def held(session: AsyncSession, actor: Actor, demand_id: uuid.UUID) -> Demand:
    """The locked, settled demand, held by a level the actor acts for."""
    demand = await lock(session, demand_id)
    await settle(session, demand)
    if demand.state is not DemandState.ACTIVE or demand.level is DemandLevel.DEPARTMENT:
        if await access.may_handle(session, actor, demand, demand.level) or (
            demand.owner_id == actor.person_id
        ):
            raise DomainError(ErrorCode.INVALID_STATE)
        raise DomainError(ErrorCode.NOT_ASSIGNED)
    await access.require_handler(session, actor, demand, demand.level)
    return demand


def _owner_at_grid(actor: Actor, demand: Demand) -> None:
    if demand.level is DemandLevel.GRID and demand.owner_id != actor.person_id:
        raise DomainError(ErrorCode.NOT_ASSIGNED)


async def accept(session: AsyncSession, actor: Actor, *, demand_id: uuid.UUID) -> Demand:
    demand = await held(session, actor, demand_id)
    now = clock.now()
    won = await session.scalar(
        update(Demand)
        .where(
            Demand.id == demand.id,
            Demand.state == DemandState.ACTIVE,
            Demand.level == demand.level,
            Demand.stage_accepted_at.is_(None),
        )
        .values(
            stage_accepted_at=now,
            handler_id=actor.person_id,
            owner_id=func.coalesce(Demand.owner_id, actor.person_id),
        )
        .returning(Demand.id)
        .execution_options(synchronize_session=False)
    )
    if won is None:
        raise DomainError(ErrorCode.ALREADY_ACCEPTED)
    await session.refresh(demand)
    unit = await access.level_unit(session, demand, demand.level)
    await timeline.record(
        session, demand, EventKind.ACCEPTED, at=now, actor_id=actor.person_id, unit_id=unit.id
    )
    return demand


async def solve(
    session: AsyncSession,
    actor: Actor,
    *,
    demand_id: uuid.UUID,
    note: str | None = None,
    photo_ids: Sequence[uuid.UUID] = (),
) -> Demand:
    """Solved on site (or at the community, or the street): it waits for the resident's word."""
    demand = await held(session, actor, demand_id)
    _owner_at_grid(actor, demand)
    if demand.stage_accepted_at is None:
        raise DomainError(ErrorCode.INVALID_STATE)
    now = clock.now()
    demand.state, demand.resolved_at, demand.resolved_level = (
        DemandState.RESOLVED,
        now,
        demand.level,
    )
    unit = await access.level_unit(session, demand, demand.level)
    await timeline.record(
        session,
        demand,
        EventKind.SOLVED,
        at=now,
        actor_id=actor.person_id,
        unit_id=unit.id,
        note=validation.text(note, field="note", max_length=NOTE_MAX, required=False),
        photo_ids=photo_ids,
    )
    return demand


async def escalate(
    session: AsyncSession,
    actor: Actor,
    *,
    demand_id: uuid.UUID,
    reason: str | None = None,
    photo_ids: Sequence[uuid.UUID] = (),
) -> Demand:
    """Hand it up: the grid's owner to the community, the community to the street. The street
    summons departments instead (:func:`services.demands.departments.assign`)."""
    demand = await held(session, actor, demand_id)
    upper = ESCALATES_TO.get(demand.level)
    if upper is None:
        raise DomainError(ErrorCode.NO_HIGHER_LEVEL)
    _owner_at_grid(actor, demand)
    now = clock.now()
    from_level = demand.level
    demand.level, demand.stage_started_at = upper, now
    demand.stage_accepted_at = demand.handler_id = None
    unit = await access.level_unit(session, demand, upper)
    await timeline.record(
        session,
        demand,
        EventKind.ESCALATED,
        at=now,
        level=from_level,
        actor_id=actor.person_id,
        unit_id=unit.id,
        note=validation.text(reason, field="reason", max_length=NOTE_MAX, required=False),
        photo_ids=photo_ids,
    )
    return demand


async def return_demand(
    session: AsyncSession, actor: Actor, *, demand_id: uuid.UUID, reason: str
) -> Demand:
    """Send a misrouted demand back to the level below, with a reason. At the grid, "below" is
    the resident: the demand closes as returned, the reason on its timeline."""
    cleaned = validation.text(reason, field="reason", max_length=NOTE_MAX, required=False)
    if cleaned is None:
        raise DomainError(ErrorCode.REASON_REQUIRED, field="reason")
    demand = await held(session, actor, demand_id)
    now = clock.now()
    from_level = demand.level
    lower = RETURNS_TO.get(demand.level)
    if lower is None:
        if demand.owner_id is not None:
            _owner_at_grid(actor, demand)
        demand.state, demand.closed_at, demand.outcome = DemandState.CLOSED, now, Outcome.RETURNED
        unit_id = demand.grid_id
    else:
        demand.level, demand.stage_started_at = lower, now
        # back at the grid, it goes straight back to its owner
        owned = lower is DemandLevel.GRID and demand.owner_id is not None
        demand.stage_accepted_at = now if owned else None
        demand.handler_id = demand.owner_id if owned else None
        unit_id = (await access.level_unit(session, demand, lower)).id
    await timeline.record(
        session,
        demand,
        EventKind.RETURNED,
        at=now,
        level=from_level,
        actor_id=actor.person_id,
        unit_id=unit_id,
        note=cleaned,
    )
    return demand
