"""Closure: the resident says whether it was solved and how satisfied they are.

An unsolved or unsatisfied (satisfaction <= 2) answer reopens the demand once, with the level that
resolved it (the street, when departments did); after that the answer closes it whatever it is. A
demand nobody confirms for 3 days after it was resolved closes as "not rated", judged on read.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services import clock, validation
from services.authz import Actor
from services.demands import timeline
from services.demands.models import (
    COMMENT_MAX,
    Demand,
    DemandLevel,
    DemandState,
    EventKind,
    Outcome,
)
from services.demands.settle import lock, settle
from services.errors import DomainError, ErrorCode

ANSWERS = (Outcome.SOLVED, Outcome.PARTLY, Outcome.UNSOLVED)
UNSATISFIED = 2


async def confirm(
    session: AsyncSession,
    actor: Actor,
    *,
    demand_id: uuid.UUID,
    outcome: Outcome,
    satisfaction: int,
    comment: str | None = None,
) -> Demand:
    demand = await lock(session, demand_id)
    if demand.resident_id != actor.person_id:
        raise DomainError(ErrorCode.FORBIDDEN)
    if outcome not in ANSWERS:
        raise DomainError(ErrorCode.INVALID_VALUE, field="outcome")
    if not 1 <= satisfaction <= 5:
        raise DomainError(ErrorCode.INVALID_VALUE, field="satisfaction")
    cleaned = validation.text(comment, field="comment", max_length=COMMENT_MAX, required=False)
    await settle(session, demand)
    if demand.state is DemandState.CLOSED:
        raise DomainError(ErrorCode.ALREADY_RATED)
    if demand.state is not DemandState.RESOLVED:
        raise DomainError(ErrorCode.INVALID_STATE)
    now = clock.now()
    note = f"{outcome.value} {satisfaction}" + (f": {cleaned}" if cleaned else "")
    await timeline.record(
        session, demand, EventKind.RATED, at=now, actor_id=actor.person_id, note=note
    )
    unhappy = outcome is Outcome.UNSOLVED or satisfaction <= UNSATISFIED
    if unhappy and demand.reopened == 0:
        _reopen(demand, now)
        await timeline.record(session, demand, EventKind.REOPENED, at=now, actor_id=actor.person_id)
    else:
        demand.state, demand.closed_at, demand.outcome = DemandState.CLOSED, now, outcome
        demand.satisfaction, demand.comment = satisfaction, cleaned
        await timeline.record(session, demand, EventKind.CLOSED, at=now, note=outcome.value)
    await session.flush()
    return demand


def _reopen(demand: Demand, now: datetime) -> None:
    assert demand.resolved_level is not None
    level = demand.resolved_level
    if level is DemandLevel.DEPARTMENT:
        level = DemandLevel.STREET
    demand.reopened += 1
    demand.state, demand.level = DemandState.ACTIVE, level
    demand.stage_started_at, demand.resolved_at = now, None
    demand.resolved_level = None
    owned = level is DemandLevel.GRID and demand.owner_id is not None
    demand.stage_accepted_at = now if owned else None
    demand.handler_id = demand.owner_id if owned else None
