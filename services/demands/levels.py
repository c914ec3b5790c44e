"""Service levels judged from timestamps: what a demand's state is *now*, whoever looks.

:func:`project` is pure: from the stored row and the time it computes the level that holds the
demand, the stage clocks, the breaches not yet recorded and the automatic escalations they caused,
and the "not rated" closure of a demand resolved but unconfirmed for 3 days. Reads show the
projection; every mutation and the worker first write it (:mod:`services.demands.settle`), so the
stored row catches up with what readers already saw.

Each level holding an active demand runs two clocks from the moment the demand reached it: respond
(accept within ``respond_minutes``) and resolve (``resolve_minutes`` at the grid,
``recovery_minutes`` above). A missed clock at the grid or the community is a breach that escalates
at the deadline to the next level, whose clocks start then; the street and the departments have
nobody above them, so their breaches are recorded and the demand stays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from services.demands.models import (
    AssignmentRole,
    Demand,
    DemandAssignment,
    DemandLevel,
    DemandState,
    Outcome,
    Stage,
)

CONFIRM_DAYS = 3
NEXT_LEVEL = {DemandLevel.GRID: DemandLevel.COMMUNITY, DemandLevel.COMMUNITY: DemandLevel.STREET}


class DemandStatus(StrEnum):
    """What a reader sees."""

    WAITING = "waiting"  # at a level, not yet accepted there
    IN_HAND = "in_hand"
    RESOLVED = "resolved"  # waiting for the resident's confirmation
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class DueBreach:
    level: DemandLevel
    stage: Stage
    due_at: datetime
    escalates: bool


@dataclass(slots=True)
class Projection:
    level: DemandLevel
    state: DemandState
    stage_started_at: datetime
    stage_accepted_at: datetime | None
    respond_due: datetime
    resolve_due: datetime
    closed_at: datetime | None
    outcome: Outcome | None
    breaches: list[DueBreach] = field(default_factory=list)

    @property
    def status(self) -> DemandStatus:
        if self.state is DemandState.CLOSED:
            return DemandStatus.CLOSED
        if self.state is DemandState.RESOLVED:
            return DemandStatus.RESOLVED
        return DemandStatus.IN_HAND if self.stage_accepted_at else DemandStatus.WAITING


def _dues(demand: Demand, level: DemandLevel, started: datetime) -> tuple[datetime, datetime]:
    resolve = demand.resolve_minutes if level is DemandLevel.GRID else demand.recovery_minutes
    return (
        started + timedelta(minutes=demand.respond_minutes),
        started + timedelta(minutes=resolve),
    )


def project(demand: Demand, now: datetime) -> Projection:
    level, started, accepted = demand.level, demand.stage_started_at, demand.stage_accepted_at
    respond_due, resolve_due = _dues(demand, level, started)
    view = Projection(
        level=level,
        state=demand.state,
        stage_started_at=started,
        stage_accepted_at=accepted,
        respond_due=respond_due,
        resolve_due=resolve_due,
        closed_at=demand.closed_at,
        outcome=demand.outcome,
    )
    if demand.state is DemandState.RESOLVED:
        assert demand.resolved_at is not None
        closes_at = demand.resolved_at + timedelta(days=CONFIRM_DAYS)
        if now >= closes_at:
            view.state, view.closed_at, view.outcome = (
                DemandState.CLOSED,
                closes_at,
                Outcome.NOT_RATED,
            )
        return view
    if demand.state is not DemandState.ACTIVE:
        return view
    while True:
        respond_due, resolve_due = _dues(demand, level, started)
        view.level, view.stage_started_at, view.stage_accepted_at = level, started, accepted
        view.respond_due, view.resolve_due = respond_due, resolve_due
        late: list[tuple[Stage, datetime]] = []
        if (accepted or now) > respond_due:
            late.append((Stage.RESPOND, respond_due))
        if now > resolve_due:
            late.append((Stage.RESOLVE, resolve_due))
        upper = NEXT_LEVEL.get(level)
        if not late:
            return view
        if upper is None:  # nobody above: record, stay
            view.breaches.extend(DueBreach(level, stage, due, False) for stage, due in late)
            return view
        stage, due = min(late, key=lambda pair: pair[1])
        view.breaches.append(DueBreach(level, stage, due, True))
        level, started, accepted = upper, due, None


def next_due(
    demand: Demand, now: datetime, assignments: Iterable[DemandAssignment] = ()
) -> datetime | None:
    """When a settled demand's next clock runs out (the worker settles it then): the holding
    level's respond and resolve clocks, the assisting departments' response clocks, or the
    "not rated" closure. None when no clock is left: only a change can start one."""
    view = project(demand, now)
    if view.state is DemandState.RESOLVED:
        assert demand.resolved_at is not None
        return demand.resolved_at + timedelta(days=CONFIRM_DAYS)
    if view.state is not DemandState.ACTIVE:
        return None
    dues = [view.resolve_due] if view.stage_accepted_at else [view.respond_due, view.resolve_due]
    if view.level is DemandLevel.DEPARTMENT:
        dues.extend(
            due
            for row in assignments
            if not row.accepted_at and (due := _assisting_due(demand, row)) is not None
        )
    return min((due for due in dues if due >= now), default=None)


def _assisting_due(demand: Demand, assignment: DemandAssignment) -> datetime | None:
    """When an assisting department must have accepted (None: not an assisting one, or
    returned)."""
    if assignment.role is not AssignmentRole.ASSIST or assignment.returned_at is not None:
        return None
    return assignment.assigned_at + timedelta(minutes=demand.respond_minutes)


def assisting_breach(
    demand: Demand, assignment: DemandAssignment, now: datetime
) -> DueBreach | None:
    """An assisting department's own response clock: accept within ``respond_minutes`` of being
    summoned, while the demand is still open. (The lead's clock is the department level's own
    respond stage, judged by :func:`project`.)"""
    due = _assisting_due(demand, assignment)
    if due is None:
        return None
    stopped = assignment.accepted_at or demand.resolved_at or demand.closed_at or now
    if stopped > due:
        return DueBreach(DemandLevel.DEPARTMENT, Stage.RESPOND, due, False)
    return None
