"""Queries over demands: mine, a unit's queue with its clocks, a department's, the catalogue."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.demands.types import Demand, DemandCategory
from schema.relay import Connection, connection, decode_id
from services.demands import queries as demand_queries
from services.demands import service as demand_service
from services.pagination import DEFAULT_FIRST


@strawberry.type
class DemandQuery:
    @strawberry.field(description="The demands you reported (or that were reported for you).")
    async def my_demands(
        self, info: Info[Context, None], first: int = DEFAULT_FIRST, after: str | None = None
    ) -> Connection[Demand]:
        actor = await info.context.require_actor()
        page = await info.context.db(
            lambda s: demand_queries.my_demands(s, actor, first=first, after=after)
        )
        return connection(page, Demand.from_model)

    @strawberry.field(
        description="Open demands of a grid (or everything under a community or street), "
        "oldest stage clock first, with their service-level clocks."
    )
    async def demand_queue(
        self,
        info: Info[Context, None],
        unit_id: strawberry.ID,
        include_closed: bool = False,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> Connection[Demand]:
        actor = await info.context.require_actor()
        unit = decode_id(unit_id, "OrgUnit", field="unitId")
        page = await info.context.db(
            lambda s: demand_queries.queue(
                s, actor, unit_id=unit, include_closed=include_closed, first=first, after=after
            )
        )
        return connection(page, Demand.from_model)

    @strawberry.field(description="Demands your department was summoned to.")
    async def assigned_demands(
        self, info: Info[Context, None], first: int = DEFAULT_FIRST, after: str | None = None
    ) -> Connection[Demand]:
        actor = await info.context.require_actor()
        page = await info.context.db(
            lambda s: demand_queries.assigned(s, actor, first=first, after=after)
        )
        return connection(page, Demand.from_model)

    @strawberry.field(description="A community's demand categories.")
    async def demand_categories(
        self, info: Info[Context, None], community_id: strawberry.ID
    ) -> list[DemandCategory]:
        await info.context.require_actor()
        community = decode_id(community_id, "OrgUnit", field="communityId")
        rows = await info.context.db(lambda s: demand_service.categories(s, community))
        return [DemandCategory.from_model(row) for row in rows]
