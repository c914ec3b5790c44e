"""Subscriptions over ``graphql-transport-ws``, fed by Redis (so any replica's change reaches
every replica's subscribers) through the process's one pub/sub connection
(:mod:`services.events.hub`). Send the session token in ``connection_init``:
``{"Authorization": "Bearer <token>"}``; the socket's limits are in :mod:`schema.ws`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from functools import partial

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from schema.catalog.types import Goods
from schema.context import Context
from schema.demands.types import Demand
from schema.fanout import Audience
from schema.meetings.types import Grant
from schema.notices.types import Notification
from schema.orders.types import Claim, VolunteerOrder
from schema.redemptions.types import Redemption
from services.authz import ALL_UNITS, Actor, Permission, scope
from services.catalog import queries as catalog_queries
from services.demands import queries as demand_queries
from services.errors import DomainError, ErrorCode
from services.events import outbox
from services.events.hub import ListenerOverflow
from services.events.listen import Event
from services.events.outbox import Topic
from services.meetings import grants as grant_service
from services.notices import inbox
from services.notices.models import Notification as NotificationModel
from services.orders import access as order_access
from services.orders import claims as claim_service
from services.orders import service as order_service
from services.redemptions import queries as redemption_queries


def _community(actor: Actor) -> str | None:
    return str(actor.community_id) if actor.community_id else None


def _actor(actor: Actor) -> Actor:
    """Everything: the person's tabs share (an Actor is a frozen value: roles included)."""
    return actor


async def _entry(
    session: AsyncSession, *, person_id: uuid.UUID, entry_id: uuid.UUID
) -> NotificationModel | None:
    return await inbox.get(session, person_id, entry_id)


async def _events(context: Context, channels: list[str]) -> AsyncGenerator[Event, None]:
    """The channels' events. The request's connection (opened by the actor's lookup or by the
    last event's fields) is given back before each wait and when the subscription ends: a
    WebSocket may wait for hours. Use it under ``aclosing`` so the end is not left to the GC."""
    assert context.hub is not None
    try:
        await context.between_events()
        async with context.hub.listen(channels) as events:
            async for event in events:
                async with context.hub.deliveries:  # its fetch, execution and send
                    yield event
                    await context.between_events()
    except ListenerOverflow as error:  # the client stopped reading
        raise DomainError(ErrorCode.SUBSCRIPTION_TOO_SLOW) from error
    finally:
        await context.between_events()


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Orders published for your community, or for your own grid."
    )
    async def order_published(
        self, info: Info[Context, None]
    ) -> AsyncGenerator[VolunteerOrder, None]:
        context = info.context
        actor = await context.require_actor()
        if actor.community_id is None:
            return
        channel = outbox.community_channel(actor.community_id)
        async with aclosing(_events(context, [channel])) as events:
            async for event in events:
                if event.topic != Topic.ORDER_PUBLISHED:
                    continue
                order_id = uuid.UUID(event.payload["orderId"])
                order = await context.fresh(
                    partial(order_service.find_open_to, actor=actor, order_id=order_id)
                )
                if order is not None:
                    yield VolunteerOrder.from_model(order)

    @strawberry.subscription(
        description="Your claims as they change (claimed, promoted, confirmed...)."
    )
    async def my_claim_changed(self, info: Info[Context, None]) -> AsyncGenerator[Claim, None]:
        context = info.context
        actor = await context.require_actor()
        async with aclosing(_events(context, [outbox.person_channel(actor.person_id)])) as events:
            async for event in events:
                if event.topic not in (Topic.CLAIM_CHANGED, Topic.ORDER_CANCELLED):
                    continue
                claim_id = uuid.UUID(event.payload["claimId"])
                found = await context.fresh(
                    partial(claim_service.claims_by_ids, actor=actor, ids=[claim_id])
                )
                if claim_id in found:
                    yield Claim.from_model(found[claim_id])

    @strawberry.subscription(description="New entries of your inbox as they are written.")
    async def my_notification(
        self, info: Info[Context, None]
    ) -> AsyncGenerator[Notification, None]:
        context = info.context
        actor = await context.require_actor()
        async with aclosing(_events(context, [outbox.person_channel(actor.person_id)])) as events:
            async for event in events:
                if event.topic != Topic.NOTIFICATION_ADDED:
                    continue
                entry_id = uuid.UUID(event.payload["notificationId"])
                found = await context.fresh(
                    partial(_entry, person_id=actor.person_id, entry_id=entry_id)
                )
                if found is not None:
                    yield Notification.from_model(found, context.language)

    @strawberry.subscription(description="Your grants as they post to your ledger.")
    async def grant_posted(self, info: Info[Context, None]) -> AsyncGenerator[Grant, None]:
        context = info.context
        actor = await context.require_actor()
        async with aclosing(_events(context, [outbox.person_channel(actor.person_id)])) as events:
            async for event in events:
                if event.topic != Topic.GRANT_POSTED:
                    continue
                grant_id = uuid.UUID(event.payload["grantId"])
                details = await context.shared(
                    ("grant", event.id), partial(grant_service.details_by_ids, grant_ids=[grant_id])
                )
                if grant_id in details:
                    yield Grant.from_detail(details[grant_id])

    @strawberry.subscription(description="Goods of your community as their stock changes.")
    async def stock_changed(self, info: Info[Context, None]) -> AsyncGenerator[Goods, None]:
        context = info.context
        actor = await context.require_actor()
        if actor.community_id is None:
            return
        channel = outbox.community_channel(actor.community_id)
        async with aclosing(_events(context, [channel])) as events:
            async for event in events:
                if event.topic != Topic.STOCK_CHANGED:
                    continue
                goods_id = uuid.UUID(event.payload["goodsId"])
                found = await context.shared(  # the same goods for every subscriber
                    ("goods", event.id),
                    partial(catalog_queries.goods_by_ids, ids=[goods_id]),
                )
                if goods_id in found and found[goods_id].active:
                    yield Goods.from_model(found[goods_id])

    @strawberry.subscription(
        description="Your redemptions as they change (reserved, written off, cancelled, expired)."
    )
    async def my_redemption_changed(
        self, info: Info[Context, None]
    ) -> AsyncGenerator[Redemption, None]:
        context = info.context
        actor = await context.require_actor()
        async with aclosing(_events(context, [outbox.person_channel(actor.person_id)])) as events:
            async for event in events:
                if event.topic != Topic.REDEMPTION_CHANGED:
                    continue
                redemption_id = uuid.UUID(event.payload["redemptionId"])
                found = await context.fresh(
                    partial(redemption_queries.redemptions_by_ids, actor=actor, ids=[redemption_id])
                )
                if redemption_id in found:
                    yield Redemption.from_model(found[redemption_id])

    @strawberry.subscription(
        description="Demands you may see as they change: your own, and as staff those of your "
        "units (a grid, a community, a street) or of your department. Each step of a timeline "
        "arrives as the demand as it then stands."
    )
    async def demand_changed(self, info: Info[Context, None]) -> AsyncGenerator[Demand, None]:
        context = info.context
        actor = await context.require_actor()
        channels = [outbox.person_channel(actor.person_id)]
        for permission in (Permission.DEMAND_READ, Permission.DEMAND_DEPARTMENT):
            units = scope(actor, permission)
            if units is not ALL_UNITS:  # a system admin follows their own demands only
                assert isinstance(units, frozenset)
                channels.extend(outbox.unit_channel(unit) for unit in units)
        async with aclosing(_events(context, sorted(set(channels)))) as events:
            async for event in events:
                if event.topic != Topic.DEMAND_CHANGED:
                    continue
                demand_id = uuid.UUID(event.payload["demandId"])
                found = await context.fresh(
                    partial(demand_queries.demands_by_ids, actor=actor, ids=[demand_id])
                )
                if demand_id in found:
                    yield Demand.from_model(found[demand_id])


# Subscriptions whose answer is the same for their whole audience, run once per process for it
# (:mod:`schema.fanout`, which also requires the document to select only plain fields). The
# audience is everything the resolver reads of its actor: a resolver that starts reading more
# must say so here (tests/events/test_fanout.py checks the orders' grid).
AUDIENCES: dict[str, Audience] = {
    "stockChanged": _community,
    "orderPublished": order_access.scope_key,
    "myClaimChanged": _actor,
    "myRedemptionChanged": _actor,
    "grantPosted": _actor,
    "myNotification": _actor,
    "demandChanged": _actor,
}
