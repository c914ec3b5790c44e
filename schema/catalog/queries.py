"""Queries over the catalog: lists, free venue slots, sessions with places, staff views."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from strawberry.types import Info

from schema.catalog.types import (
    ExchangeSettings,
    ExchangeWindow,
    Goods,
    Service,
    ServiceSession,
    StockMovement,
    Venue,
    VenueSlot,
)
from schema.context import Context
from schema.ledger.types import PointKind
from schema.relay import Connection, connection, decode_id, decode_optional_id
from services import clock
from services.authz import Actor
from services.catalog import queries, windows
from services.catalog import service as catalog_service
from services.errors import DomainError, ErrorCode
from services.pagination import DEFAULT_FIRST


def community_of(actor: Actor, community_id: strawberry.ID | None) -> uuid.UUID:
    """The named community, else the actor's own."""
    found = decode_optional_id(community_id, "OrgUnit", field="communityId") or actor.community_id
    if found is None:
        raise DomainError(ErrorCode.REQUIRED, field="communityId")
    return found


@strawberry.type
class CatalogQuery:
    @strawberry.field(
        description="A community's goods by name (default: yours). `affordable`: within your "
        "available points in a kind the goods accepts."
    )
    async def goods(
        self,
        info: Info[Context, None],
        community_id: strawberry.ID | None = None,
        in_stock: bool = False,
        affordable: bool = False,
        point_kind: PointKind | None = None,  # type: ignore[valid-type]
        first: int = DEFAULT_FIRST,
        after: str | None = None,
    ) -> Connection[Goods]:
        actor = await info.context.require_actor()
        community = community_of(actor, community_id)
        page = await info.context.db(
            lambda s: queries.list_goods(
                s,
                actor,
                community_id=community,
                in_stock=in_stock,
                affordable=affordable,
                point_kind=point_kind,
                first=first,
                after=after,
            )
        )
        return connection(page, Goods.from_model)

    @strawberry.field(description="A community's venues (default: yours).")
    async def venues(
        self, info: Info[Context, None], community_id: strawberry.ID | None = None
    ) -> list[Venue]:
        actor = await info.context.require_actor()
        community = community_of(actor, community_id)
        rows = await info.context.db(
            lambda s: queries.list_venues(s, actor, community_id=community)
        )
        return [Venue.from_model(v) for v in rows]

    @strawberry.field(
        description="Free one-slot periods of a venue from `firstDay` to `lastDay` (local dates, "
        "at most 31 days): opening hours minus blackouts, bookings with their buffers and the "
        "minimum notice."
    )
    async def venue_availability(
        self, info: Info[Context, None], venue_id: strawberry.ID, first_day: date, last_day: date
    ) -> list[VenueSlot]:
        await info.context.require_actor()
        venue = decode_id(venue_id, "Venue", field="venueId")
        slots = await info.context.db(
            lambda s: queries.free_slots(s, venue_id=venue, first_day=first_day, last_day=last_day)
        )
        return [VenueSlot(starts_at=slot.starts_at, ends_at=slot.ends_at) for slot in slots]

    @strawberry.field(description="A community's services (default: yours).")
    async def services(
        self, info: Info[Context, None], community_id: strawberry.ID | None = None
    ) -> list[Service]:
        actor = await info.context.require_actor()
        community = community_of(actor, community_id)
        rows = await info.context.db(
            lambda s: queries.list_services(s, actor, community_id=community)
        )
        return [Service.from_model(v) for v in rows]

    @strawberry.field(description="Upcoming service sessions, soonest first (at most 200).")
    async def service_sessions(
        self,
        info: Info[Context, None],
        community_id: strawberry.ID | None = None,
        service_id: strawberry.ID | None = None,
        with_places_left: bool = False,
    ) -> list[ServiceSession]:
        actor = await info.context.require_actor()
        community = community_of(actor, community_id)
        service = decode_optional_id(service_id, "Service", field="serviceId")
        rows = await info.context.db(
            lambda s: queries.list_sessions(
                s, community_id=community, service_id=service, with_places=with_places_left
            )
        )
        return [ServiceSession.from_model(v) for v in rows]

    @strawberry.field(description="Staff: active goods at or below their low-stock mark.")
    async def low_stock(
        self, info: Info[Context, None], community_id: strawberry.ID | None = None
    ) -> list[Goods]:
        actor = await info.context.require_actor()
        community = community_of(actor, community_id)
        rows = await info.context.db(lambda s: queries.low_stock(s, actor, community_id=community))
        return [Goods.from_model(g) for g in rows]

    @strawberry.field(description="Staff: a goods' restocks and adjustments, newest first.")
    async def stock_history(
        self, info: Info[Context, None], goods_id: strawberry.ID
    ) -> list[StockMovement]:
        actor = await info.context.require_actor()
        goods = decode_id(goods_id, "Goods", field="goodsId")
        rows = await info.context.db(
            lambda s: catalog_service.stock_history(s, actor, goods_id=goods)
        )
        return [StockMovement.from_model(m) for m in rows]

    @strawberry.field(description="When a community's exchange is open and its pickup rules.")
    async def exchange_settings(
        self, info: Info[Context, None], community_id: strawberry.ID | None = None
    ) -> ExchangeSettings:
        actor = await info.context.require_actor()
        community = community_of(actor, community_id)
        policy = await info.context.db(lambda s: windows.policy(s, community))
        rules = await info.context.db(lambda s: windows.windows_of(s, community))
        return ExchangeSettings(
            pickup_days=policy.pickup_days,
            grace_minutes=policy.grace_minutes,
            windows=[
                ExchangeWindow(
                    kind=w.kind,
                    weekday=w.weekday,
                    days=w.days,
                    starts_on=w.starts_on,
                    ends_on=w.ends_on,
                )
                for w in rules
            ],
            open_today=windows.is_open(rules, clock.local_date(clock.now())),
        )
