"""Releasing overdue redemptions never deadlocks: found by the chaos run (bench/chaos).

Goods rows are locked in id order by every checkout, cancel and release. Two interleavings used
to break that order, and PostgreSQL aborted one transaction with "deadlock detected" (an internal
error, not a typed one):

* the worker released a batch one redemption at a time (goods 2 of the first, then goods 1 of the
  second) while a cancel locked goods 1 then 2;
* a checkout refused by a guard released overdue redemptions in the middle of its basket, locking
  their goods after some of its own: two such checkouts each held what the other's release wanted.

Each test makes the old interleaving certain: a third connection holds a goods row, both
transactions queue up behind it in the order that used to deadlock, then it lets go.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import clock
from services.catalog import service as catalog
from services.catalog.models import Goods
from services.catalog.service import GoodsDraft
from services.ledger.models import PointKind
from services.redemptions import lifecycle
from services.redemptions.basket import Basket, GoodsLine, checkout
from services.redemptions.models import Redemption, RedemptionState
from tests.redemptions.conftest import Shop, actor, give
from tests.support import World, add_residents

T = TypeVar("T")
GRID = PointKind.GRID
Sessions = async_sessionmaker[AsyncSession]


async def _goods(session: AsyncSession, shop: Shop, count: int, stock: int) -> list[uuid.UUID]:
    """``count`` new goods, sorted by id (the lock order)."""
    admin = await actor(session, shop, "community_admin")
    made = [
        await catalog.create_goods(
            session,
            admin,
            community_id=shop.community_id,
            draft=GoodsDraft(name=f"货品{n}", price=1, stock=stock),
        )
        for n in range(count)
    ]
    return sorted(g.id for g in made)


async def _buy(session: AsyncSession, shop: Shop, who: str, goods: list[uuid.UUID]) -> uuid.UUID:
    buyer = await actor(session, shop, who)
    basket = Basket(GRID, goods=[GoodsLine(g) for g in goods])
    bought = await checkout(session, buyer, basket=basket, idempotency_key=str(uuid.uuid4()))
    return bought.id


def _in_own_session(
    sessions: Sessions, work: Callable[[AsyncSession], Awaitable[T]]
) -> asyncio.Task[T]:
    async def run() -> T:
        async with sessions() as session:
            result = await work(session)
            await session.commit()
            return result

    return asyncio.create_task(run())


async def _waiting_for_locks(sessions: Sessions, count: int, *tasks: asyncio.Task[T]) -> None:
    for _ in range(200):
        for task in tasks:
            if task.done():
                task.result()  # it should be waiting: raise what ended it
        async with sessions() as session:
            waiting = await session.scalar(
                text(
                    "SELECT COUNT(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if (waiting or 0) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} transactions never queued for a lock")


async def _stocks(session: AsyncSession, goods: list[uuid.UUID]) -> list[int]:
    found = {row.id: row.stock for row in await session.execute(select(Goods.id, Goods.stock))}
    return [found[g] for g in goods]


async def test_the_worker_and_a_cancel_release_in_one_order(
    many_connections: Sessions, session: AsyncSession, shop: Shop, world: World, move: clock.Mover
) -> None:
    low, high = await _goods(session, shop, 2, stock=5)
    a, b = await add_residents(session, world, count=2)
    for who in (a, b):
        await give(session, shop, who, 50)
    start = clock.now()
    await _buy(session, shop, a, [high])  # overdue first
    move(start + timedelta(minutes=1))
    await _buy(session, shop, a, [low])  # overdue second
    move(start + timedelta(minutes=2))
    both = await _buy(session, shop, b, [low, high])  # not overdue
    await session.commit()
    move(start + timedelta(days=3, minutes=1, seconds=30))
    canceller = await actor(session, shop, b)

    async with many_connections() as blocker:
        await blocker.execute(select(Goods.id).where(Goods.id == low).with_for_update())
        cancel = _in_own_session(
            many_connections,
            lambda s: lifecycle.cancel(s, canceller, redemption_id=both, idempotency_key="c"),
        )
        await _waiting_for_locks(many_connections, 1, cancel)  # the cancel waits for `low`
        worker = _in_own_session(many_connections, lifecycle.expire_due)
        await _waiting_for_locks(
            many_connections, 2, cancel, worker
        )  # the worker: it used to hold `high`
        await blocker.rollback()
    await asyncio.gather(cancel, worker)

    states = await session.scalars(select(Redemption.state).order_by(Redemption.created_at))
    assert list(states)[-3:] == [RedemptionState.EXPIRED] * 2 + [RedemptionState.CANCELLED]
    assert await _stocks(session, [low, high]) == [5, 5]


async def test_two_checkouts_releasing_overdue_redemptions_do_not_deadlock(
    many_connections: Sessions, session: AsyncSession, shop: Shop, world: World, move: clock.Mover
) -> None:
    x0, x1, x2, x3, x4, x5 = await _goods(session, shop, 6, stock=2)
    await session.execute(update(Goods).where(Goods.id.in_([x4, x5])).values(stock=1))
    a, b, c, d = await add_residents(session, world, count=4)
    for who in (a, b, c, d):
        await give(session, shop, who, 50)
    await _buy(session, shop, a, [x1, x4])  # both overdue by the time c and d come
    await _buy(session, shop, b, [x0, x5])
    await session.commit()
    move(clock.now() + timedelta(days=3, minutes=1))
    first, second = await actor(session, shop, c), await actor(session, shop, d)

    def buy(who: object, goods: list[uuid.UUID]) -> Callable[[AsyncSession], Awaitable[object]]:
        basket = Basket(GRID, goods=[GoodsLine(g) for g in goods])
        return lambda s: checkout(s, who, basket=basket, idempotency_key="k")  # type: ignore[arg-type]

    async with many_connections() as blocker:
        await blocker.execute(
            select(Goods.id).where(Goods.id.in_([x2, x3])).order_by(Goods.id).with_for_update()
        )
        # c takes x0 and waits for x2; d takes x1 and waits for x3. Then c is refused x4 and d
        # x5 (no stock): each used to release an overdue redemption holding what the other had
        # taken (x1, x0), and PostgreSQL aborted one of them.
        one = _in_own_session(many_connections, buy(first, [x0, x2, x4]))
        await _waiting_for_locks(many_connections, 1, one)
        two = _in_own_session(many_connections, buy(second, [x1, x3, x5]))
        await _waiting_for_locks(many_connections, 2, one, two)
        await blocker.rollback()
    await asyncio.gather(one, two)

    assert await _stocks(session, [x0, x1, x2, x3, x4, x5]) == [1, 1, 1, 1, 0, 0]
    states = await session.scalars(select(Redemption.state).order_by(Redemption.created_at))
    assert list(states)[-4:] == [RedemptionState.EXPIRED] * 2 + [RedemptionState.RESERVED] * 2
