"""Holds, posts, voids, expiry, reversals and single-phase transfers: each rule, by error code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.errors import DomainError, ErrorCode
from services.ledger import queries
from services.ledger import service as ledger
from services.ledger.models import Cause, PointKind, Transfer, TransferKind
from tests.ledger.conftest import Books, account_of, counters, grant, kind_sums

GRID = PointKind.GRID


async def redeem_hold(
    session: AsyncSession, books: Books, key: str, amount: int, expires_at: datetime | None = None
) -> Transfer:
    account = await account_of(session, books, key)
    return await ledger.hold(
        session,
        community_id=books.community_id,
        debit_account_id=account,
        credit_account_id=books.sink[GRID],
        amount=amount,
        kind=GRID,
        cause=Cause.REDEMPTION,
        cause_id=None,
        reason="兑换洗衣粉",
        actor_id=books.person(key),
        expires_at=expires_at,
    )


async def available(session: AsyncSession, books: Books, key: str) -> int:
    [balance] = [
        b for b in await queries.balances(session, books.person(key)) if b.point_kind is GRID
    ]
    return balance.available


async def test_grant_then_redeem_hold_and_post_at_pickup(
    session: AsyncSession, books: Books
) -> None:
    # given 30 points granted to a resident
    granted = await grant(session, books, "resident_a", 30)
    mine = await account_of(session, books, "resident_a")
    assert granted.kind is TransferKind.POSTED and granted.seq == 1
    assert await counters(session, mine) == (0, 30, 0, 0)

    # when they redeem goods worth 12 points (a hold) and pick them up (the post)
    held = await redeem_hold(session, books, "resident_a", 12)
    assert await counters(session, mine) == (0, 30, 12, 0)
    assert await available(session, books, "resident_a") == 18
    posted = await ledger.post(session, pending_id=held.id, actor_id=books.person("worker_a"))
    await session.commit()

    # then 12 points moved to the exchange sink, the chain grew by one, every kind sums to zero
    assert posted.kind is TransferKind.POST and posted.amount == 12 and posted.seq == 2
    assert posted.prev_hash == granted.hash and posted.reason == "兑换洗衣粉"
    assert await counters(session, mine) == (12, 30, 0, 0)
    assert await counters(session, books.sink[GRID]) == (0, 12, 0, 0)
    assert await kind_sums(session) == {GRID: (0, 0), PointKind.WORK: (0, 0)}
    assert await available(session, books, "resident_a") == 18


async def test_partial_post_releases_the_rest(session: AsyncSession, books: Books) -> None:
    await grant(session, books, "resident_a", 20)
    held = await redeem_hold(session, books, "resident_a", 15)
    posted = await ledger.post(session, pending_id=held.id, actor_id=None, amount=9)
    assert posted.amount == 9
    mine = await account_of(session, books, "resident_a")
    assert await counters(session, mine) == (9, 20, 0, 0)
    assert await available(session, books, "resident_a") == 11


async def test_post_more_than_held_or_nothing_is_refused(
    session: AsyncSession, books: Books
) -> None:
    await grant(session, books, "resident_a", 20)
    held = await redeem_hold(session, books, "resident_a", 5)
    for amount, code in ((6, ErrorCode.AMOUNT_EXCEEDS_HOLD), (0, ErrorCode.INVALID_AMOUNT)):
        with pytest.raises(DomainError) as refused:
            await ledger.post(session, pending_id=held.id, actor_id=None, amount=amount)
        assert refused.value.code is code


async def test_a_hold_resolves_once(session: AsyncSession, books: Books) -> None:
    await grant(session, books, "resident_a", 20)
    held = await redeem_hold(session, books, "resident_a", 5)
    await ledger.void(
        session, pending_id=held.id, actor_id=books.person("resident_a"), reason="不要了"
    )
    for attempt in (
        ledger.post(session, pending_id=held.id, actor_id=None),
        ledger.void(session, pending_id=held.id, actor_id=None, reason="again"),
    ):
        with pytest.raises(DomainError) as refused:
            await attempt
        assert refused.value.code is ErrorCode.HOLD_NOT_PENDING
    mine = await account_of(session, books, "resident_a")
    assert await counters(session, mine) == (0, 20, 0, 0)


async def test_not_enough_points(session: AsyncSession, books: Books) -> None:
    await grant(session, books, "resident_a", 10)
    await redeem_hold(session, books, "resident_a", 7)
    with pytest.raises(DomainError) as refused:
        await redeem_hold(session, books, "resident_a", 4)
    assert refused.value.code is ErrorCode.INSUFFICIENT_POINTS
    assert refused.value.params["available"] == 3
    mine = await account_of(session, books, "resident_a")
    assert await counters(session, mine) == (0, 10, 7, 0)


async def test_expired_hold_is_released_on_read_and_refused_at_pickup(
    session: AsyncSession, books: Books
) -> None:
    start = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    with clock.frozen(start) as move:
        await grant(session, books, "resident_a", 10)
        held = await redeem_hold(
            session, books, "resident_a", 8, expires_at=start + timedelta(hours=1)
        )
        await session.commit()
        assert await available(session, books, "resident_a") == 2

        move(start + timedelta(hours=1))
        # judged from the clock: released, though no void is written yet
        assert await available(session, books, "resident_a") == 10
        with pytest.raises(DomainError) as refused:
            await ledger.post(session, pending_id=held.id, actor_id=None)
        assert refused.value.code is ErrorCode.HOLD_EXPIRED

        # the worker writes the void
        assert await ledger.expire_due(session) == 1
        assert await ledger.expire_due(session) == 0
        void = await session.scalar(select(Transfer).where(Transfer.pending_id == held.id))
        assert void is not None
        assert (void.kind, void.cause, void.actor_id) == (TransferKind.VOID, Cause.EXPIRY, None)
        with pytest.raises(DomainError) as refused:
            await ledger.post(session, pending_id=held.id, actor_id=None)
        assert refused.value.code is ErrorCode.HOLD_EXPIRED


async def test_a_debit_releases_expired_holds_first(session: AsyncSession, books: Books) -> None:
    start = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    with clock.frozen(start) as move:
        await grant(session, books, "resident_a", 10)
        await redeem_hold(session, books, "resident_a", 8, expires_at=start + timedelta(minutes=5))
        move(start + timedelta(minutes=6))
        # no worker ran, yet the new hold sees the 8 points released
        await redeem_hold(session, books, "resident_a", 9)
        mine = await account_of(session, books, "resident_a")
        assert await counters(session, mine) == (0, 10, 9, 0)


async def test_reversal_names_the_original_once(session: AsyncSession, books: Books) -> None:
    granted = await grant(session, books, "resident_a", 10)
    reversal = await ledger.reverse(
        session, transfer_id=granted.id, actor_id=books.person("community_admin"), reason="重复发放"
    )
    assert (reversal.reverses_id, reversal.cause, reversal.amount) == (
        granted.id,
        Cause.REVERSAL,
        10,
    )
    mine = await account_of(session, books, "resident_a")
    assert await counters(session, mine) == (10, 10, 0, 0)
    with pytest.raises(DomainError) as refused:
        await ledger.reverse(
            session, transfer_id=granted.id, actor_id=books.person("community_admin"), reason="再来"
        )
    assert refused.value.code is ErrorCode.ALREADY_REVERSED
