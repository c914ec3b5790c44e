"""Mutations on the catalog (community admins): one service call each."""

from __future__ import annotations

from datetime import date, datetime, time

import strawberry
from strawberry.types import Info

from schema.catalog.queries import CatalogQuery
from schema.catalog.types import (
    ExchangeSettings,
    Goods,
    LimitPeriod,
    Service,
    ServiceSession,
    Venue,
    WindowKind,
)
from schema.context import Context
from schema.errors import Error
from schema.ledger.types import PointKind
from schema.mutations import perform
from schema.relay import decode_id
from services.catalog import service as catalog
from services.ledger.models import PointKind as PointKindValue

ALL_KINDS = [PointKindValue.GRID, PointKindValue.WORK]


@strawberry.input
class GoodsInput:
    name: str
    price: int
    point_kinds: list[PointKind] | None = None  # type: ignore[valid-type]
    description: str = ""
    picture_url: str | None = None
    low_stock_at: int = 5
    limit_per_person: int | None = None
    limit_period: LimitPeriod | None = None  # type: ignore[valid-type]
    active: bool = True

    def draft(self, stock: int = 0) -> catalog.GoodsDraft:
        return catalog.GoodsDraft(
            name=self.name,
            price=self.price,
            point_kinds=self.point_kinds or ALL_KINDS,
            description=self.description,
            picture_url=self.picture_url,
            stock=stock,
            low_stock_at=self.low_stock_at,
            limit_per_person=self.limit_per_person,
            limit_period=self.limit_period,
            active=self.active,
        )


@strawberry.input
class GoodsCreateInput:
    community_id: strawberry.ID
    goods: GoodsInput
    stock: int = 0


@strawberry.input
class GoodsUpdateInput:
    goods_id: strawberry.ID
    goods: GoodsInput


@strawberry.input
class StockAdjustInput:
    goods_id: strawberry.ID
    delta: int = strawberry.field(description="Positive to restock, negative to correct.")
    reason: str


@strawberry.type
class GoodsPayload:
    goods: Goods | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class OpeningHoursInput:
    weekday: int = strawberry.field(description="ISO weekday: 1 = Monday.")
    opens: time
    closes: time


@strawberry.input
class VenueInput:
    name: str
    capacity: int
    slot_minutes: int
    max_booking_minutes: int
    price_per_slot: int
    opening_hours: list[OpeningHoursInput]
    point_kinds: list[PointKind] | None = None  # type: ignore[valid-type]
    description: str = ""
    picture_url: str | None = None
    min_notice_minutes: int = 0
    buffer_minutes: int = 0
    weekly_quota: int | None = None
    blackout_dates: list[date] = strawberry.field(default_factory=list)
    active: bool = True

    def draft(self) -> catalog.VenueDraft:
        return catalog.VenueDraft(
            name=self.name,
            capacity=self.capacity,
            slot_minutes=self.slot_minutes,
            max_booking_minutes=self.max_booking_minutes,
            price_per_slot=self.price_per_slot,
            hours=[catalog.Opening(o.weekday, o.opens, o.closes) for o in self.opening_hours],
            point_kinds=self.point_kinds or ALL_KINDS,
            description=self.description,
            picture_url=self.picture_url,
            min_notice_minutes=self.min_notice_minutes,
            buffer_minutes=self.buffer_minutes,
            weekly_quota=self.weekly_quota,
            blackout_dates=self.blackout_dates,
            active=self.active,
        )


@strawberry.input
class VenueCreateInput:
    community_id: strawberry.ID
    venue: VenueInput


@strawberry.input
class VenueUpdateInput:
    venue_id: strawberry.ID
    venue: VenueInput


@strawberry.type
class VenuePayload:
    venue: Venue | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class ServiceCreateInput:
    community_id: strawberry.ID
    name: str
    description: str = ""
    picture_url: str | None = None
    point_kinds: list[PointKind] | None = None  # type: ignore[valid-type]


@strawberry.type
class ServicePayload:
    service: Service | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class ServiceSessionCreateInput:
    service_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    capacity: int
    price: int


@strawberry.type
class ServiceSessionPayload:
    session: ServiceSession | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class ExchangeWindowInput:
    kind: WindowKind  # type: ignore[valid-type]
    weekday: int | None = None
    days: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None


@strawberry.input
class ExchangeSettingsInput:
    community_id: strawberry.ID
    pickup_days: int = 3
    grace_minutes: int = 30
    windows: list[ExchangeWindowInput] = strawberry.field(
        default_factory=list, description="None: always open."
    )


@strawberry.type
class ExchangeSettingsPayload:
    settings: ExchangeSettings | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(description="Add goods to a community's points supermarket.")
    async def goods_create(
        self, info: Info[Context, None], input: GoodsCreateInput
    ) -> GoodsPayload:
        goods, errors = await perform(
            info,
            lambda s, actor: catalog.create_goods(
                s,
                actor,
                community_id=decode_id(input.community_id, "OrgUnit", field="communityId"),
                draft=input.goods.draft(input.stock),
            ),
        )
        return GoodsPayload(goods=Goods.from_model(goods) if goods else None, errors=list(errors))

    @strawberry.mutation(description="Change goods (not the stock: see stockAdjust).")
    async def goods_update(
        self, info: Info[Context, None], input: GoodsUpdateInput
    ) -> GoodsPayload:
        goods, errors = await perform(
            info,
            lambda s, actor: catalog.update_goods(
                s,
                actor,
                goods_id=decode_id(input.goods_id, "Goods", field="goodsId"),
                draft=input.goods.draft(),
            ),
        )
        return GoodsPayload(goods=Goods.from_model(goods) if goods else None, errors=list(errors))

    @strawberry.mutation(description="Restock or correct the stock, with a reason (kept).")
    async def stock_adjust(
        self, info: Info[Context, None], input: StockAdjustInput
    ) -> GoodsPayload:
        goods, errors = await perform(
            info,
            lambda s, actor: catalog.adjust_stock(
                s,
                actor,
                goods_id=decode_id(input.goods_id, "Goods", field="goodsId"),
                delta=input.delta,
                reason=input.reason,
            ),
        )
        return GoodsPayload(goods=Goods.from_model(goods) if goods else None, errors=list(errors))

    @strawberry.mutation(description="Add a bookable venue.")
    async def venue_create(
        self, info: Info[Context, None], input: VenueCreateInput
    ) -> VenuePayload:
        venue, errors = await perform(
            info,
            lambda s, actor: catalog.create_venue(
                s,
                actor,
                community_id=decode_id(input.community_id, "OrgUnit", field="communityId"),
                draft=input.venue.draft(),
            ),
        )
        return VenuePayload(venue=Venue.from_model(venue) if venue else None, errors=list(errors))

    @strawberry.mutation(description="Change a venue (hours, blackouts...); bookings stand.")
    async def venue_update(
        self, info: Info[Context, None], input: VenueUpdateInput
    ) -> VenuePayload:
        venue, errors = await perform(
            info,
            lambda s, actor: catalog.update_venue(
                s,
                actor,
                venue_id=decode_id(input.venue_id, "Venue", field="venueId"),
                draft=input.venue.draft(),
            ),
        )
        return VenuePayload(venue=Venue.from_model(venue) if venue else None, errors=list(errors))

    @strawberry.mutation(description="Add a service (free dining, infant childcare...).")
    async def service_create(
        self, info: Info[Context, None], input: ServiceCreateInput
    ) -> ServicePayload:
        service, errors = await perform(
            info,
            lambda s, actor: catalog.create_service(
                s,
                actor,
                community_id=decode_id(input.community_id, "OrgUnit", field="communityId"),
                name=input.name,
                description=input.description,
                picture_url=input.picture_url,
                point_kinds=input.point_kinds or ALL_KINDS,
            ),
        )
        return ServicePayload(
            service=Service.from_model(service) if service else None, errors=list(errors)
        )

    @strawberry.mutation(description="Offer a session of a service.")
    async def service_session_create(
        self, info: Info[Context, None], input: ServiceSessionCreateInput
    ) -> ServiceSessionPayload:
        sitting, errors = await perform(
            info,
            lambda s, actor: catalog.create_session(
                s,
                actor,
                service_id=decode_id(input.service_id, "Service", field="serviceId"),
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                capacity=input.capacity,
                price=input.price,
            ),
        )
        return ServiceSessionPayload(
            session=ServiceSession.from_model(sitting) if sitting else None, errors=list(errors)
        )

    @strawberry.mutation(description="Set the pickup deadline, venue grace time and windows.")
    async def exchange_settings_set(
        self, info: Info[Context, None], input: ExchangeSettingsInput
    ) -> ExchangeSettingsPayload:
        _, errors = await perform(
            info,
            lambda s, actor: catalog.set_exchange_settings(
                s,
                actor,
                community_id=decode_id(input.community_id, "OrgUnit", field="communityId"),
                pickup_days=input.pickup_days,
                grace_minutes=input.grace_minutes,
                windows=[
                    catalog.WindowRule(w.kind, w.weekday, w.days, w.starts_on, w.ends_on)
                    for w in input.windows
                ],
            ),
        )
        if errors:
            return ExchangeSettingsPayload(errors=list(errors))
        settings = await CatalogQuery().exchange_settings(info, input.community_id)
        return ExchangeSettingsPayload(settings=settings)
