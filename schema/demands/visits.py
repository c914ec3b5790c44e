"""Home visits (入户走访): log one, a household's visits, the grid's households not yet visited."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error
from schema.mutations import perform
from schema.orgs.types import Household
from schema.relay import decode_id, to_global_id
from services.demands import visits
from services.ledger.periods import parse_month


@strawberry.type(description="A grid worker's visit to a household.")
class HomeVisit:
    id: strawberry.ID
    visited_on: date
    notes: str
    issues: str | None
    visitor_name: str | None


@strawberry.input
class HomeVisitLogInput:
    household_id: strawberry.ID
    visited_on: date = strawberry.field(description="The day of the visit (not in the future).")
    notes: str
    issues: str | None = strawberry.field(default=None, description="Issues found, if any.")


@strawberry.type
class HomeVisitLogPayload:
    visit: HomeVisit | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


async def visits_of(info: Info[Context, None], rows: list[visits.HomeVisit]) -> list[HomeVisit]:
    names = await (await info.context.loaders()).name.load_many([r.visitor_id for r in rows])
    return [
        HomeVisit(
            id=to_global_id("HomeVisit", r.id),
            visited_on=r.visited_on,
            notes=r.notes,
            issues=r.issues,
            visitor_name=name,
        )
        for r, name in zip(rows, names, strict=True)
    ]


@strawberry.type
class VisitQuery:
    @strawberry.field(description="A household's visits, latest first.")
    async def household_visits(
        self, info: Info[Context, None], household_id: strawberry.ID
    ) -> list[HomeVisit]:
        actor = await info.context.require_actor()
        household = decode_id(household_id, "Household", field="householdId")
        rows = await info.context.db(
            lambda s: visits.of_household(s, actor, household_id=household)
        )
        return await visits_of(info, rows)

    @strawberry.field(description="Households of a grid not visited in a month (default: now).")
    async def households_not_visited(
        self, info: Info[Context, None], grid_id: strawberry.ID, month: str | None = None
    ) -> list[Household]:
        actor = await info.context.require_actor()
        grid = decode_id(grid_id, "OrgUnit", field="gridId")
        first_day = parse_month(month) if month else None
        rows = await info.context.db(
            lambda s: visits.not_visited(s, actor, grid_id=grid, month=first_day)
        )
        return [Household.from_model(h) for h in rows]


@strawberry.type
class VisitMutation:
    @strawberry.mutation(description="Log a visit to a household of one's grid.")
    async def home_visit_log(
        self, info: Info[Context, None], input: HomeVisitLogInput
    ) -> HomeVisitLogPayload:
        logged, errors = await perform(
            info,
            lambda s, actor: visits.log(
                s,
                actor,
                household_id=decode_id(input.household_id, "Household", field="householdId"),
                visited_on=input.visited_on,
                notes=input.notes,
                issues=input.issues,
            ),
        )
        if logged is None:
            return HomeVisitLogPayload(errors=list(errors))
        return HomeVisitLogPayload(visit=(await visits_of(info, [logged]))[0])
