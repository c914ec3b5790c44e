"""A place freed while a claimant queues goes to the claimant: found by the chaos run.

The claim's guarded UPDATE saw the order full; before it locked the order row to join the queue,
a withdrawal locked the row, found nobody waiting (the claimant had not written its claim yet),
gave the place back and committed. The claimant then queued with a place free: "1 waiting with
a place free" in bench/chaos. The test makes that interleaving certain: the withdrawal holds the
row (not yet committed) while the claim runs, so the claim's UPDATE skips the row and its lock
waits for the withdrawal.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from schema.relay import from_global_id
from services import clock
from services.auth.service import load_actor
from services.orders import claims
from services.orders.models import Claim, ClaimState, VolunteerOrder
from tests.orders.helpers import CLAIM, PUBLISHED, published_order
from tests.support import Api, World, add_residents

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def connections(database_url: str) -> AsyncIterator[Sessions]:
    engine: AsyncEngine = create_async_engine(database_url, pool_size=5, max_overflow=0)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


async def _waits_for_a_lock(sessions: Sessions, task: asyncio.Task[object]) -> None:
    for _ in range(200):
        if task.done():
            task.result()  # it should be waiting: raise what ended it
        async with sessions() as session:
            waiting = await session.scalar(
                text(
                    "SELECT COUNT(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the claim never waited for the withdrawal's lock")


async def test_a_place_freed_while_queuing_is_taken(
    api: Api, world: World, session: AsyncSession, connections: Sessions
) -> None:
    first, second = await add_residents(session, world, count=2)
    await session.commit()
    with clock.frozen(PUBLISHED):
        admin = await api.sign_in(world.phones["community_admin"])
        order_gid = await published_order(api, admin, world, places=1)
        token = await api.sign_in(first)
        taken = await api(CLAIM, {"i": {"orderId": order_gid}}, token=token)
        claim_id = from_global_id(taken.data["orderClaim"]["claim"]["id"])[1]
        order_id = from_global_id(order_gid)[1]
        leaver = await load_actor(session, world.people[first])
        newcomer = await load_actor(session, world.people[second])
        assert leaver is not None and newcomer is not None

        async def claim() -> Claim:
            async with connections() as own:
                made = await claims.claim_order(own, newcomer, order_id=order_id)
                await own.commit()
                return made

        async with connections() as withdrawal:
            await claims.withdraw_claim(withdrawal, leaver, claim_id=claim_id)
            queued = asyncio.create_task(claim())
            await _waits_for_a_lock(connections, queued)
            await withdrawal.commit()
        made = await queued

    assert made.state is ClaimState.CLAIMED
    order = await session.scalar(
        select(VolunteerOrder)
        .where(VolunteerOrder.id == order_id)
        .execution_options(populate_existing=True)
    )
    assert order is not None and order.places_taken == 1
    waiting = await session.scalar(
        select(func.count())
        .select_from(Claim)
        .where(Claim.order_id == order_id, Claim.state == ClaimState.WAITLISTED)
    )
    assert waiting == 0
