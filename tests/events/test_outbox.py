"""The outbox: an event exists exactly when its change does, and reaches Redis after commit."""

from __future__ import annotations

import asyncio
import json

from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import worker
from api.state import AppState
from services import clock
from services.events import outbox
from services.events.models import OutboxEvent
from tests.orders.helpers import CLAIM, PUBLISHED, published_order
from tests.support import Api, World


async def count_events(session: AsyncSession, topic: str) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == topic)
        )
        or 0
    )


async def test_a_refused_mutation_leaves_no_event(
    api: Api, world: World, session: AsyncSession
) -> None:
    with clock.frozen(PUBLISHED):
        admin = await api.sign_in(world.phones["community_admin"])
        order_id = await published_order(api, admin, world)
        resident = await api.sign_in(world.phones["resident_b"])  # grid B, order is community-wide
        await api(CLAIM, {"i": {"orderId": order_id}}, token=resident)
        again = await api(CLAIM, {"i": {"orderId": order_id}}, token=resident)
        assert again.data["orderClaim"]["errors"][0]["code"] == "ALREADY_CLAIMED"
    assert await count_events(session, "order.published") == 1
    assert await count_events(session, "claim.changed") == 1  # not two


async def test_events_reach_redis_after_commit_and_are_marked(
    api: Api, world: World, session: AsyncSession, redis: Redis, state: AppState
) -> None:
    received: list[str] = []

    async def collect() -> None:
        async with state.hub.listen([outbox.community_channel(world.units["C1"])]) as events:
            async for event in events:
                received.append(event.topic)
                return

    listener = asyncio.create_task(collect())
    await asyncio.sleep(0.2)
    with clock.frozen(PUBLISHED):
        admin = await api.sign_in(world.phones["community_admin"])
        await published_order(api, admin, world)
    await asyncio.wait_for(listener, 10)
    assert received == ["order.published"]
    for _ in range(50):  # the after-commit relay marks what it published
        unpublished = await session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))
        )
        if unpublished == 0:
            break
        await asyncio.sleep(0.05)
    assert unpublished == 0


async def test_the_worker_publishes_what_the_relay_missed(
    world: World, session: AsyncSession, redis: Redis, state: AppState
) -> None:
    await worker.tick(state.sessions, redis)  # what building the world emitted (its roles)
    outbox.emit(
        session,
        outbox.Topic.ORDER_PUBLISHED,
        channels=[outbox.community_channel(world.units["C2"])],
        payload={"orderId": "00000000-0000-0000-0000-000000000000", "gridId": None},
    )
    await session.commit()  # committed, but nobody relayed it
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(outbox.community_channel(world.units["C2"]))
    done = await worker.tick(state.sessions, redis)
    assert done["events_published"] == 1
    message = None
    for _ in range(50):  # the first read may only consume the subscribe confirmation
        message = await pubsub.get_message(timeout=0.1)
        if message is not None:
            break
    assert message is not None
    assert json.loads(message["data"])["topic"] == "order.published"
    assert (await worker.tick(state.sessions, redis))["events_published"] == 0
    await pubsub.aclose()  # type: ignore[no-untyped-call]
