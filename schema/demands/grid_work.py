"""Grid work: inspection rounds (网格巡查) and a household's file (一户一档)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.demands.types import Demand
from schema.demands.visits import HomeVisit, visits_of
from schema.errors import Error
from schema.mutations import perform
from schema.orgs.types import Household
from schema.people.types import Person
from schema.relay import decode_id, to_global_id
from services.demands import household_file, inspections
from services.ledger.periods import parse_month


@strawberry.type(description="A grid worker's walk through the grid and what they found.")
class InspectionRound:
    id: strawberry.ID
    started_at: datetime
    ended_at: datetime
    route: str
    notes: str | None
    findings: list[str]
    inspector_name: str | None

    @classmethod
    def from_model(cls, row: inspections.InspectionRound, name: str | None) -> InspectionRound:
        return cls(
            id=to_global_id("InspectionRound", row.id),
            started_at=row.started_at,
            ended_at=row.ended_at,
            route=row.route,
            notes=row.notes,
            findings=list(row.findings),
            inspector_name=name,
        )


async def _rounds(
    info: Info[Context, None], rows: list[inspections.InspectionRound]
) -> list[InspectionRound]:
    names = await (await info.context.loaders()).name.load_many([r.inspector_id for r in rows])
    return [InspectionRound.from_model(r, n) for r, n in zip(rows, names, strict=True)]


@strawberry.type(description="A household's file: members, visits (latest first), demands.")
class HouseholdFile:
    household: Household
    members: list[Person]
    visits: list[HomeVisit]
    demands: list[Demand] = strawberry.field(
        description="Its members' demands you may see, latest first (at most 100)."
    )
    last_visited_on: str | None = strawberry.field(description="The latest visit's day.")


@strawberry.input
class InspectionRoundLogInput:
    grid_id: strawberry.ID
    started_at: datetime
    ended_at: datetime = strawberry.field(description="Not in the future; at most 12 hours on.")
    route: str
    notes: str | None = None
    findings: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class InspectionRoundLogPayload:
    round: InspectionRound | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class GridWorkQuery:
    @strawberry.field(description="A grid's inspection rounds in a month (default: this one).")
    async def inspection_rounds(
        self, info: Info[Context, None], grid_id: strawberry.ID, month: str | None = None
    ) -> list[InspectionRound]:
        actor = await info.context.require_actor()
        grid = decode_id(grid_id, "OrgUnit", field="gridId")
        first_day = parse_month(month) if month else None
        rows = await info.context.db(
            lambda s: inspections.of_grid(s, actor, grid_id=grid, month=first_day)
        )
        return await _rounds(info, rows)

    @strawberry.field(description="A household's file: its members, visits and demands.")
    async def household_file(
        self, info: Info[Context, None], household_id: strawberry.ID
    ) -> HouseholdFile:
        actor = await info.context.require_actor()
        household = decode_id(household_id, "Household", field="householdId")
        found = await info.context.db(
            lambda s: household_file.open_file(s, actor, household_id=household)
        )
        return HouseholdFile(
            household=Household.from_model(found.household),
            members=[Person.from_model(p) for p in found.members],
            visits=await visits_of(info, found.visits),
            demands=[Demand.from_model(d) for d in found.demands],
            last_visited_on=found.visits[0].visited_on.isoformat() if found.visits else None,
        )


@strawberry.type
class GridWorkMutation:
    @strawberry.mutation(description="Log an inspection round of one's grid.")
    async def inspection_round_log(
        self, info: Info[Context, None], input: InspectionRoundLogInput
    ) -> InspectionRoundLogPayload:
        logged, errors = await perform(
            info,
            lambda s, actor: inspections.log(
                s,
                actor,
                grid_id=decode_id(input.grid_id, "OrgUnit", field="gridId"),
                started_at=input.started_at,
                ended_at=input.ended_at,
                route=input.route,
                notes=input.notes,
                findings=input.findings,
            ),
        )
        if logged is None:
            return InspectionRoundLogPayload(errors=list(errors))
        return InspectionRoundLogPayload(round=(await _rounds(info, [logged]))[0])
