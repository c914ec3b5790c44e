"""The wish wall (微心愿墙): post, support, withdraw; the grid adopts a wish as a demand or a
draft order, or declines it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from schema.context import Context
from schema.demands.types import Demand, DemandType, Urgency
from schema.errors import Error
from schema.ledger.types import PointKind
from schema.mutations import perform
from schema.orders.mutations import draft_of
from schema.orders.types import VolunteerOrder
from schema.orgs.types import OrgUnit
from schema.people.types import mask_name
from schema.relay import Connection, Node, connection, decode_id, to_global_id
from services.authz import Actor
from services.demands import wishes
from services.pagination import DEFAULT_FIRST

WishState = strawberry.enum(wishes.WishState, name="WishState")


@strawberry.type(description="A wish on a grid's wall (微心愿).")
class Wish(Node):
    local_id: strawberry.Private[uuid.UUID]
    grid_local_id: strawberry.Private[uuid.UUID]
    author_local_id: strawberry.Private[uuid.UUID]
    demand_local_id: strawberry.Private[uuid.UUID | None]
    order_local_id: strawberry.Private[uuid.UUID | None]
    title: str
    content: str
    state: WishState  # type: ignore[valid-type]
    supporters: int = strawberry.field(description="How many neighbours support it.")
    reason: str | None = strawberry.field(description="Why it was declined.")
    handled_at: datetime | None
    created_at: datetime

    @classmethod
    def from_model(cls, wish: wishes.Wish) -> Wish:
        return cls(
            id=to_global_id("Wish", wish.id),
            local_id=wish.id,
            grid_local_id=wish.grid_id,
            author_local_id=wish.author_id,
            demand_local_id=wish.demand_id,
            order_local_id=wish.order_id,
            title=wish.title,
            content=wish.content,
            state=wish.state,
            supporters=wish.supporters,
            reason=wish.reason,
            handled_at=wish.handled_at,
            created_at=wish.created_at,
        )

    @strawberry.field(description="The author's name, masked (王*明): the wall is public.")
    async def author_name(self, info: Info[Context, None]) -> str | None:
        name = await (await info.context.loaders()).name.load(self.author_local_id)
        return mask_name(name) if name else None

    @strawberry.field(description="Whether you posted it.")
    async def mine(self, info: Info[Context, None]) -> bool:
        actor = await info.context.actor()
        return actor is not None and actor.person_id == self.author_local_id

    @strawberry.field(description="Whether you support it.")
    async def supported_by_me(self, info: Info[Context, None]) -> bool:
        return bool(await (await info.context.loaders()).wish_supported.load(self.local_id))

    @strawberry.field
    async def grid(self, info: Info[Context, None]) -> OrgUnit | None:
        unit = await (await info.context.loaders()).unit.load(self.grid_local_id)
        return OrgUnit.from_model(unit) if unit else None

    @strawberry.field(description="The demand it became, if you may see it.")
    async def demand(self, info: Info[Context, None]) -> Demand | None:
        if self.demand_local_id is None:
            return None
        row = await (await info.context.loaders()).demand.load(self.demand_local_id)
        return Demand.from_model(row) if row else None

    @strawberry.field(description="The volunteer order it became, if you may see it.")
    async def order(self, info: Info[Context, None]) -> VolunteerOrder | None:
        if self.order_local_id is None:
            return None
        row = await (await info.context.loaders()).order.load(self.order_local_id)
        return VolunteerOrder.from_model(row) if row else None


@strawberry.input
class WishPostInput:
    title: str
    content: str


@strawberry.input
class WishInput:
    wish_id: strawberry.ID


@strawberry.input
class WishDeclineInput:
    wish_id: strawberry.ID
    reason: str


@strawberry.input
class WishAdoptAsDemandInput:
    wish_id: strawberry.ID
    category_id: strawberry.ID
    type: DemandType = DemandType.HELP  # type: ignore[valid-type]
    urgency: Urgency = Urgency.NORMAL  # type: ignore[valid-type]


@strawberry.input(
    description="A draft order from a wish; a blank title or content takes the wish's."
)
class WishAdoptAsOrderInput:
    wish_id: strawberry.ID
    title: str = ""
    content: str = ""
    category: str
    location: str
    starts_at: datetime
    ends_at: datetime
    claim_deadline: datetime
    places: int
    points: int
    point_kind: PointKind  # type: ignore[valid-type]
    party_first_hours: int = 0


@strawberry.type
class WishPayload:
    wish: Wish | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class WishAdoptAsDemandPayload:
    wish: Wish | None = None
    demand: Demand | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class WishAdoptAsOrderPayload:
    wish: Wish | None = None
    order: VolunteerOrder | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


def _wish_id(input: Any) -> uuid.UUID:
    return decode_id(input.wish_id, "Wish", field="wishId")


async def _wish(
    info: Info[Context, None], work: Callable[[AsyncSession, Actor], Awaitable[wishes.Wish]]
) -> WishPayload:
    wish, errors = await perform(info, work)
    return WishPayload(wish=Wish.from_model(wish) if wish else None, errors=list(errors))


@strawberry.type
class WishQuery:
    @strawberry.field(description="A grid's wish wall, oldest first; filter by state.")
    async def wish_wall(
        self,
        info: Info[Context, None],
        grid_id: strawberry.ID,
        states: list[WishState] | None = None,  # type: ignore[valid-type]
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> Connection[Wish]:
        actor = await info.context.require_actor()
        grid = decode_id(grid_id, "OrgUnit", field="gridId")
        page = await info.context.db(
            lambda s: wishes.wall(
                s, actor, grid_id=grid, states=states or (), first=first, after=after
            )
        )
        return connection(page, Wish.from_model)


@strawberry.type
class WishMutation:
    @strawberry.mutation(description="Post a wish on your grid's wall.")
    async def wish_post(self, info: Info[Context, None], input: WishPostInput) -> WishPayload:
        return await _wish(
            info, lambda s, actor: wishes.post(s, actor, title=input.title, content=input.content)
        )

    @strawberry.mutation(description="Support a neighbour's wish (once).")
    async def wish_support(self, info: Info[Context, None], input: WishInput) -> WishPayload:
        return await _wish(info, lambda s, actor: wishes.support(s, actor, wish_id=_wish_id(input)))

    @strawberry.mutation(description="Withdraw your own open wish.")
    async def wish_withdraw(self, info: Info[Context, None], input: WishInput) -> WishPayload:
        return await _wish(
            info, lambda s, actor: wishes.withdraw(s, actor, wish_id=_wish_id(input))
        )

    @strawberry.mutation(description="The grid worker declines a wish, with a reason.")
    async def wish_decline(self, info: Info[Context, None], input: WishDeclineInput) -> WishPayload:
        return await _wish(
            info,
            lambda s, actor: wishes.decline(s, actor, wish_id=_wish_id(input), reason=input.reason),
        )

    @strawberry.mutation(description="The grid worker reports a wish as a demand for its author.")
    async def wish_adopt_as_demand(
        self, info: Info[Context, None], input: WishAdoptAsDemandInput
    ) -> WishAdoptAsDemandPayload:
        result, errors = await perform(
            info,
            lambda s, actor: wishes.adopt_as_demand(
                s,
                actor,
                wish_id=_wish_id(input),
                category_id=decode_id(input.category_id, "DemandCategory", field="categoryId"),
                type=input.type,
                urgency=input.urgency,
            ),
        )
        if result is None:
            return WishAdoptAsDemandPayload(errors=list(errors))
        wish, demand = result
        return WishAdoptAsDemandPayload(
            wish=Wish.from_model(wish), demand=Demand.from_model(demand)
        )

    @strawberry.mutation(description="Turn a wish into a draft volunteer order for its grid.")
    async def wish_adopt_as_order(
        self, info: Info[Context, None], input: WishAdoptAsOrderInput
    ) -> WishAdoptAsOrderPayload:
        result, errors = await perform(
            info,
            lambda s, actor: wishes.adopt_as_order(
                s,
                actor,
                wish_id=_wish_id(input),
                draft=draft_of(input),
            ),
        )
        if result is None:
            return WishAdoptAsOrderPayload(errors=list(errors))
        wish, order = result
        return WishAdoptAsOrderPayload(
            wish=Wish.from_model(wish), order=VolunteerOrder.from_model(order)
        )
