"""Mutations on redemptions: checkout a basket, cancel, write off a pickup code."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error
from schema.ledger.types import PointKind
from schema.mutations import perform
from schema.redemptions.types import Redemption
from schema.relay import decode_id
from services.redemptions import basket as basket_service
from services.redemptions import lifecycle, waitlist


@strawberry.input
class GoodsLineInput:
    goods_id: strawberry.ID
    quantity: int = 1


@strawberry.input
class VenueLineInput:
    venue_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime


@strawberry.input
class SessionLineInput:
    session_id: strawberry.ID
    places: int = 1


@strawberry.input
class RedemptionCheckoutInput:
    point_kind: PointKind  # type: ignore[valid-type]
    goods: list[GoodsLineInput] = strawberry.field(default_factory=list)
    venue: VenueLineInput | None = None
    sessions: list[SessionLineInput] = strawberry.field(default_factory=list)
    idempotency_key: str = strawberry.field(
        description="A retry with the same key returns the first result: one effect per key."
    )

    def basket(self) -> basket_service.Basket:
        venue = self.venue
        return basket_service.Basket(
            point_kind=self.point_kind,
            goods=[
                basket_service.GoodsLine(
                    decode_id(g.goods_id, "Goods", field="goodsId"), g.quantity
                )
                for g in self.goods
            ],
            venue=basket_service.VenueLine(
                decode_id(venue.venue_id, "Venue", field="venueId"), venue.starts_at, venue.ends_at
            )
            if venue
            else None,
            sessions=[
                basket_service.SessionLine(
                    decode_id(x.session_id, "ServiceSession", field="sessionId"), x.places
                )
                for x in self.sessions
            ],
        )


@strawberry.input
class RedemptionCancelInput:
    redemption_id: strawberry.ID
    idempotency_key: str


@strawberry.input
class RedemptionFulfilInput:
    community_id: strawberry.ID
    pickup_code: str


@strawberry.type
class RedemptionPayload:
    redemption: Redemption | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class SessionWaitlistInput:
    session_id: strawberry.ID


@strawberry.type
class SessionWaitlistPayload:
    position: int | None = strawberry.field(default=None, description="1 = next in line.")
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class RedemptionMutation:
    @strawberry.mutation(
        description="Redeem a basket (goods, at most one venue booking, session places) in your "
        "community: one hold on your points, everything reserved or nothing."
    )
    async def redemption_checkout(
        self, info: Info[Context, None], input: RedemptionCheckoutInput
    ) -> RedemptionPayload:
        found, errors = await perform(
            info,
            lambda s, actor: basket_service.checkout(
                s, actor, basket=input.basket(), idempotency_key=input.idempotency_key
            ),
        )
        return RedemptionPayload(
            redemption=Redemption.from_model(found) if found else None, errors=list(errors)
        )

    @strawberry.mutation(description="Cancel your redemption before pickup: all is given back.")
    async def redemption_cancel(
        self, info: Info[Context, None], input: RedemptionCancelInput
    ) -> RedemptionPayload:
        found, errors = await perform(
            info,
            lambda s, actor: lifecycle.cancel(
                s,
                actor,
                redemption_id=decode_id(input.redemption_id, "Redemption", field="redemptionId"),
                idempotency_key=input.idempotency_key,
            ),
        )
        return RedemptionPayload(
            redemption=Redemption.from_model(found) if found else None, errors=list(errors)
        )

    @strawberry.mutation(description="Staff: write off (核销) a pickup code; the points are spent.")
    async def redemption_fulfil(
        self, info: Info[Context, None], input: RedemptionFulfilInput
    ) -> RedemptionPayload:
        found, errors = await perform(
            info,
            lambda s, actor: lifecycle.fulfil(
                s,
                actor,
                community_id=decode_id(input.community_id, "OrgUnit", field="communityId"),
                pickup_code=input.pickup_code,
            ),
        )
        return RedemptionPayload(
            redemption=Redemption.from_model(found) if found else None, errors=list(errors)
        )

    @strawberry.mutation(description="Wait for a place on a full session; your position.")
    async def session_waitlist_join(
        self, info: Info[Context, None], input: SessionWaitlistInput
    ) -> SessionWaitlistPayload:
        found, errors = await perform(
            info,
            lambda s, actor: waitlist.join(
                s,
                actor,
                session_id=decode_id(input.session_id, "ServiceSession", field="sessionId"),
            ),
        )
        return SessionWaitlistPayload(position=found, errors=list(errors))

    @strawberry.mutation(description="Leave a session's waitlist.")
    async def session_waitlist_leave(
        self, info: Info[Context, None], input: SessionWaitlistInput
    ) -> SessionWaitlistPayload:
        _, errors = await perform(
            info,
            lambda s, actor: waitlist.leave(
                s,
                actor,
                session_id=decode_id(input.session_id, "ServiceSession", field="sessionId"),
            ),
        )
        return SessionWaitlistPayload(errors=list(errors))
