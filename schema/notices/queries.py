"""Read the inbox, preferences and (staff) delivery statistics (rules: services/notices)."""

from __future__ import annotations

from datetime import datetime, timedelta

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from schema.context import Context
from schema.notices.types import (
    Delivery,
    DeliveryStats,
    NoticeOptOut,
    NoticePreferences,
    Notification,
)
from schema.relay import Connection, connection, decode_id
from services import clock
from services.notices import inbox, preferences, stats
from services.pagination import DEFAULT_FIRST


@strawberry.type
class NoticeQuery:
    @strawberry.field(description="Your inbox, newest first.")
    async def notifications(
        self,
        info: Info[Context, None],
        first: int = DEFAULT_FIRST,
        after: str | None = None,
        unread_only: bool = False,
    ) -> Connection[Notification]:
        actor = await info.context.require_actor()
        page = await info.context.db(
            lambda s: inbox.page(
                s, actor.person_id, first=first, after=after, unread_only=unread_only
            )
        )
        language = info.context.language
        return connection(page, lambda n: Notification.from_model(n, language))

    @strawberry.field(description="How many entries of your inbox are unread.")
    async def notifications_unread(self, info: Info[Context, None]) -> int:
        actor = await info.context.require_actor()
        return await info.context.db(lambda s: inbox.unread_count(s, actor.person_id))

    @strawberry.field(description="What you asked not to get by SMS or WeChat, and quiet hours.")
    async def notice_preferences(self, info: Info[Context, None]) -> NoticePreferences:
        actor = await info.context.require_actor()

        async def read(s: AsyncSession) -> NoticePreferences:
            out = await preferences.opted_out(s, actor.person_id)
            quiet = await preferences.quiet_hours(s, actor.person_id)
            return NoticePreferences(
                quiet_hours=quiet, opted_out=[NoticeOptOut(kind=k, channel=c) for k, c in out]
            )

        return await info.context.db(read)

    @strawberry.field(
        description="A community's deliveries created in [since, until) (default: the last 30 "
        "days): its admins and the street's."
    )
    async def delivery_stats(
        self,
        info: Info[Context, None],
        community_id: strawberry.ID,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DeliveryStats:
        actor = await info.context.require_actor()
        community = decode_id(community_id, "OrgUnit", field="communityId")
        end = until or clock.now()
        start = since or end - timedelta(days=30)
        totals = await info.context.db(
            lambda s: stats.community_totals(
                s, actor, community_id=community, since=start, until=end
            )
        )
        return DeliveryStats(
            sent=totals.sent,
            failed=totals.failed,
            given_up=totals.given_up,
            pending=totals.pending,
            sms_cost=totals.sms_cost,
            sms_budget=totals.sms_budget,
            sms_used_today=totals.sms_used_today,
        )

    @strawberry.field(
        description="A person's latest deliveries (SMS, WeChat), for staff helping them."
    )
    async def person_deliveries(
        self, info: Info[Context, None], person_id: strawberry.ID, first: int = DEFAULT_FIRST
    ) -> list[Delivery]:
        actor = await info.context.require_actor()
        person = decode_id(person_id, "Person", field="personId")
        rows = await info.context.db(
            lambda s: stats.person_history(s, actor, person_id=person, first=first)
        )
        return [Delivery.from_model(d, kind) for d, kind in rows]
