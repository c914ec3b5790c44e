"""Expiry policies: expired points leave by transfers to the expiry account, first in, first out."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import worker
from api.state import AppState
from services import clock
from services.auth.service import load_actor
from services.ledger import check, expiry, verify
from services.ledger import service as ledger
from services.ledger.models import Account, AccountType, Cause, PointKind, Transfer
from services.orgs import settings
from services.orgs.models import CommunitySettings, ExpiryPolicy
from tests.ledger.conftest import Books, grant, kind_sums
from tests.ledger.test_transfers import available, redeem_hold
from tests.ledger.test_verify import run_cli

GRID = PointKind.GRID


def at(year: int, month: int, day: int) -> datetime:
    """10:00 in Shanghai on that day."""
    return datetime(year, month, day, 2, 0, tzinfo=UTC)


async def set_policy(
    session: AsyncSession,
    books: Books,
    policy: ExpiryPolicy,
    months: int | None = None,
    community: str = "C1",
) -> None:
    actor = await load_actor(session, books.person("street_admin"))
    assert actor is not None
    await settings.update_settings(
        session,
        actor,
        community_id=books.world.units[community],
        expiry_policy=policy,
        expiry_months=months,
    )
    await session.commit()


async def spend(session: AsyncSession, books: Books, key: str, amount: int) -> None:
    """A redemption picked up at once: a hold, then its post."""
    held = await redeem_hold(session, books, key, amount)
    await ledger.post(session, pending_id=held.id, actor_id=books.person("worker_a"))
    await session.commit()


async def expire(session: AsyncSession, books: Books) -> int:
    written = await expiry.apply_expiry(session, community_id=books.community_id)
    await session.commit()
    return written


async def expiries(session: AsyncSession) -> list[tuple[str, int, str, date]]:
    """(owner's person id, amount, reason, booked_on) of every expiry transfer, oldest first."""
    debit = select(Account.person_id).where(Account.id == Transfer.debit_account_id)
    rows = await session.execute(
        select(debit.scalar_subquery(), Transfer.amount, Transfer.reason, Transfer.booked_on)
        .where(Transfer.cause == Cause.EXPIRY)
        .order_by(Transfer.order_key.desc())
    )
    return [(str(person), amount, reason, booked) for person, amount, reason, booked in rows]


async def balanced_and_verified(session: AsyncSession) -> None:
    assert all(sums == (0, 0) for sums in (await kind_sums(session)).values())
    assert await check.check(session) == []
    assert (await verify.verify_database(session)).ok


def test_cutoffs() -> None:
    assert expiry.cutoff(ExpiryPolicy.NEVER, None, date(2026, 5, 5)) is None
    assert expiry.cutoff(ExpiryPolicy.YEAR_END, None, date(2026, 5, 5)) == date(2026, 1, 1)
    assert expiry.cutoff(ExpiryPolicy.AFTER_MONTHS, 6, date(2026, 12, 20)) == date(2026, 6, 20)
    assert expiry.months_before(date(2026, 8, 31), 6) == date(2026, 2, 28)
    assert expiry.months_before(date(2024, 8, 31), 6) == date(2024, 2, 29)
    assert expiry.months_before(date(2026, 1, 15), 1) == date(2025, 12, 15)
    assert expiry.months_before(date(2026, 3, 1), 120) == date(2016, 3, 1)


async def test_year_end_clearing_spends_old_points_first_and_runs_once(
    session: AsyncSession, books: Books
) -> None:
    # given resident A: 50 points in 2025, 20 spent in 2025, 30 more in 2026, 10 spent in 2026;
    # resident B: 10 points in 2025, 4 of them held for a pickup; A2: 15 points in 2026 only
    with clock.frozen(at(2025, 3, 10)):
        await grant(session, books, "resident_a", 50)
        await grant(session, books, "resident_b", 10)
    with clock.frozen(at(2025, 11, 5)):
        await spend(session, books, "resident_a", 20)
    with clock.frozen(at(2026, 1, 5)):
        await grant(session, books, "resident_a2", 15)
    with clock.frozen(at(2026, 2, 1)):
        await grant(session, books, "resident_a", 30)
    with clock.frozen(at(2026, 2, 10)):
        await spend(session, books, "resident_a", 10)
        pickup = await redeem_hold(session, books, "resident_b", 4)
        await session.commit()

    with clock.frozen(at(2026, 3, 1)) as move:
        # when the community clears at year end
        await set_policy(session, books, ExpiryPolicy.YEAR_END)
        assert await expire(session, books) == 2

        # then, first in first out: A's 30 spent came out of the 50 old points, so 20 of those
        # are left to expire and the 30 new ones stay; B's 10 old points expire but the 4 held
        reason = "积分过期（年底清零）：2026-01-01 之前记入的积分"
        a, b = str(books.person("resident_a")), str(books.person("resident_b"))
        assert sorted(await expiries(session)) == sorted(
            [(a, 20, reason, date(2026, 3, 1)), (b, 6, reason, date(2026, 3, 1))]
        )
        assert await available(session, books, "resident_a") == 30
        assert await available(session, books, "resident_b") == 0
        assert await available(session, books, "resident_a2") == 15
        moved = await session.scalars(select(Transfer).where(Transfer.cause == Cause.EXPIRY))
        for transfer in moved:
            credited = await session.get(Account, transfer.credit_account_id)
            assert credited is not None and credited.type is AccountType.EXPIRY
            assert transfer.actor_id is None and transfer.seq is not None

        # and a second run expires nothing more
        assert await expire(session, books) == 0
        assert len(await expiries(session)) == 2
        await balanced_and_verified(session)

        # when B's pickup is cancelled, the 4 points it held are old points too: next run
        move(at(2026, 3, 2))
        await ledger.void(session, pending_id=pickup.id, actor_id=None, reason="取消兑换")
        await session.commit()
        assert await available(session, books, "resident_b") == 4
        assert await expire(session, books) == 1
        assert await available(session, books, "resident_b") == 0
        assert await expire(session, books) == 0
        await balanced_and_verified(session)


async def test_after_months_expires_points_that_are_older_than_that(
    session: AsyncSession, books: Books
) -> None:
    # given 10 points booked on 19 June, 7 on 20 June, and 3 spent in September
    with clock.frozen(at(2026, 6, 19)):
        await grant(session, books, "resident_a", 10)
    with clock.frozen(at(2026, 6, 20)):
        await grant(session, books, "resident_a", 7)
    with clock.frozen(at(2026, 9, 1)):
        await spend(session, books, "resident_a", 3)

    with clock.frozen(at(2026, 12, 20)) as move:
        # when points last 6 months: on 20 December the cutoff is 20 June
        await set_policy(session, books, ExpiryPolicy.AFTER_MONTHS, 6)
        assert await expire(session, books) == 1

        # then what is left of 19 June's 10 points (10 - 3) expires; 20 June's 7 stay
        reason = "积分过期（记入满 6 个月）：2026-06-20 之前记入的积分"
        a = str(books.person("resident_a"))
        assert await expiries(session) == [(a, 7, reason, date(2026, 12, 20))]
        assert await available(session, books, "resident_a") == 7
        assert await expire(session, books) == 0

        # and the next day 20 June's points go too
        move(at(2026, 12, 21))
        assert await expire(session, books) == 1
        assert await available(session, books, "resident_a") == 0
        assert [amount for _, amount, _, _ in await expiries(session)] == [7, 7]
        assert await expire(session, books) == 0
        await balanced_and_verified(session)


async def test_never_expires_nothing(session: AsyncSession, books: Books) -> None:
    with clock.frozen(at(2020, 1, 10)):
        await grant(session, books, "resident_a", 40)
    with clock.frozen(at(2026, 3, 1)):
        # no settings at all: the default is never
        assert await expire(session, books) == 0
        assert await expiry.apply_due(session) == 0
        # a policy switched back to never
        await set_policy(session, books, ExpiryPolicy.AFTER_MONTHS, 1)
        await set_policy(session, books, ExpiryPolicy.NEVER)
        assert await expire(session, books) == 0
        assert await worker.JOBS["points_expired"](session) == 0
        assert await expiries(session) == []
        assert await available(session, books, "resident_a") == 40


async def test_the_worker_applies_each_policy_once_a_day(
    session: AsyncSession, books: Books
) -> None:
    with clock.frozen(at(2025, 6, 1)):
        await grant(session, books, "resident_a", 12)
        held = await redeem_hold(session, books, "resident_a", 2)
        await session.commit()
    with clock.frozen(at(2026, 1, 10)):
        await grant(session, books, "resident_a2", 6)
    with clock.frozen(at(2026, 3, 1)) as move:
        await set_policy(session, books, ExpiryPolicy.YEAR_END)
        await set_policy(session, books, ExpiryPolicy.NEVER, community="C2")

        # the worker's job runs C1 (C2 expires nothing) and remembers the day
        assert await worker.JOBS["points_expired"](session) == 1
        await session.commit()
        done = await session.get(CommunitySettings, books.community_id, populate_existing=True)
        assert done is not None and done.expiry_applied_on == date(2026, 3, 1)

        # old points freed the same day wait for the next day's run
        await ledger.void(session, pending_id=held.id, actor_id=None, reason="取消兑换")
        await session.commit()
        assert await expiry.apply_due(session) == 0
        move(at(2026, 3, 2))
        assert await expiry.apply_due(session) == 1
        await session.commit()
        assert await available(session, books, "resident_a") == 0

        # a changed policy applies at the next tick, even on a day already done: A2's January
        # points are more than a month old
        await set_policy(session, books, ExpiryPolicy.AFTER_MONTHS, 1)
        changed = await session.get(CommunitySettings, books.community_id, populate_existing=True)
        assert changed is not None and changed.expiry_applied_on is None
        assert await expiry.apply_due(session) == 1
        await session.commit()
        assert await available(session, books, "resident_a2") == 0
        assert await expiry.apply_due(session) == 0
        await balanced_and_verified(session)


async def test_runs_at_once_expire_the_points_once(
    session: AsyncSession, books: Books, state: AppState
) -> None:
    with clock.frozen(at(2025, 5, 1)):
        for key in ("resident_a", "resident_a2", "resident_b"):
            await grant(session, books, key, 9)
    with clock.frozen(at(2026, 3, 1)):
        await set_policy(session, books, ExpiryPolicy.YEAR_END)

        async def run() -> int:
            async with state.sessions() as own, own.begin():
                return await expiry.apply_expiry(own, community_id=books.community_id)

        assert sorted(await asyncio.gather(*(run() for _ in range(5)))) == [0, 0, 0, 0, 3]
        assert [amount for _, amount, _, _ in await expiries(session)] == [9, 9, 9]
        await balanced_and_verified(session)


@pytest.mark.parametrize("kind", list(PointKind))
async def test_each_point_kind_expires_into_its_own_account(
    session: AsyncSession, books: Books, kind: PointKind
) -> None:
    with clock.frozen(at(2025, 5, 1)):
        await grant(session, books, "resident_a", 5, kind=kind)
    with clock.frozen(at(2026, 1, 1)):
        await set_policy(session, books, ExpiryPolicy.YEAR_END)
        assert await expire(session, books) == 1
        sink = await ledger.system_account(
            session, community_id=books.community_id, type=AccountType.EXPIRY, kind=kind
        )
        assert sink.credits_posted == 5
        await balanced_and_verified(session)


async def test_the_command_line_applies_the_policies(
    session: AsyncSession, books: Books, database_url: str
) -> None:
    with clock.frozen(at(2020, 5, 1)):
        await grant(session, books, "resident_a", 8)
        await set_policy(session, books, ExpiryPolicy.YEAR_END)
    done = await asyncio.to_thread(run_cli, "expire-points", database_url=database_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "T-C1: 1 expiring transfers written" in done.stdout
    again = await asyncio.to_thread(
        run_cli, "expire-points", "--community", "T-C1", database_url=database_url
    )
    assert "T-C1: 0 expiring transfers written" in again.stdout
    unknown = await asyncio.to_thread(
        run_cli, "expire-points", "--community", "NOPE", database_url=database_url
    )
    assert unknown.returncode == 2
    assert await available(session, books, "resident_a") == 0
