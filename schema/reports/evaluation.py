"""Evaluation (考核): department rates, the 70/20/10 split, two-way scores, volunteer records."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error
from schema.mutations import perform
from schema.orgs.types import OrgUnit, load_unit
from schema.relay import decode_id, decode_optional_id, to_global_id
from services.ledger.periods import month_text, parse_month
from services.reports import evaluation, scores, volunteering

MONTH = "A month as YYYY-MM (Asia/Shanghai)."


@strawberry.type(description="How a department handled the demands it was summoned to in a month.")
class DepartmentEvaluation:
    month: str
    department: OrgUnit
    assigned: int = strawberry.field(description="Assignments made in the month, not returned.")
    responded_in_time: int
    response_breaches: int = strawberry.field(
        description="Times it was summoned and had not accepted by the response deadline."
    )
    resolved: int
    rated: int
    satisfied: int = strawberry.field(description="Closures rated 4 or 5.")
    response_rate: float | None = strawberry.field(
        description="Accepted within the response time / assigned; null when nothing assigned."
    )
    resolution_rate: float | None = strawberry.field(
        description="Resolved, or closed solved or not rated / assigned."
    )
    satisfaction_rate: float | None = strawberry.field(description="Rated 4 or 5 / rated.")
    mean_accept_minutes: float | None
    mean_report_in_minutes: float | None
    mean_reply_minutes: float | None


@strawberry.type(
    description="The 70/20/10 report: where a community's closed demands were resolved."
)
class ResolutionSplit:
    month: str
    community: OrgUnit
    closed: int
    grid: int
    community_level: int
    street: int = strawberry.field(description="Resolved by the street or departments it summoned.")
    grid_share: float | None
    community_share: float | None
    street_share: float | None
    grid_target: float = 0.7
    community_target: float = 0.2
    street_target: float = 0.1
    meets_target: bool | None = strawberry.field(
        description="At least 70% at the grid and at most 10% above the community."
    )


@strawberry.type(description="A score one unit gave another for a month.")
class EvaluationScore:
    id: strawberry.ID
    month: str
    scorer: OrgUnit
    scored: OrgUnit
    style: int
    performance: int
    management: int
    comment: str | None


@strawberry.type
class ScoresReceived:
    month: str
    count: int
    mean_style: float | None
    mean_performance: float | None
    mean_management: float | None
    scores: list[EvaluationScore]


@strawberry.type(description="One confirmed volunteer service.")
class ServiceRecordEntry:
    day: date
    service: str
    hours: float


@strawberry.type(description="A person's volunteer service record (志愿服务记录).")
class VolunteerRecord:
    total_hours: float
    stars: int = strawberry.field(description="0-5: at 100, 300, 600, 1000 and 1500 hours.")
    next_star_hours: int | None
    entries: list[ServiceRecordEntry]


@strawberry.input
class EvaluationScoreInput:
    scorer_unit_id: strawberry.ID = strawberry.field(
        description="The community (scoring a department) or department (scoring a community)."
    )
    scored_unit_id: strawberry.ID
    month: str = strawberry.field(description=MONTH)
    style: int
    performance: int
    management: int
    comment: str | None = None


@strawberry.type
class EvaluationScorePayload:
    score: EvaluationScore | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


async def _unit(info: Info[Context, None], unit_id: uuid.UUID) -> OrgUnit:
    unit = await load_unit(info, unit_id)
    assert unit is not None
    return unit


async def _score(info: Info[Context, None], row: scores.EvaluationScore) -> EvaluationScore:
    scorer, scored = await asyncio.gather(
        _unit(info, row.scorer_unit_id), _unit(info, row.scored_unit_id)
    )
    return EvaluationScore(
        id=to_global_id("EvaluationScore", row.id),
        month=month_text(row.month),
        scorer=scorer,
        scored=scored,
        style=row.style,
        performance=row.performance,
        management=row.management,
        comment=row.comment,
    )


@strawberry.type
class EvaluationQuery:
    @strawberry.field(description="A department's response, resolution and satisfaction rates.")
    async def department_evaluation(
        self, info: Info[Context, None], department_id: strawberry.ID, month: str
    ) -> DepartmentEvaluation:
        actor = await info.context.require_actor()
        department = decode_id(department_id, "OrgUnit", field="departmentId")
        first_day = parse_month(month)
        found = await info.context.db(
            lambda s: evaluation.department(s, actor, department_id=department, month=first_day)
        )
        return DepartmentEvaluation(
            month=month_text(found.month),
            department=await _unit(info, found.department_id),
            assigned=found.assigned,
            responded_in_time=found.responded_in_time,
            response_breaches=found.response_breaches,
            resolved=found.resolved,
            rated=found.rated,
            satisfied=found.satisfied,
            response_rate=found.response_rate,
            resolution_rate=found.resolution_rate,
            satisfaction_rate=found.satisfaction_rate,
            mean_accept_minutes=found.mean_accept_minutes,
            mean_report_in_minutes=found.mean_report_in_minutes,
            mean_reply_minutes=found.mean_reply_minutes,
        )

    @strawberry.field(description="The 70/20/10 report of a community for a month.")
    async def resolution_split(
        self, info: Info[Context, None], community_id: strawberry.ID, month: str
    ) -> ResolutionSplit:
        actor = await info.context.require_actor()
        community = decode_id(community_id, "OrgUnit", field="communityId")
        first_day = parse_month(month)
        found = await info.context.db(
            lambda s: evaluation.resolution_split(s, actor, community_id=community, month=first_day)
        )
        return ResolutionSplit(
            month=month_text(found.month),
            community=await _unit(info, found.community_id),
            closed=found.closed,
            grid=found.grid,
            community_level=found.community,
            street=found.street,
            grid_share=found.grid_share,
            community_share=found.community_share,
            street_share=found.street_share,
            meets_target=found.meets_target,
        )

    @strawberry.field(description="Scores a community or department received for a month.")
    async def scores_received(
        self, info: Info[Context, None], unit_id: strawberry.ID, month: str
    ) -> ScoresReceived:
        actor = await info.context.require_actor()
        unit = decode_id(unit_id, "OrgUnit", field="unitId")
        first_day = parse_month(month)
        rows, summary = await info.context.db(
            lambda s: scores.received(s, actor, unit_id=unit, month=first_day)
        )
        return ScoresReceived(
            month=month_text(first_day),
            count=summary.count,
            mean_style=summary.style,
            mean_performance=summary.performance,
            mean_management=summary.management,
            # gathered, so the unit loader batches every row's units into one query
            scores=list(await asyncio.gather(*(_score(info, row) for row in rows))),
        )

    @strawberry.field(description="A volunteer service record: one's own, or (staff) in scope.")
    async def volunteer_record(
        self, info: Info[Context, None], person_id: strawberry.ID | None = None
    ) -> VolunteerRecord:
        actor = await info.context.require_actor()
        person = decode_optional_id(person_id, "Person", field="personId") or actor.person_id
        found = await info.context.db(lambda s: volunteering.record(s, actor, person_id=person))
        return VolunteerRecord(
            total_hours=found.total_hours,
            stars=found.stars,
            next_star_hours=found.next_star_hours,
            entries=[
                ServiceRecordEntry(day=e.day, service=e.service, hours=e.hours)
                for e in found.entries
            ],
        )


@strawberry.type
class EvaluationMutation:
    @strawberry.mutation(
        description="Score a department (as a community) or a community (as a department)."
    )
    async def evaluation_score(
        self, info: Info[Context, None], input: EvaluationScoreInput
    ) -> EvaluationScorePayload:
        given, errors = await perform(
            info,
            lambda s, actor: scores.give(
                s,
                actor,
                scorer_unit_id=decode_id(input.scorer_unit_id, "OrgUnit", field="scorerUnitId"),
                scored_unit_id=decode_id(input.scored_unit_id, "OrgUnit", field="scoredUnitId"),
                month=parse_month(input.month),
                style=input.style,
                performance=input.performance,
                management=input.management,
                comment=input.comment,
            ),
        )
        if given is None:
            return EvaluationScorePayload(errors=list(errors))
        return EvaluationScorePayload(score=await _score(info, given))
