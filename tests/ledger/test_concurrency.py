"""Many real connections at once: one effect per key, one post per hold, no overdraft."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.authz import Actor, Grant
from services.errors import DomainError, ErrorCode
from services.ledger import admin, verify
from services.ledger import service as ledger
from services.ledger.models import Cause, PointKind, Transfer
from services.people.models import Role
from tests.ledger.conftest import Books, account_of, counters, grant, kind_sums
from tests.ledger.test_transfers import redeem_hold

GRID = PointKind.GRID
T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]


async def at_once(
    sessions: Sessions, count: int, work: Callable[[AsyncSession], Awaitable[T]]
) -> list[T | ErrorCode]:
    """Run ``work`` in ``count`` sessions concurrently, each committing; errors as their codes."""
    start = asyncio.Event()

    async def one() -> T | ErrorCode:
        async with sessions() as session:
            await session.connection()  # hold a connection before the start signal
            await start.wait()
            try:
                result = await work(session)
                await session.commit()
                return result
            except DomainError as error:
                await session.rollback()
                return error.code

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    await asyncio.sleep(0.2)
    start.set()
    return await asyncio.gather(*tasks)


def admin_of_c1(books: Books) -> Actor:
    return Actor(
        person_id=books.person("community_admin"),
        name="测试community_admin",
        community_id=books.community_id,
        household_id=None,
        grants=(Grant(Role.COMMUNITY_ADMIN, books.community_id),),
    )


async def test_the_same_key_fifty_times_at_once_has_one_effect(
    many_connections: Sessions, books: Books, session: AsyncSession
) -> None:
    actor = admin_of_c1(books)

    async def adjust(s: AsyncSession) -> uuid.UUID:
        moved = await admin.adjust(
            s,
            actor,
            person_id=books.person("resident_a"),
            point_kind=GRID,
            amount=15,
            reason="补录",
            idempotency_key="same-key-50",
        )
        return moved.id

    answers = await at_once(many_connections, 50, adjust)
    assert len(answers) == 50 and len(set(answers)) == 1
    assert isinstance(answers[0], uuid.UUID)
    assert await session.scalar(select(func.count()).select_from(Transfer)) == 1
    mine = await account_of(session, books, "resident_a")
    assert await counters(session, mine) == (0, 15, 0, 0)


async def test_a_hold_posted_and_voided_at_once_resolves_once(
    many_connections: Sessions, books: Books, session: AsyncSession
) -> None:
    await grant(session, books, "resident_a", 30)
    held = (await redeem_hold(session, books, "resident_a", 10)).id
    await session.commit()

    async def post(s: AsyncSession) -> str:
        await ledger.post(s, pending_id=held, actor_id=books.person("worker_a"))
        return "posted"

    async def void(s: AsyncSession) -> str:
        await ledger.void(s, pending_id=held, actor_id=books.person("resident_a"), reason="取消")
        return "voided"

    racers = [post, void] * 10

    async def either(s: AsyncSession) -> str:
        return await racers.pop()(s)

    outcomes = Counter(await at_once(many_connections, 20, either))
    assert outcomes[ErrorCode.HOLD_NOT_PENDING] == 19
    assert outcomes["posted"] + outcomes["voided"] == 1
    resolutions = await session.scalar(
        select(func.count()).select_from(Transfer).where(Transfer.pending_id == held)
    )
    assert resolutions == 1
    mine = await account_of(session, books, "resident_a")
    assert await counters(session, mine) in ((10, 30, 0, 0), (0, 30, 0, 0))


async def test_twenty_debits_beyond_the_balance_never_overdraw(
    many_connections: Sessions, books: Books, session: AsyncSession
) -> None:
    await grant(session, books, "resident_a", 100)
    mine = await account_of(session, books, "resident_a")
    await session.commit()

    async def spend(s: AsyncSession) -> str:
        await ledger.transfer(
            s,
            community_id=books.community_id,
            debit_account_id=mine,
            credit_account_id=books.sink[GRID],
            amount=7,
            kind=GRID,
            cause=Cause.REDEMPTION,
            cause_id=None,
            reason="兑换大米",
            actor_id=books.person("resident_a"),
        )
        return "spent"

    outcomes = Counter(await at_once(many_connections, 20, spend))
    assert outcomes == {"spent": 14, ErrorCode.INSUFFICIENT_POINTS: 6}
    assert await counters(session, mine) == (98, 100, 0, 0)
    assert await kind_sums(session) == {GRID: (0, 0), PointKind.WORK: (0, 0)}
    report = await verify.verify_database(session)
    assert report.ok and report.transfers == 15, report


async def test_concurrent_holds_and_grants_keep_the_chain_whole(
    many_connections: Sessions, books: Books, session: AsyncSession
) -> None:
    await grant(session, books, "resident_a", 50)
    await session.commit()
    people = ["resident_a", "resident_a2", "resident_b"] * 10

    async def mixed(s: AsyncSession) -> str:
        key = people.pop()
        if key == "resident_a":
            await redeem_hold(s, books, key, 3)
            return "held"
        await grant(s, books, key, 2)
        return "granted"

    outcomes = Counter(await at_once(many_connections, 30, mixed))
    assert outcomes == {"held": 10, "granted": 20}
    report = await verify.verify_database(session)
    assert report.ok and report.transfers == 31, report


async def test_an_account_opened_from_twenty_sessions_at_once_is_one_account(
    many_connections: Sessions, books: Books, session: AsyncSession
) -> None:
    async def open_account(s: AsyncSession) -> uuid.UUID:
        account = await ledger.person_account(
            s, community_id=books.community_id, person_id=books.person("resident_b"), kind=GRID
        )
        return account.id

    opened = await at_once(many_connections, 20, open_account)
    assert len(set(opened)) == 1
    assert opened[0] == await account_of(session, books, "resident_b")
