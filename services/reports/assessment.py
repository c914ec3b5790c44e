"""The monthly assessment (月度考核) of a grid or a community, generated from what happened.

For each grid (and the community's total) in a month (Asia/Shanghai):

- demands: reported in the month; of those, closed, resolved (solved, or closed solved / not
  rated), rated and satisfied (4-5); responded in time (accepted at the grid within its response
  time: no grid-level respond breach); and the breaches of those demands (recorded, or due by the
  clock and not yet written down);
- home visits in the month, the households visited against the households of the grid, and
  inspection rounds;
- volunteer hours: confirmed attendance of the grid's residents at orders that started in the
  month;
- points earned and spent by the grid's residents (postings booked in the month; "spent" is every
  debit: redemptions, expiry, reversals).

Three rates follow: response, resolution and satisfaction. Every figure is computed when asked, so
the report is never stale; community admins and street staff over the unit may read it.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.authz import Actor, Permission, allows
from services.demands.inspections import InspectionRound
from services.demands.levels import project
from services.demands.models import Demand, DemandLevel, DemandState, Stage
from services.demands.queries import breaches_of
from services.demands.visits import HomeVisit
from services.errors import DomainError, ErrorCode
from services.orders.models import Attendance, Claim, VolunteerOrder
from services.orgs.models import Household, OrgUnit, UnitKind
from services.orgs.service import require_unit
from services.people.models import Person
from services.reports import points
from services.reports.evaluation import RESOLVED_OUTCOMES, SATISFIED


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(slots=True)
class UnitFigures:
    """One row of the report: a grid, or the community's total."""

    unit: OrgUnit
    demands_reported: int = 0
    demands_closed: int = 0
    demands_resolved: int = 0
    responded_in_time: int = 0
    rated: int = 0
    satisfied: int = 0
    breaches: int = 0
    households: int = 0
    households_visited: int = 0
    visits: int = 0
    inspection_rounds: int = 0
    volunteer_minutes: int = 0
    points_earned: int = 0
    points_spent: int = 0

    @property
    def response_rate(self) -> float | None:
        return _rate(self.responded_in_time, self.demands_reported)

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.demands_resolved, self.demands_reported)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.rated)

    @property
    def visit_coverage(self) -> float | None:
        return _rate(self.households_visited, self.households)

    @property
    def volunteer_hours(self) -> float:
        return round(self.volunteer_minutes / 60, 1)

    def add(self, other: UnitFigures) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNTS = (
    "demands_reported",
    "demands_closed",
    "demands_resolved",
    "responded_in_time",
    "rated",
    "satisfied",
    "breaches",
    "households",
    "households_visited",
    "visits",
    "inspection_rounds",
    "volunteer_minutes",
    "points_earned",
    "points_spent",
)


@dataclass(slots=True)
class Assessment:
    unit: OrgUnit
    month: date
    generated_at: datetime
    total: UnitFigures
    grids: list[UnitFigures] = field(default_factory=list)  # a community's grids, by code


async def _demands(
    session: AsyncSession, rows: dict[uuid.UUID, UnitFigures], start: datetime, end: datetime
) -> None:
    demands = list(
        await session.scalars(
            select(Demand).where(
                Demand.grid_id.in_(list(rows)), Demand.created_at >= start, Demand.created_at < end
            )
        )
    )
    breaches = await breaches_of(session, demands)
    now = clock.now()
    for demand in demands:
        row = rows[demand.grid_id]
        view = project(demand, now)
        row.demands_reported += 1
        row.demands_closed += view.state is DemandState.CLOSED
        row.demands_resolved += view.state is DemandState.RESOLVED or (
            view.state is DemandState.CLOSED and view.outcome in RESOLVED_OUTCOMES
        )
        if view.state is DemandState.CLOSED and demand.satisfaction is not None:
            row.rated += 1
            row.satisfied += demand.satisfaction >= SATISFIED
        late = breaches[demand.id]
        row.breaches += len(late)
        row.responded_in_time += not any(
            b.level is DemandLevel.GRID and b.stage is Stage.RESPOND for b in late
        )


async def _grid_work(
    session: AsyncSession,
    rows: dict[uuid.UUID, UnitFigures],
    first: date,
    following: date,
    start: datetime,
    end: datetime,
) -> None:
    grids = list(rows)
    for grid_id, count in await session.execute(
        select(Household.grid_id, func.count())
        .where(Household.grid_id.in_(grids))
        .group_by(Household.grid_id)
    ):
        rows[grid_id].households = count
    for grid_id, visit_count, visited in await session.execute(
        select(HomeVisit.grid_id, func.count(), func.count(distinct(HomeVisit.household_id)))
        .where(
            HomeVisit.grid_id.in_(grids),
            HomeVisit.visited_on >= first,
            HomeVisit.visited_on < following,
        )
        .group_by(HomeVisit.grid_id)
    ):
        rows[grid_id].visits, rows[grid_id].households_visited = visit_count, visited
    for grid_id, count in await session.execute(
        select(InspectionRound.grid_id, func.count())
        .where(
            InspectionRound.grid_id.in_(grids),
            InspectionRound.started_at >= start,
            InspectionRound.started_at < end,
        )
        .group_by(InspectionRound.grid_id)
    ):
        rows[grid_id].inspection_rounds = count
    for grid_id, minutes in await session.execute(
        select(Household.grid_id, func.sum(Claim.minutes))
        .select_from(Claim)
        .join(VolunteerOrder, VolunteerOrder.id == Claim.order_id)
        .join(Person, Person.id == Claim.person_id)
        .join(Household, Household.id == Person.household_id)
        .where(
            Household.grid_id.in_(grids),
            Claim.attendance == Attendance.CONFIRMED,
            VolunteerOrder.starts_at >= start,
            VolunteerOrder.starts_at < end,
        )
        .group_by(Household.grid_id)
    ):
        rows[grid_id].volunteer_minutes = int(minutes or 0)


async def _points(
    session: AsyncSession,
    rows: dict[uuid.UUID, UnitFigures],
    community_id: uuid.UUID,
    first: date,
    following: date,
) -> None:
    totals: dict[uuid.UUID, Counter[str]] = defaultdict(Counter)
    for row in await points.rows(
        session,
        community_id=community_id,
        first=first,
        following=following,
        group_by=points.GroupBy.GRID,
    ):
        if row.key in rows:
            totals[row.key].update(earned=row.earned, spent=row.spent)
    for grid_id, sums in totals.items():
        rows[grid_id].points_earned, rows[grid_id].points_spent = sums["earned"], sums["spent"]


async def monthly(
    session: AsyncSession, actor: Actor, *, unit_id: uuid.UUID, month: date
) -> Assessment:
    unit = await require_unit(
        session, unit_id, kinds=[UnitKind.GRID, UnitKind.COMMUNITY], field="unitId"
    )
    if not allows(actor, Permission.EVALUATION_READ, unit.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="unitId")
    if unit.kind is UnitKind.GRID:
        grids = [unit]
    else:
        grids = list(
            await session.scalars(
                select(OrgUnit)
                .where(OrgUnit.community_id == unit.id, OrgUnit.kind == UnitKind.GRID)
                .order_by(OrgUnit.code)
            )
        )
    rows = {grid.id: UnitFigures(grid) for grid in grids}
    first, following = clock.month_days(month)
    start, end = clock.month_bounds(month)
    if rows:
        await _demands(session, rows, start, end)
        await _grid_work(session, rows, first, following, start, end)
        assert unit.community_id is not None
        await _points(session, rows, unit.community_id, first, following)
    total = UnitFigures(unit)
    for row in rows.values():
        total.add(row)
    return Assessment(
        unit=unit,
        month=first,
        generated_at=clock.now(),
        total=total,
        grids=[] if unit.kind is UnitKind.GRID else list(rows.values()),
    )
