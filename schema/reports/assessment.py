"""The monthly assessment (月度考核) of a grid or a community, also as CSV and a printable PDF."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.orgs.types import OrgUnit
from schema.relay import decode_id
from services.ledger.periods import parse_month
from services.reports import assessment


@strawberry.type(description="One row of the assessment: a grid, or the community's total.")
class AssessmentFigures:
    unit: OrgUnit
    demands_reported: int
    demands_closed: int
    demands_resolved: int
    responded_in_time: int
    rated: int
    satisfied: int
    breaches: int = strawberry.field(description="Missed deadlines of the month's demands.")
    households: int
    households_visited: int
    visits: int
    inspection_rounds: int
    volunteer_hours: float
    points_earned: int
    points_spent: int = strawberry.field(description="Every debit: redemptions, expiry, reversals.")
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    visit_coverage: float | None = strawberry.field(description="Households visited / households.")

    @classmethod
    def from_figures(cls, row: assessment.UnitFigures) -> AssessmentFigures:
        return cls(
            unit=OrgUnit.from_model(row.unit),
            demands_reported=row.demands_reported,
            demands_closed=row.demands_closed,
            demands_resolved=row.demands_resolved,
            responded_in_time=row.responded_in_time,
            rated=row.rated,
            satisfied=row.satisfied,
            breaches=row.breaches,
            households=row.households,
            households_visited=row.households_visited,
            visits=row.visits,
            inspection_rounds=row.inspection_rounds,
            volunteer_hours=row.volunteer_hours,
            points_earned=row.points_earned,
            points_spent=row.points_spent,
            response_rate=row.response_rate,
            resolution_rate=row.resolution_rate,
            satisfaction_rate=row.satisfaction_rate,
            visit_coverage=row.visit_coverage,
        )


@strawberry.type(description="A grid's or community's month; download it as CSV or PDF.")
class MonthlyAssessment:
    month: str
    generated_at: datetime
    total: AssessmentFigures
    grids: list[AssessmentFigures] = strawberry.field(description="A community's grids.")
    csv_url: str = strawberry.field(description="GET with your Authorization header.")
    pdf_url: str = strawberry.field(description="GET with your Authorization header.")


def download_path(unit_code: str, month: str, extension: str) -> str:
    return f"/reports/assessment/{unit_code}/{month}.{extension}"


@strawberry.type
class AssessmentQuery:
    @strawberry.field(description="The monthly assessment of a grid or a community (YYYY-MM).")
    async def monthly_assessment(
        self, info: Info[Context, None], unit_id: strawberry.ID, month: str
    ) -> MonthlyAssessment:
        actor = await info.context.require_actor()
        unit = decode_id(unit_id, "OrgUnit", field="unitId")
        first_day = parse_month(month)
        report = await info.context.db(
            lambda s: assessment.monthly(s, actor, unit_id=unit, month=first_day)
        )
        label = report.month.strftime("%Y-%m")
        return MonthlyAssessment(
            month=label,
            generated_at=report.generated_at,
            total=AssessmentFigures.from_figures(report.total),
            grids=[AssessmentFigures.from_figures(row) for row in report.grids],
            csv_url=download_path(report.unit.code, label, "csv"),
            pdf_url=download_path(report.unit.code, label, "pdf"),
        )
