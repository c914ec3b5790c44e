"""Mutations of demands: report; accept, solve, escalate, return; summon departments, which
accept, report in, reply or return; the resident confirms and rates."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from schema.context import Context
from schema.demands.types import (
    Demand,
    DemandCategory,
    DemandServiceLevel,
    DemandType,
    Outcome,
    Urgency,
)
from schema.errors import Error
from schema.mutations import perform
from schema.relay import decode_id, decode_optional_id
from services.authz import Actor
from services.demands import closure, departments, handling
from services.demands import service as demand_service
from services.demands.models import Demand as DemandModel


def _photos(ids: list[strawberry.ID] | None) -> list[uuid.UUID]:
    return [decode_id(i, "DemandPhoto", field="photoIds") for i in ids or []]


def _demand_id(input: Any) -> uuid.UUID:
    return decode_id(input.demand_id, "Demand", field="demandId")


@strawberry.type
class DemandPayload:
    demand: Demand | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


async def _run(
    info: Info[Context, None], work: Callable[[AsyncSession, Actor], Awaitable[Any]], demand_id: Any
) -> DemandPayload:
    """Run ``work``, then answer with the demand as it now stands."""

    async def step(session: AsyncSession, actor: Actor) -> DemandModel | None:
        result = await work(session, actor)
        if isinstance(result, DemandModel):
            return result
        return await session.get(DemandModel, demand_id())

    demand, errors = await perform(info, step)
    return DemandPayload(demand=Demand.from_model(demand) if demand else None, errors=list(errors))


@strawberry.input
class DemandReportInput:
    type: DemandType  # type: ignore[valid-type]
    category_id: strawberry.ID
    description: str
    urgency: Urgency = Urgency.NORMAL  # type: ignore[valid-type]
    address: str | None = None
    grid_id: strawberry.ID | None = strawberry.field(
        default=None, description="Where it is, when not at the resident's own grid."
    )
    photo_ids: list[strawberry.ID] | None = None
    on_behalf_of: strawberry.ID | None = strawberry.field(
        default=None, description="A grid worker reporting for a resident of their grid."
    )


@strawberry.input
class DemandInput:
    demand_id: strawberry.ID


@strawberry.input
class DemandNoteInput:
    demand_id: strawberry.ID
    note: str | None = None
    photo_ids: list[strawberry.ID] | None = None


@strawberry.input
class DemandReasonInput:
    demand_id: strawberry.ID
    reason: str


@strawberry.input
class DemandAssignInput:
    demand_id: strawberry.ID
    lead_department_id: strawberry.ID
    assisting_department_ids: list[strawberry.ID] | None = None
    note: str | None = None


@strawberry.input
class DemandReplyInput:
    demand_id: strawberry.ID
    reply: str
    photo_ids: list[strawberry.ID] | None = None


@strawberry.input
class DemandConfirmInput:
    demand_id: strawberry.ID
    outcome: Outcome  # type: ignore[valid-type]
    satisfaction: int = strawberry.field(description="1 (very unsatisfied) to 5.")
    comment: str | None = None


@strawberry.input
class DemandCategoryCreateInput:
    community_id: strawberry.ID
    name: str


@strawberry.type
class DemandCategoryPayload:
    category: DemandCategory | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input(
    description="Minutes are 1 to 43200 (30 days). Applies to demands reported later."
)
class DemandServiceLevelSetInput:
    category_id: strawberry.ID
    urgency: Urgency  # type: ignore[valid-type]
    respond_minutes: int
    resolve_minutes: int
    recovery_minutes: int


@strawberry.type
class DemandServiceLevelPayload:
    service_level: DemandServiceLevel | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class DemandMutation:
    @strawberry.mutation(description="Report a demand; it lands with the grid's workers.")
    async def demand_report(
        self, info: Info[Context, None], input: DemandReportInput
    ) -> DemandPayload:
        demand, errors = await perform(
            info,
            lambda s, actor: demand_service.report(
                s,
                actor,
                type=input.type,
                category_id=decode_id(input.category_id, "DemandCategory", field="categoryId"),
                description=input.description,
                urgency=input.urgency,
                address=input.address,
                grid_id=decode_optional_id(input.grid_id, "OrgUnit", field="gridId"),
                photo_ids=_photos(input.photo_ids),
                on_behalf_of=decode_optional_id(input.on_behalf_of, "Person", field="onBehalfOf"),
            ),
        )
        return DemandPayload(
            demand=Demand.from_model(demand) if demand else None, errors=list(errors)
        )

    @strawberry.mutation(description="Accept a demand at your level; the first one wins.")
    async def demand_accept(self, info: Info[Context, None], input: DemandInput) -> DemandPayload:
        return await _run(
            info,
            lambda s, a: handling.accept(s, a, demand_id=_demand_id(input)),
            lambda: _demand_id(input),
        )

    @strawberry.mutation(description="Solved: it waits for the resident's confirmation.")
    async def demand_solve(
        self, info: Info[Context, None], input: DemandNoteInput
    ) -> DemandPayload:
        return await _run(
            info,
            lambda s, a: handling.solve(
                s,
                a,
                demand_id=_demand_id(input),
                note=input.note,
                photo_ids=_photos(input.photo_ids),
            ),
            lambda: _demand_id(input),
        )

    @strawberry.mutation(description="Escalate: grid to community, community to street.")
    async def demand_escalate(
        self, info: Info[Context, None], input: DemandNoteInput
    ) -> DemandPayload:
        return await _run(
            info,
            lambda s, a: handling.escalate(
                s,
                a,
                demand_id=_demand_id(input),
                reason=input.note,
                photo_ids=_photos(input.photo_ids),
            ),
            lambda: _demand_id(input),
        )

    @strawberry.mutation(description="Return a misrouted demand to the level below, with a reason.")
    async def demand_return(
        self, info: Info[Context, None], input: DemandReasonInput
    ) -> DemandPayload:
        return await _run(
            info,
            lambda s, a: handling.return_demand(
                s, a, demand_id=_demand_id(input), reason=input.reason
            ),
            lambda: _demand_id(input),
        )

    @strawberry.mutation(description="The street blows the whistle: summon departments.")
    async def demand_assign_departments(
        self, info: Info[Context, None], input: DemandAssignInput
    ) -> DemandPayload:
        return await _run(
            info,
            lambda s, a: departments.assign(
                s,
                a,
                demand_id=_demand_id(input),
                lead_id=decode_id(input.lead_department_id, "OrgUnit", field="leadDepartmentId"),
                assisting_ids=[
                    decode_id(d, "OrgUnit", field="assistingDepartmentIds")
                    for d in input.assisting_department_ids or []
                ],
                note=input.note,
            ),
            lambda: _demand_id(input),
        )

    @strawberry.mutation(description="Your department accepts the demand it was summoned to.")
    async def demand_department_accept(
        self, info: Info[Context, None], input: DemandInput
    ) -> DemandPayload:
        return await _run(
            info,
            lambda s, a: departments.department_accept(s, a, demand_id=_demand_id(input)),
            lambda: _demand_id(input),
        )

    @strawberry.mutation(description="Your department reports in (报到) on site.")
    async def demand_department_report_in(
        self, info: Info[Context, None], input: DemandNoteInput
    ) -> DemandPayload:
        return await _run(
            info,
            lambda s, a: departments.report_in(s, a, demand_id=_demand_id(input), note=input.note),
            lambda: _demand_id(input),
        )

    @strawberry.mutation(description="Your department replies; the lead's reply resolves it.")
    async def demand_department_reply(
        self, info: Info[Context, None], input: DemandReplyInput
    ) -> DemandPayload:
        return await _run(
            info,
            lambda s, a: departments.reply(
                s,
                a,
                demand_id=_demand_id(input),
                reply=input.reply,
                photo_ids=_photos(input.photo_ids),
            ),
            lambda: _demand_id(input),
        )

    @strawberry.mutation(description="Your department returns a misrouted demand to the street.")
    async def demand_department_return(
        self, info: Info[Context, None], input: DemandReasonInput
    ) -> DemandPayload:
        return await _run(
            info,
            lambda s, a: departments.department_return(
                s, a, demand_id=_demand_id(input), reason=input.reason
            ),
            lambda: _demand_id(input),
        )

    @strawberry.mutation(description="Confirm and rate a resolved demand; unhappy reopens it once.")
    async def demand_confirm(
        self, info: Info[Context, None], input: DemandConfirmInput
    ) -> DemandPayload:
        return await _run(
            info,
            lambda s, a: closure.confirm(
                s,
                a,
                demand_id=_demand_id(input),
                outcome=input.outcome,
                satisfaction=input.satisfaction,
                comment=input.comment,
            ),
            lambda: _demand_id(input),
        )

    @strawberry.mutation(description="Set a category's service level for one urgency.")
    async def demand_service_level_set(
        self, info: Info[Context, None], input: DemandServiceLevelSetInput
    ) -> DemandServiceLevelPayload:
        level, errors = await perform(
            info,
            lambda s, actor: demand_service.service_level_set(
                s,
                actor,
                category_id=decode_id(input.category_id, "DemandCategory", field="categoryId"),
                urgency=input.urgency,
                respond_minutes=input.respond_minutes,
                resolve_minutes=input.resolve_minutes,
                recovery_minutes=input.recovery_minutes,
            ),
        )
        return DemandServiceLevelPayload(
            service_level=DemandServiceLevel.from_model(level) if level else None,
            errors=list(errors),
        )

    @strawberry.mutation(description="Add a category to a community's catalogue.")
    async def demand_category_create(
        self, info: Info[Context, None], input: DemandCategoryCreateInput
    ) -> DemandCategoryPayload:
        category, errors = await perform(
            info,
            lambda s, actor: demand_service.category_create(
                s,
                actor,
                community_id=decode_id(input.community_id, "OrgUnit", field="communityId"),
                name=input.name,
            ),
        )
        return DemandCategoryPayload(
            category=DemandCategory.from_model(category) if category else None,
            errors=list(errors),
        )
