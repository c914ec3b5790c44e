"""Mutations on volunteer orders and claims: one service call each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error
from schema.ledger.types import PointKind
from schema.mutations import perform
from schema.orders.types import Claim, VolunteerOrder
from schema.relay import decode_id
from services.authz import Actor
from services.orders import claims as claim_service
from services.orders import models
from services.orders import service as order_service


@strawberry.input
class OrderCreateInput:
    unit_id: strawberry.ID = strawberry.field(description="A community, or one of its grids.")
    title: str
    content: str
    category: str
    location: str
    starts_at: datetime
    ends_at: datetime
    claim_deadline: datetime
    places: int
    points: int
    point_kind: PointKind  # type: ignore[valid-type]
    party_first_hours: int = 0


@strawberry.input
class OrderInput:
    id: strawberry.ID


@strawberry.input
class OrderCancelInput:
    id: strawberry.ID
    reason: str


def draft_of(input: Any) -> order_service.OrderDraft:
    """The order's terms from an input that carries them (an order's, or a wish's adoption)."""
    return order_service.OrderDraft(
        **{name: getattr(input, name) for name in order_service.OrderDraft.__dataclass_fields__}
    )


@strawberry.type
class OrderPayload:
    order: VolunteerOrder | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class OrderClaimInput:
    order_id: strawberry.ID


@strawberry.input
class ClaimInput:
    claim_id: strawberry.ID


@strawberry.input
class AttendanceConfirmInput:
    claim_id: strawberry.ID
    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = strawberry.field(
        default=None, description="Correct a forgotten or wrong check-out (needs `reason`)."
    )
    reason: str | None = None


@strawberry.type
class ClaimPayload:
    claim: Claim | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


OrderWork = Callable[[AsyncSession, Actor], Awaitable[models.VolunteerOrder]]
ClaimWork = Callable[[AsyncSession, Actor], Awaitable[models.Claim]]


async def _order(info: Info[Context, None], work: OrderWork) -> OrderPayload:
    order, errors = await perform(info, work)
    return OrderPayload(
        order=VolunteerOrder.from_model(order) if order else None, errors=list(errors)
    )


async def _claim(info: Info[Context, None], work: ClaimWork) -> ClaimPayload:
    async def with_position(session: AsyncSession, actor: Actor) -> tuple[models.Claim, int | None]:
        claim = await work(session, actor)
        positions = await claim_service.waitlist_positions(session, [claim])
        return claim, positions.get(claim.id)

    result, errors = await perform(info, with_position)
    return ClaimPayload(claim=Claim.from_model(*result) if result else None, errors=list(errors))


@strawberry.type
class OrderMutation:
    @strawberry.mutation(description="Draft a volunteer order for a community or a grid.")
    async def order_create(
        self, info: Info[Context, None], input: OrderCreateInput
    ) -> OrderPayload:
        return await _order(
            info,
            lambda s, actor: order_service.create_order(
                s,
                actor,
                unit_id=decode_id(input.unit_id, "OrgUnit", field="unitId"),
                draft=draft_of(input),
            ),
        )

    @strawberry.mutation(description="Publish a draft: people in scope may claim it.")
    async def order_publish(self, info: Info[Context, None], input: OrderInput) -> OrderPayload:
        return await _order(
            info,
            lambda s, actor: order_service.publish_order(
                s, actor, order_id=decode_id(input.id, "VolunteerOrder", field="id")
            ),
        )

    @strawberry.mutation(description="Cancel an order (with a reason); its claims are cancelled.")
    async def order_cancel(
        self, info: Info[Context, None], input: OrderCancelInput
    ) -> OrderPayload:
        return await _order(
            info,
            lambda s, actor: order_service.cancel_order(
                s,
                actor,
                order_id=decode_id(input.id, "VolunteerOrder", field="id"),
                reason=input.reason,
            ),
        )

    @strawberry.mutation(description="Mark an order completed once its service has started.")
    async def order_complete(self, info: Info[Context, None], input: OrderInput) -> OrderPayload:
        return await _order(
            info,
            lambda s, actor: order_service.complete_order(
                s, actor, order_id=decode_id(input.id, "VolunteerOrder", field="id")
            ),
        )

    @strawberry.mutation(description="Claim a place; when the order is full you join its waitlist.")
    async def order_claim(self, info: Info[Context, None], input: OrderClaimInput) -> ClaimPayload:
        return await _claim(
            info,
            lambda s, actor: claim_service.claim_order(
                s, actor, order_id=decode_id(input.order_id, "VolunteerOrder", field="orderId")
            ),
        )

    @strawberry.mutation(
        description="Give up your place before the deadline; the next in line gets it."
    )
    async def claim_withdraw(self, info: Info[Context, None], input: ClaimInput) -> ClaimPayload:
        return await _claim(
            info,
            lambda s, actor: claim_service.withdraw_claim(
                s, actor, claim_id=decode_id(input.claim_id, "Claim", field="claimId")
            ),
        )

    @strawberry.mutation(description="Check in on the day of service.")
    async def claim_check_in(self, info: Info[Context, None], input: ClaimInput) -> ClaimPayload:
        return await _claim(
            info,
            lambda s, actor: claim_service.check_in(
                s, actor, claim_id=decode_id(input.claim_id, "Claim", field="claimId")
            ),
        )

    @strawberry.mutation(description="Check out on the day of service; the hours come from this.")
    async def claim_check_out(self, info: Info[Context, None], input: ClaimInput) -> ClaimPayload:
        return await _claim(
            info,
            lambda s, actor: claim_service.check_out(
                s, actor, claim_id=decode_id(input.claim_id, "Claim", field="claimId")
            ),
        )

    @strawberry.mutation(
        description="Confirm attendance (grid leader, community admin or publisher)."
    )
    async def attendance_confirm(
        self, info: Info[Context, None], input: AttendanceConfirmInput
    ) -> ClaimPayload:
        return await _claim(
            info,
            lambda s, actor: claim_service.confirm_attendance(
                s,
                actor,
                claim_id=decode_id(input.claim_id, "Claim", field="claimId"),
                checked_in_at=input.checked_in_at,
                checked_out_at=input.checked_out_at,
                reason=input.reason,
            ),
        )

    @strawberry.mutation(description="Record that the claimant did not come.")
    async def attendance_no_show(
        self, info: Info[Context, None], input: ClaimInput
    ) -> ClaimPayload:
        return await _claim(
            info,
            lambda s, actor: claim_service.mark_no_show(
                s, actor, claim_id=decode_id(input.claim_id, "Claim", field="claimId")
            ),
        )
