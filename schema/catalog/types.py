"""GraphQL types of the exchange catalog."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.ledger.types import PointKind
from schema.relay import Node, to_global_id
from services.catalog import models
from services.ledger.models import PointKind as PointKindValue

LimitPeriod = strawberry.enum(models.LimitPeriod, name="LimitPeriod")
WindowKind = strawberry.enum(
    models.WindowKind,
    name="ExchangeWindowKind",
    description="weekday: every week on `weekday`; month_end / quarter_end: the last `days` "
    "days of each month / quarter; dates: from `startsOn` to `endsOn`.",
)


def _kinds(values: list[str]) -> list[PointKindValue]:
    return [PointKindValue(v) for v in values]


@strawberry.type(description="A points-supermarket article (积分超市商品).")
class Goods(Node):
    local_id: strawberry.Private[uuid.UUID]
    name: str
    description: str
    picture_url: str | None
    price: int
    point_kinds: list[PointKind]  # type: ignore[valid-type]
    stock: int
    low_stock_at: int
    limit_per_person: int | None
    limit_period: LimitPeriod | None  # type: ignore[valid-type]
    active: bool

    @classmethod
    def from_model(cls, goods: models.Goods) -> Goods:
        return cls(
            id=to_global_id("Goods", goods.id),
            local_id=goods.id,
            name=goods.name,
            description=goods.description,
            picture_url=goods.picture_url,
            price=goods.price,
            point_kinds=_kinds(goods.point_kinds),
            stock=goods.stock,
            low_stock_at=goods.low_stock_at,
            limit_per_person=goods.limit_per_person,
            limit_period=goods.limit_period,
            active=goods.active,
        )

    @strawberry.field
    def in_stock(self) -> bool:
        return self.stock > 0


@strawberry.type(description="Opening hours on one ISO weekday (1 = Monday), local time.")
class OpeningHours:
    weekday: int
    opens: time
    closes: time


@strawberry.type(description="A bookable venue (场地), booked in whole slots.")
class Venue(Node):
    local_id: strawberry.Private[uuid.UUID]
    name: str
    description: str
    picture_url: str | None
    capacity: int
    slot_minutes: int
    min_notice_minutes: int
    max_booking_minutes: int
    buffer_minutes: int
    weekly_quota: int | None = strawberry.field(description="Bookings per person per week.")
    price_per_slot: int
    point_kinds: list[PointKind]  # type: ignore[valid-type]
    blackout_dates: list[date]
    active: bool

    @classmethod
    def from_model(cls, venue: models.Venue) -> Venue:
        return cls(
            id=to_global_id("Venue", venue.id),
            local_id=venue.id,
            name=venue.name,
            description=venue.description,
            picture_url=venue.picture_url,
            capacity=venue.capacity,
            slot_minutes=venue.slot_minutes,
            min_notice_minutes=venue.min_notice_minutes,
            max_booking_minutes=venue.max_booking_minutes,
            buffer_minutes=venue.buffer_minutes,
            weekly_quota=venue.weekly_quota,
            price_per_slot=venue.price_per_slot,
            point_kinds=_kinds(venue.point_kinds),
            blackout_dates=list(venue.blackout_dates),
            active=venue.active,
        )

    @strawberry.field
    async def opening_hours(self, info: Info[Context, None]) -> list[OpeningHours]:
        rows = await (await info.context.loaders()).venue_hours.load(self.local_id)
        return [OpeningHours(weekday=o.weekday, opens=o.opens, closes=o.closes) for o in rows]


@strawberry.type(description="A free period of a venue.")
class VenueSlot:
    starts_at: datetime
    ends_at: datetime


@strawberry.type(description="A service (服务) such as free dining or infant childcare.")
class Service(Node):
    local_id: strawberry.Private[uuid.UUID]
    name: str
    description: str
    picture_url: str | None
    point_kinds: list[PointKind]  # type: ignore[valid-type]
    active: bool

    @classmethod
    def from_model(cls, service: models.Service) -> Service:
        return cls(
            id=to_global_id("Service", service.id),
            local_id=service.id,
            name=service.name,
            description=service.description,
            picture_url=service.picture_url,
            point_kinds=_kinds(service.point_kinds),
            active=service.active,
        )


@strawberry.type(description="One session (场次) of a service, with its places.")
class ServiceSession(Node):
    local_id: strawberry.Private[uuid.UUID]
    service_local_id: strawberry.Private[uuid.UUID]
    starts_at: datetime
    ends_at: datetime
    capacity: int
    places_taken: int
    price: int

    @classmethod
    def from_model(cls, sitting: models.ServiceSession) -> ServiceSession:
        return cls(
            id=to_global_id("ServiceSession", sitting.id),
            local_id=sitting.id,
            service_local_id=sitting.service_id,
            starts_at=sitting.starts_at,
            ends_at=sitting.ends_at,
            capacity=sitting.capacity,
            places_taken=sitting.places_taken,
            price=sitting.price,
        )

    @strawberry.field
    def places_left(self) -> int:
        return max(0, self.capacity - self.places_taken)

    @strawberry.field
    async def service(self, info: Info[Context, None]) -> Service | None:
        found = await (await info.context.loaders()).service.load(self.service_local_id)
        return Service.from_model(found) if found else None


@strawberry.type(description="A stock change with its reason.")
class StockMovement:
    delta: int
    stock_after: int
    reason: str
    created_at: datetime

    @classmethod
    def from_model(cls, move: models.StockMovement) -> StockMovement:
        return cls(
            delta=move.delta,
            stock_after=move.stock_after,
            reason=move.reason,
            created_at=move.created_at,
        )


@strawberry.type(description="A rule of when the exchange is open.")
class ExchangeWindow:
    kind: WindowKind  # type: ignore[valid-type]
    weekday: int | None
    days: int | None
    starts_on: date | None
    ends_on: date | None


@strawberry.type(description="A community's exchange settings; no windows: always open.")
class ExchangeSettings:
    pickup_days: int
    grace_minutes: int
    windows: list[ExchangeWindow]
    open_today: bool
