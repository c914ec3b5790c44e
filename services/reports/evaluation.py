"""Evaluation (考核) of demand handling: department rates per month, and the 70/20/10 split.

A month is a calendar month in Asia/Shanghai. Both reports read demands as
:func:`services.demands.levels.project` shows them now, so a demand left unrated for 3 days counts
as closed ("not rated") whether or not the worker has written that yet.

Per department, the demands it was summoned to in the month (assignments made in the month, the
ones it returned as misrouted left out):

- response rate: assignments it accepted within the demand's response time (``respond_minutes``
  after the assignment) / assignments;
- resolution rate: assignments whose demand is resolved (waiting for the resident), or closed as
  solved or not rated (nobody disputed it) / assignments; closed partly or unsolved does not count;
- satisfaction rate: closures rated 4 or 5 / closures rated (not-rated closures are not ratings);
- mean minutes per stage: accept (assigned to accepted), report in (accepted to on site), reply
  (on site, or accepted when it never reported in, to the reply).

The 70/20/10 split, per community: the demands closed in the month (returned ones left out, they
were never handled), by the level that resolved them: grid, community, or street and departments;
the target is 70% at the grid, 20% at the community, 10% above.

A rate of nothing is ``None``, not 0.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.authz import Actor, Permission, allows
from services.demands.levels import CONFIRM_DAYS, project
from services.demands.models import Demand, DemandAssignment, DemandLevel, DemandState, Outcome
from services.errors import DomainError, ErrorCode
from services.orgs.models import UnitKind
from services.orgs.service import require_unit

TARGET = {"grid": 0.7, "community": 0.2, "street": 0.1}
SATISFIED = 4
RESOLVED_OUTCOMES = (Outcome.SOLVED, Outcome.NOT_RATED)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


@dataclass(frozen=True, slots=True)
class DepartmentEvaluation:
    department_id: uuid.UUID
    month: date
    assigned: int
    responded_in_time: int
    response_breaches: int  # summoned and not accepted by the response deadline
    resolved: int
    rated: int
    satisfied: int
    mean_accept_minutes: float | None
    mean_report_in_minutes: float | None
    mean_reply_minutes: float | None

    @property
    def response_rate(self) -> float | None:
        return _rate(self.responded_in_time, self.assigned)

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.resolved, self.assigned)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.rated)


async def department(
    session: AsyncSession, actor: Actor, *, department_id: uuid.UUID, month: date
) -> DepartmentEvaluation:
    unit = await require_unit(
        session, department_id, kinds=[UnitKind.DEPARTMENT], field="departmentId"
    )
    if not allows(actor, Permission.EVALUATION_READ, unit.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="departmentId")
    start, end = clock.month_bounds(month)
    rows = (
        await session.execute(
            select(DemandAssignment, Demand)
            .join(Demand, Demand.id == DemandAssignment.demand_id)
            .where(
                DemandAssignment.department_id == unit.id,
                DemandAssignment.returned_at.is_(None),
                DemandAssignment.assigned_at >= start,
                DemandAssignment.assigned_at < end,
            )
        )
    ).all()
    now = clock.now()
    in_time = late = resolved = rated = satisfied = 0
    accept: list[float] = []
    report_in: list[float] = []
    reply: list[float] = []
    for assignment, demand in rows:
        due = assignment.assigned_at + timedelta(minutes=demand.respond_minutes)
        stopped = assignment.accepted_at or demand.resolved_at or demand.closed_at or now
        late += stopped > due
        if assignment.accepted_at is not None:
            accept.append(_minutes(assignment.assigned_at, assignment.accepted_at))
            if assignment.accepted_at <= due:
                in_time += 1
            if assignment.reported_in_at is not None:
                report_in.append(_minutes(assignment.accepted_at, assignment.reported_in_at))
            if assignment.replied_at is not None:
                since = assignment.reported_in_at or assignment.accepted_at
                reply.append(_minutes(since, assignment.replied_at))
        view = project(demand, now)
        if view.state is DemandState.RESOLVED or (
            view.state is DemandState.CLOSED and view.outcome in RESOLVED_OUTCOMES
        ):
            resolved += 1
        if view.state is DemandState.CLOSED and demand.satisfaction is not None:
            rated += 1
            satisfied += demand.satisfaction >= SATISFIED
    return DepartmentEvaluation(
        department_id=unit.id,
        month=month.replace(day=1),
        assigned=len(rows),
        responded_in_time=in_time,
        response_breaches=late,
        resolved=resolved,
        rated=rated,
        satisfied=satisfied,
        mean_accept_minutes=_mean(accept),
        mean_report_in_minutes=_mean(report_in),
        mean_reply_minutes=_mean(reply),
    )


@dataclass(frozen=True, slots=True)
class ResolutionSplit:
    """The 70/20/10 report of a community for a month."""

    community_id: uuid.UUID
    month: date
    closed: int
    grid: int
    community: int
    street: int  # the street itself, or departments it summoned

    @property
    def grid_share(self) -> float | None:
        return _rate(self.grid, self.closed)

    @property
    def community_share(self) -> float | None:
        return _rate(self.community, self.closed)

    @property
    def street_share(self) -> float | None:
        return _rate(self.street, self.closed)

    @property
    def meets_target(self) -> bool | None:
        """At least 70% at the grid and at most 10% above the community."""
        if not self.closed:
            return None
        return self.grid / self.closed >= TARGET["grid"] and (
            self.street / self.closed <= TARGET["street"]
        )


async def resolution_split(
    session: AsyncSession, actor: Actor, *, community_id: uuid.UUID, month: date
) -> ResolutionSplit:
    community = await require_unit(
        session, community_id, kinds=[UnitKind.COMMUNITY], field="communityId"
    )
    if not allows(actor, Permission.EVALUATION_READ, community.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="communityId")
    start, end = clock.month_bounds(month)
    candidates = await session.scalars(
        select(Demand).where(
            Demand.community_id == community.id,
            or_(
                and_(
                    Demand.state == DemandState.CLOSED,
                    Demand.closed_at >= start,
                    Demand.closed_at < end,
                ),
                and_(  # resolved, unconfirmed: it may have closed "not rated" in the month
                    Demand.state == DemandState.RESOLVED,
                    Demand.resolved_at >= start - timedelta(days=CONFIRM_DAYS),
                    Demand.resolved_at < end,
                ),
            ),
        )
    )
    now = clock.now()
    counts = {DemandLevel.GRID: 0, DemandLevel.COMMUNITY: 0, DemandLevel.STREET: 0}
    for demand in candidates:
        view = project(demand, now)
        if view.state is not DemandState.CLOSED or view.outcome is Outcome.RETURNED:
            continue
        assert view.closed_at is not None
        if not start <= view.closed_at < end or demand.resolved_level is None:
            continue
        level = demand.resolved_level
        counts[DemandLevel.STREET if level is DemandLevel.DEPARTMENT else level] += 1
    return ResolutionSplit(
        community_id=community.id,
        month=month.replace(day=1),
        closed=sum(counts.values()),
        grid=counts[DemandLevel.GRID],
        community=counts[DemandLevel.COMMUNITY],
        street=counts[DemandLevel.STREET],
    )
