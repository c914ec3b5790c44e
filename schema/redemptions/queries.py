"""Queries over redemptions: mine, and the staff queues of a community."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from schema.catalog.queries import community_of
from schema.context import Context
from schema.redemptions.types import ExchangeStatistics, Redemption, VenueBooking
from schema.relay import Connection, connection, decode_optional_id
from services.pagination import DEFAULT_FIRST
from services.redemptions import queries


@strawberry.type
class RedemptionQuery:
    @strawberry.field(description="Your redemptions with their pickup codes, newest first.")
    async def my_redemptions(
        self, info: Info[Context, None], first: int = DEFAULT_FIRST, after: str | None = None
    ) -> Connection[Redemption]:
        actor = await info.context.require_actor()
        page = await info.context.db(
            lambda s: queries.my_redemptions(s, actor, first=first, after=after)
        )
        return connection(page, Redemption.from_model)

    @strawberry.field(
        description="Staff: redemptions waiting for pickup, soonest deadline first; with `day`, "
        "those due that day (today's pickups)."
    )
    async def pickup_queue(
        self,
        info: Info[Context, None],
        community_id: strawberry.ID | None = None,
        day: date | None = None,
    ) -> list[Redemption]:
        actor = await info.context.require_actor()
        community = community_of(actor, community_id)
        rows = await info.context.db(
            lambda s: queries.pickup_queue(s, actor, community_id=community, day=day)
        )
        return [Redemption.from_model(r) for r in rows]

    @strawberry.field(description="Staff: the venue bookings of a day, or `days` days (a week).")
    async def venue_calendar(
        self,
        info: Info[Context, None],
        first_day: date,
        days: int = 1,
        community_id: strawberry.ID | None = None,
        venue_id: strawberry.ID | None = None,
    ) -> list[VenueBooking]:
        actor = await info.context.require_actor()
        community = community_of(actor, community_id)
        venue = decode_optional_id(venue_id, "Venue", field="venueId")
        rows = await info.context.db(
            lambda s: queries.venue_calendar(
                s, actor, community_id=community, first_day=first_day, days=days, venue_id=venue
            )
        )
        return [VenueBooking.from_model(b) for b in rows]

    @strawberry.field(description="Staff: points spent in a month, per item and per grid.")
    async def exchange_statistics(
        self, info: Info[Context, None], month: date, community_id: strawberry.ID | None = None
    ) -> ExchangeStatistics:
        actor = await info.context.require_actor()
        community = community_of(actor, community_id)
        stats = await info.context.db(
            lambda s: queries.month_statistics(s, actor, community_id=community, month=month)
        )
        return ExchangeStatistics.from_statistics(stats)
