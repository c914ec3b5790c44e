"""Queries over volunteer orders and my claims."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.orders.types import Claim, VolunteerOrder
from schema.relay import Connection, connection, decode_optional_id
from services.orders import claims as claim_service
from services.orders import models
from services.orders import service as order_service
from services.pagination import DEFAULT_FIRST

OrderState = strawberry.enum(models.OrderState, name="OrderState")


@strawberry.type
class OrderQuery:
    @strawberry.field(
        description="Orders you may see, by start time. `claimable`: ones you can "
        "claim now (published, before the deadline, in your community or grid)."
    )
    async def orders(
        self,
        info: Info[Context, None],
        community_id: strawberry.ID | None = None,
        grid_id: strawberry.ID | None = None,
        states: list[OrderState] | None = None,  # type: ignore[valid-type]
        category: str | None = None,
        claimable: bool = False,
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> Connection[VolunteerOrder]:
        actor = await info.context.require_actor()
        community = decode_optional_id(community_id, "OrgUnit", field="communityId")
        grid = decode_optional_id(grid_id, "OrgUnit", field="gridId")
        page = await info.context.db(
            lambda s: order_service.list_orders(
                s,
                actor,
                community_id=community,
                grid_id=grid,
                states=states or (),
                category=category,
                claimable=claimable,
                first=first,
                after=after,
            )
        )
        return connection(page, VolunteerOrder.from_model)

    @strawberry.field(description="Your claims, oldest first.")
    async def my_claims(
        self, info: Info[Context, None], first: int = DEFAULT_FIRST, after: str | None = None
    ) -> Connection[Claim]:
        actor = await info.context.require_actor()
        page = await info.context.db(
            lambda s: claim_service.my_claims(s, actor, first=first, after=after)
        )
        positions = await info.context.db(lambda s: claim_service.waitlist_positions(s, page.items))
        return connection(page, lambda c: Claim.from_model(c, positions.get(c.id)))
