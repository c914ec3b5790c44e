"""GraphQL types of redemptions, their lines and venue bookings, and the monthly statistics."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import strawberry
from strawberry.types import Info

from schema.catalog.types import Venue
from schema.context import Context
from schema.ledger.types import PointKind
from schema.orgs.types import OrgUnit, load_unit
from schema.people.types import Person
from schema.relay import Node, to_global_id
from services.redemptions import lifecycle, models
from services.redemptions import queries as redemption_queries

RedemptionState = strawberry.enum(
    models.RedemptionState,
    name="RedemptionState",
    description="Reserved until written off, cancelled or expired (read off the clock).",
)
LineKind = strawberry.enum(models.LineKind, name="RedemptionLineKind")


@strawberry.type(description="One line of a redemption: goods, venue slots or session places.")
class RedemptionLine:
    kind: LineKind  # type: ignore[valid-type]
    title: str
    quantity: int = strawberry.field(description="Goods units, venue slots or places.")
    points: int
    item_id: strawberry.ID

    @classmethod
    def from_model(cls, line: models.RedemptionLine) -> RedemptionLine:
        type_name, local = {
            models.LineKind.GOODS: ("Goods", line.goods_id),
            models.LineKind.VENUE: ("Venue", line.venue_id),
            models.LineKind.SESSION: ("ServiceSession", line.session_id),
        }[line.kind]
        assert local is not None
        return cls(
            kind=line.kind,
            title=line.title,
            quantity=line.quantity,
            points=line.points,
            item_id=to_global_id(type_name, local),
        )


@strawberry.type(description="A venue held for a redemption.")
class VenueBooking:
    venue_local_id: strawberry.Private[uuid.UUID]
    redemption_local_id: strawberry.Private[uuid.UUID]
    starts_at: datetime
    ends_at: datetime
    active: bool

    @classmethod
    def from_model(cls, booking: models.VenueBooking) -> VenueBooking:
        return cls(
            venue_local_id=booking.venue_id,
            redemption_local_id=booking.redemption_id,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            active=booking.active,
        )

    @strawberry.field
    async def venue(self, info: Info[Context, None]) -> Venue | None:
        found = await (await info.context.loaders()).venue.load(self.venue_local_id)
        return Venue.from_model(found) if found else None

    @strawberry.field(description="The redemption, when you may see it.")
    async def redemption(self, info: Info[Context, None]) -> Redemption | None:
        found = await (await info.context.loaders()).redemption.load(self.redemption_local_id)
        return Redemption.from_model(found) if found else None


@strawberry.type(description="A redemption (兑换) with its pickup code (自提码).")
class Redemption(Node):
    local_id: strawberry.Private[uuid.UUID]
    person_local_id: strawberry.Private[uuid.UUID]
    community_local_id: strawberry.Private[uuid.UUID]
    state: RedemptionState  # type: ignore[valid-type]
    pickup_code: str = strawberry.field(description="Shown as a QR code; staff write it off.")
    total: int
    point_kind: PointKind  # type: ignore[valid-type]
    deadline: datetime = strawberry.field(description="Pick up (or check in) before this.")
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def from_model(cls, redemption: models.Redemption) -> Redemption:
        return cls(
            id=to_global_id("Redemption", redemption.id),
            local_id=redemption.id,
            person_local_id=redemption.person_id,
            community_local_id=redemption.community_id,
            state=lifecycle.status(redemption),
            pickup_code=redemption.pickup_code,
            total=redemption.total,
            point_kind=redemption.point_kind,
            deadline=redemption.deadline,
            created_at=redemption.created_at,
            closed_at=redemption.closed_at,
        )

    @strawberry.field
    async def lines(self, info: Info[Context, None]) -> list[RedemptionLine]:
        rows = await (await info.context.loaders()).redemption_lines.load(self.local_id)
        return [RedemptionLine.from_model(line) for line in rows]

    @strawberry.field
    async def booking(self, info: Info[Context, None]) -> VenueBooking | None:
        found = await (await info.context.loaders()).redemption_booking.load(self.local_id)
        return VenueBooking.from_model(found) if found else None

    @strawberry.field(description="Who redeemed, when you may see them.")
    async def person(self, info: Info[Context, None]) -> Person | None:
        person = await (await info.context.loaders()).person.load(self.person_local_id)
        return Person.from_model(person) if person else None

    @strawberry.field
    async def community(self, info: Info[Context, None]) -> OrgUnit | None:
        return await load_unit(info, self.community_local_id)


@strawberry.type(description="Points spent on one item in the month.")
class ItemSpending:
    kind: LineKind  # type: ignore[valid-type]
    item_id: strawberry.ID
    title: str
    quantity: int
    points: int

    @classmethod
    def from_total(cls, total: redemption_queries.ItemTotal) -> ItemSpending:
        type_name = {"goods": "Goods", "venue": "Venue", "session": "ServiceSession"}
        return cls(
            kind=total.kind,
            item_id=to_global_id(type_name[total.kind.value], total.item_id),
            title=total.title,
            quantity=total.quantity,
            points=total.points,
        )


@strawberry.type(description="Points spent by the residents of one grid in the month.")
class GridSpending:
    grid_local_id: strawberry.Private[uuid.UUID | None]
    redemptions: int
    points: int

    @strawberry.field(description="Null for people without a household.")
    async def grid(self, info: Info[Context, None]) -> OrgUnit | None:
        return await load_unit(info, self.grid_local_id)


@strawberry.type(description="A month of the exchange: written-off redemptions.")
class ExchangeStatistics:
    month: date
    redemptions: int
    points: int
    items: list[ItemSpending]
    grids: list[GridSpending]

    @classmethod
    def from_statistics(cls, stats: redemption_queries.MonthStatistics) -> ExchangeStatistics:
        return cls(
            month=stats.month,
            redemptions=stats.redemptions,
            points=stats.points,
            items=[ItemSpending.from_total(i) for i in stats.items],
            grids=[
                GridSpending(grid_local_id=g.grid_id, redemptions=g.redemptions, points=g.points)
                for g in stats.grids
            ],
        )
