"""Many real connections at once: no oversold stock, no double booking, no overdraft, one effect
per key."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import clock
from services.catalog.models import Goods
from services.errors import DomainError, ErrorCode
from services.ledger import queries as ledger_queries
from services.ledger.models import PointKind
from services.redemptions.basket import Basket, GoodsLine, VenueLine, checkout
from services.redemptions.models import Redemption, VenueBooking
from tests.redemptions.conftest import SLOT, Shop, actor, give
from tests.support import World, add_residents

T = TypeVar("T")
GRID = PointKind.GRID
Sessions = async_sessionmaker[AsyncSession]


async def at_once(
    sessions: Sessions, works: list[Callable[[AsyncSession], Awaitable[T]]], width: int = 50
) -> list[T | ErrorCode]:
    """Run each work in its own session, ``width`` at a time released together; errors as codes."""
    gate = asyncio.Semaphore(width)
    start = asyncio.Event()

    async def one(work: Callable[[AsyncSession], Awaitable[T]]) -> T | ErrorCode:
        async with gate, sessions() as session:
            await session.connection()
            await start.wait()
            try:
                result = await work(session)
                await session.commit()
                return result
            except DomainError as error:
                await session.rollback()
                return error.code

    tasks = [asyncio.create_task(one(work)) for work in works]
    await asyncio.sleep(0.3)
    start.set()
    return await asyncio.gather(*tasks)


async def test_200_buyers_for_10_units(
    many_connections: Sessions, session: AsyncSession, shop: Shop, world: World
) -> None:
    phones = await add_residents(session, world, count=200)
    for phone in phones:
        await give(session, shop, phone, 30)
    await session.commit()
    buyers = [await actor(session, shop, phone) for phone in phones]

    def buy(who: object) -> Callable[[AsyncSession], Awaitable[uuid.UUID]]:
        async def work(s: AsyncSession) -> uuid.UUID:
            bought = await checkout(
                s, who, basket=Basket(GRID, goods=[GoodsLine(shop.rice)]), idempotency_key="buy"
            )  # type: ignore[arg-type]
            return bought.id

        return work

    answers = await at_once(many_connections, [buy(b) for b in buyers])
    outcome = Counter(a if isinstance(a, ErrorCode) else "ok" for a in answers)
    assert outcome == {"ok": 10, ErrorCode.OUT_OF_STOCK: 190}
    assert await session.scalar(select(Goods.stock).where(Goods.id == shop.rice)) == 0
    assert await session.scalar(select(func.count()).select_from(Redemption)) == 10


async def test_50_overlapping_bookings(
    many_connections: Sessions, session: AsyncSession, shop: Shop, world: World
) -> None:
    phones = await add_residents(session, world, count=50)
    for phone in phones:
        await give(session, shop, phone, 100)
    await session.commit()
    people = [await actor(session, shop, phone) for phone in phones]
    # five groups of ten, each group wanting a different 2-hour window; the windows overlap in a
    # chain (14-16, 15-17 ... ) except that 14-16 and 16:15-18:15 would not: use disjoint pairs
    windows = [
        (SLOT, SLOT + timedelta(hours=2)),  # 14:00-16:00
        (SLOT + timedelta(hours=1), SLOT + timedelta(hours=2)),  # inside the first
        (SLOT + timedelta(hours=4), SLOT + timedelta(hours=5)),  # 18:00-19:00
        (SLOT + timedelta(hours=4), SLOT + timedelta(hours=6)),  # overlaps the third
        (SLOT - timedelta(hours=4), SLOT - timedelta(hours=3)),  # 10:00-11:00, alone
    ]

    def book(who: object, n: int) -> Callable[[AsyncSession], Awaitable[int]]:
        start, end = windows[n % len(windows)]

        async def work(s: AsyncSession) -> int:
            await checkout(
                s,
                who,  # type: ignore[arg-type]
                basket=Basket(GRID, venue=VenueLine(shop.dance, start, end)),
                idempotency_key="book",
            )
            return n % len(windows)

        return work

    answers = await at_once(many_connections, [book(p, n) for n, p in enumerate(people)])
    won = [a for a in answers if not isinstance(a, ErrorCode)]
    assert {a for a in answers if isinstance(a, ErrorCode)} == {ErrorCode.SLOT_TAKEN}
    # one winner per overlapping group: {0, 1} share a winner, {2, 3} too, 4 alone
    assert len(won) == 3
    assert len({0, 1} & set(won)) == 1 and len({2, 3} & set(won)) == 1 and 4 in won
    bookings = await session.scalar(select(func.count()).select_from(VenueBooking))
    assert bookings == 3


async def test_100_points_and_20_redemptions_of_30(
    many_connections: Sessions, session: AsyncSession, shop: Shop
) -> None:
    await give(session, shop, "resident_a", 100)
    await session.commit()
    resident = await actor(session, shop, "resident_a")

    def redeem(n: int) -> Callable[[AsyncSession], Awaitable[int]]:
        async def work(s: AsyncSession) -> int:
            done = await checkout(
                s,
                resident,
                basket=Basket(GRID, goods=[GoodsLine(shop.soap, 2), GoodsLine(shop.rice, 1)]),
                idempotency_key=f"r{n}",
            )
            return done.total

        return work

    # soap is limited to 2 a month: make it unlimited for this test
    await session.execute(
        Goods.__table__.update()
        .where(Goods.id == shop.soap)
        .values(limit_per_person=None, limit_period=None)
    )
    await session.commit()
    answers = await at_once(many_connections, [redeem(n) for n in range(20)])
    succeeded = [a for a in answers if a == 30]
    assert len(succeeded) == 3
    assert {a for a in answers if a != 30} == {ErrorCode.INSUFFICIENT_POINTS}
    balances = await ledger_queries.balances(session, shop.person("resident_a"))
    assert next(b.available for b in balances if b.point_kind is GRID) == 10


async def test_the_same_key_20_times_at_once(
    many_connections: Sessions, session: AsyncSession, shop: Shop
) -> None:
    await give(session, shop, "resident_a", 100)
    await session.commit()
    resident = await actor(session, shop, "resident_a")

    async def work(s: AsyncSession) -> tuple[uuid.UUID, str]:
        done = await checkout(
            s,
            resident,
            basket=Basket(GRID, goods=[GoodsLine(shop.rice, 2)]),
            idempotency_key="once",
        )
        return done.id, done.pickup_code

    answers = await at_once(many_connections, [work] * 20)
    assert len(set(answers)) == 1 and not isinstance(answers[0], ErrorCode)
    assert await session.scalar(select(func.count()).select_from(Redemption)) == 1
    assert await session.scalar(select(Goods.stock).where(Goods.id == shop.rice)) == 8
    assert clock.now()  # still frozen
