"""GraphQL types of volunteer orders and claims."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.ledger.types import PointKind
from schema.orgs.types import OrgUnit, load_unit
from schema.people.types import Person
from schema.relay import Node, to_global_id
from services.orders import models
from services.orders import service as order_service

OrderScope = strawberry.enum(models.OrderScope, name="OrderScope")
OrderStatus = strawberry.enum(order_service.OrderStatus, name="OrderStatus")
ClaimState = strawberry.enum(models.ClaimState, name="ClaimState")
Attendance = strawberry.enum(models.Attendance, name="Attendance")


@strawberry.type(description="A volunteer recruitment order (招募令).")
class VolunteerOrder(Node):
    local_id: strawberry.Private[uuid.UUID]
    community_local_id: strawberry.Private[uuid.UUID]
    grid_local_id: strawberry.Private[uuid.UUID | None]
    title: str
    content: str
    category: str
    location: str
    scope: OrderScope  # type: ignore[valid-type]
    status: OrderStatus = strawberry.field(  # type: ignore[valid-type]
        description="Draft, published, full, in progress, completed or cancelled (read off "
        "the clock and the places)."
    )
    starts_at: datetime
    ends_at: datetime
    claim_deadline: datetime
    places: int
    places_taken: int
    points: int
    point_kind: PointKind  # type: ignore[valid-type]
    party_first_hours: int = strawberry.field(
        description="Hours after publishing during which only party members may claim."
    )
    published_at: datetime | None
    cancel_reason: str | None

    @classmethod
    def from_model(cls, order: models.VolunteerOrder) -> VolunteerOrder:
        return cls(
            id=to_global_id("VolunteerOrder", order.id),
            local_id=order.id,
            community_local_id=order.community_id,
            grid_local_id=order.grid_id,
            title=order.title,
            content=order.content,
            category=order.category,
            location=order.location,
            scope=order.scope,
            status=order_service.status(order),
            starts_at=order.starts_at,
            ends_at=order.ends_at,
            claim_deadline=order.claim_deadline,
            places=order.places,
            places_taken=order.places_taken,
            points=order.points,
            point_kind=order.point_kind,
            party_first_hours=order.party_first_hours,
            published_at=order.published_at,
            cancel_reason=order.cancel_reason,
        )

    @strawberry.field
    def places_left(self) -> int:
        return max(0, self.places - self.places_taken)

    @strawberry.field
    async def community(self, info: Info[Context, None]) -> OrgUnit:
        unit = await load_unit(info, self.community_local_id)
        assert unit is not None
        return unit

    @strawberry.field
    async def grid(self, info: Info[Context, None]) -> OrgUnit | None:
        return await load_unit(info, self.grid_local_id)

    @strawberry.field(description="The roster, for staff who may read the order's claims.")
    async def claims(self, info: Info[Context, None]) -> list[Claim]:
        from services.orders import claims as claim_service

        actor = await info.context.require_actor()
        rows = await info.context.db(
            lambda s: claim_service.claims_of_order(s, actor, order_id=self.local_id)
        )
        positions = await info.context.db(lambda s: claim_service.waitlist_positions(s, rows))
        return [Claim.from_model(c, positions.get(c.id)) for c in rows]


@strawberry.type(description="A person's place (or waitlist spot) on an order.")
class Claim(Node):
    local_id: strawberry.Private[uuid.UUID]
    order_local_id: strawberry.Private[uuid.UUID]
    person_local_id: strawberry.Private[uuid.UUID]
    state: ClaimState  # type: ignore[valid-type]
    waitlist_position: int | None = strawberry.field(description="1 = next in line.")
    as_party_member: bool
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    attendance: Attendance  # type: ignore[valid-type]
    minutes: int | None = strawberry.field(description="Service time, from check-in/out.")
    correction_reason: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, claim: models.Claim, waitlist_position: int | None = None) -> Claim:
        return cls(
            id=to_global_id("Claim", claim.id),
            local_id=claim.id,
            order_local_id=claim.order_id,
            person_local_id=claim.person_id,
            state=claim.state,
            waitlist_position=waitlist_position,
            as_party_member=claim.as_party_member,
            checked_in_at=claim.checked_in_at,
            checked_out_at=claim.checked_out_at,
            attendance=claim.attendance,
            minutes=claim.minutes,
            correction_reason=claim.correction_reason,
            created_at=claim.created_at,
        )

    @strawberry.field
    async def order(self, info: Info[Context, None]) -> VolunteerOrder | None:
        order = await (await info.context.loaders()).order.load(self.order_local_id)
        return VolunteerOrder.from_model(order) if order else None

    @strawberry.field(description="The claimant, when you may see them.")
    async def person(self, info: Info[Context, None]) -> Person | None:
        person = await (await info.context.loaders()).person.load(self.person_local_id)
        return Person.from_model(person) if person else None
