"""The exchange, story by story (domain.md flow 3): goods, a venue slot, a childcare place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.catalog.models import Goods, ServiceSession
from services.errors import DomainError, ErrorCode
from services.ledger import queries as ledger_queries
from services.ledger.models import PointKind, Transfer
from services.redemptions import lifecycle
from services.redemptions.basket import Basket, GoodsLine, SessionLine, VenueLine, checkout
from services.redemptions.models import RedemptionState, VenueBooking
from tests.redemptions.conftest import SLOT, Shop, actor, give

GRID = PointKind.GRID


async def available(session: AsyncSession, shop: Shop, key: str) -> int:
    found = await ledger_queries.balances(session, shop.person(key))
    return next(b.available for b in found if b.point_kind is GRID)


async def stock(session: AsyncSession, goods_id: object) -> int:
    value = await session.scalar(
        select(Goods.stock).where(Goods.id == goods_id).execution_options(populate_existing=True)
    )
    assert value is not None
    return value


async def test_buy_goods_and_pick_them_up(session: AsyncSession, shop: Shop) -> None:
    # given a resident with 100 points
    await give(session, shop, "resident_a", 100)
    resident = await actor(session, shop, "resident_a")
    # when they redeem two bags of rice
    redemption = await checkout(
        session,
        resident,
        basket=Basket(GRID, goods=[GoodsLine(shop.rice, 2)]),
        idempotency_key="k1",
    )
    await session.commit()
    # then 40 points are held, the stock is down and there is a pickup code
    assert redemption.total == 40 and len(redemption.pickup_code) == 8
    assert await available(session, shop, "resident_a") == 60
    assert await stock(session, shop.rice) == 8
    assert redemption.deadline == clock.now() + timedelta(days=3)
    # when the counter writes the code off
    admin = await actor(session, shop, "community_admin")
    done = await lifecycle.fulfil(
        session, admin, community_id=shop.community_id, pickup_code=redemption.pickup_code.lower()
    )
    await session.commit()
    assert done.state is RedemptionState.FULFILLED
    assert await available(session, shop, "resident_a") == 60
    # and a second write-off is refused
    with pytest.raises(DomainError) as again:
        await lifecycle.fulfil(
            session, admin, community_id=shop.community_id, pickup_code=redemption.pickup_code
        )
    assert again.value.code is ErrorCode.CODE_USED


async def test_book_a_venue_slot_and_check_in(
    session: AsyncSession, shop: Shop, move: clock.Mover
) -> None:
    await give(session, shop, "resident_a", 50)
    resident = await actor(session, shop, "resident_a")
    booked = await checkout(
        session,
        resident,
        basket=Basket(GRID, venue=VenueLine(shop.dance, SLOT, SLOT + timedelta(hours=2))),
        idempotency_key="v1",
    )
    await session.commit()
    assert booked.total == 20
    assert booked.deadline == SLOT + timedelta(minutes=30)
    # the same slot, or one inside the buffer, is taken for anyone else
    await give(session, shop, "resident_b", 50)
    other = await actor(session, shop, "resident_b")
    for start in (SLOT + timedelta(hours=1), SLOT + timedelta(hours=2)):
        with pytest.raises(DomainError) as taken:
            async with session.begin_nested():
                await checkout(
                    session,
                    other,
                    basket=Basket(
                        GRID, venue=VenueLine(shop.dance, start, start + timedelta(hours=1))
                    ),
                    idempotency_key=f"v-{start}",
                )
        assert taken.value.code is ErrorCode.SLOT_TAKEN
    # on the day, staff check them in by the code
    move(SLOT - timedelta(minutes=5))
    admin = await actor(session, shop, "community_admin")
    done = await lifecycle.fulfil(
        session, admin, community_id=shop.community_id, pickup_code=booked.pickup_code
    )
    assert done.state is RedemptionState.FULFILLED


async def test_venue_rules(session: AsyncSession, shop: Shop) -> None:
    await give(session, shop, "resident_a", 500)
    resident = await actor(session, shop, "resident_a")
    cases = [
        (SLOT, SLOT + timedelta(hours=3), ErrorCode.BOOKING_TOO_LONG),
        (
            SLOT + timedelta(minutes=30),
            SLOT + timedelta(minutes=90),
            ErrorCode.OUTSIDE_OPENING_HOURS,
        ),
        (SLOT + timedelta(hours=7), SLOT + timedelta(hours=8), ErrorCode.OUTSIDE_OPENING_HOURS),
        (
            clock.now() + timedelta(minutes=30),
            clock.now() + timedelta(minutes=90),
            ErrorCode.TOO_LATE_TO_BOOK,
        ),
    ]
    for n, (start, end, code) in enumerate(cases):
        with pytest.raises(DomainError) as refused:
            async with session.begin_nested():
                await checkout(
                    session,
                    resident,
                    basket=Basket(GRID, venue=VenueLine(shop.dance, start, end)),
                    idempotency_key=f"r{n}",
                )
        assert refused.value.code is code, (start, end)


async def test_take_a_childcare_place(session: AsyncSession, shop: Shop) -> None:
    for key in ("resident_a", "resident_a2", "resident_b"):
        await give(session, shop, key, 30)
    taken = []
    for key in ("resident_a", "resident_a2"):
        resident = await actor(session, shop, key)
        taken.append(
            await checkout(
                session,
                resident,
                basket=Basket(GRID, sessions=[SessionLine(shop.childcare, 1)]),
                idempotency_key="c",
            )
        )
    resident = await actor(session, shop, "resident_b")
    with pytest.raises(DomainError) as full:
        async with session.begin_nested():
            await checkout(
                session,
                resident,
                basket=Basket(GRID, sessions=[SessionLine(shop.childcare, 2)]),
                idempotency_key="c",
            )
    assert full.value.code is ErrorCode.SESSION_FULL
    sitting = await session.get(ServiceSession, shop.childcare)
    assert sitting is not None and sitting.places_taken == 2
    # a cancel gives the place back and the points
    first = await actor(session, shop, "resident_a")
    cancelled = await lifecycle.cancel(
        session, first, redemption_id=taken[0].id, idempotency_key="cancel"
    )
    assert cancelled.state is RedemptionState.CANCELLED
    await session.refresh(sitting)
    assert sitting.places_taken == 1
    assert await available(session, shop, "resident_a") == 30


async def test_a_mixed_basket_fails_as_a_whole(session: AsyncSession, shop: Shop) -> None:
    await give(session, shop, "resident_a", 1000)
    resident = await actor(session, shop, "resident_a")
    # rice and the slot are fine, but 4 childcare places are more than the session has
    basket = Basket(
        GRID,
        goods=[GoodsLine(shop.rice, 3), GoodsLine(shop.soap, 1)],
        venue=VenueLine(shop.dance, SLOT, SLOT + timedelta(hours=1)),
        sessions=[SessionLine(shop.childcare, 4)],
    )
    with pytest.raises(DomainError) as failed:
        async with session.begin_nested():
            await checkout(session, resident, basket=basket, idempotency_key="mixed")
    assert failed.value.code is ErrorCode.SESSION_FULL
    await session.commit()
    assert await stock(session, shop.rice) == 10
    assert await stock(session, shop.soap) == 100
    assert await session.scalar(select(VenueBooking.id)) is None
    assert (await session.scalars(select(Transfer.kind))).all() == ["posted"]
    assert await available(session, shop, "resident_a") == 1000
    # the same basket without the extra places goes through, as one redemption
    ok = Basket(
        GRID, goods=basket.goods, venue=basket.venue, sessions=[SessionLine(shop.childcare, 1)]
    )
    redemption = await checkout(session, resident, basket=ok, idempotency_key="mixed")
    assert redemption.total == 3 * 20 + 5 + 10 + 8


async def test_limits_kinds_windows_and_empty_baskets(session: AsyncSession, shop: Shop) -> None:
    from services.catalog import service as catalog
    from services.catalog.models import WindowKind

    await give(session, shop, "resident_a", 1000)
    resident = await actor(session, shop, "resident_a")

    async def refused(basket: Basket, key: str) -> ErrorCode:
        with pytest.raises(DomainError) as error:
            async with session.begin_nested():
                await checkout(session, resident, basket=basket, idempotency_key=key)
        return error.value.code

    await checkout(
        session, resident, basket=Basket(GRID, goods=[GoodsLine(shop.soap, 2)]), idempotency_key="s"
    )
    assert (
        await refused(Basket(GRID, goods=[GoodsLine(shop.soap, 1)]), "s2")
        is ErrorCode.LIMIT_REACHED
    )
    assert await refused(Basket(GRID), "e") is ErrorCode.EMPTY_BASKET
    assert (
        await refused(Basket(GRID, goods=[GoodsLine(shop.rice, 11)]), "o") is ErrorCode.OUT_OF_STOCK
    )
    assert (
        await refused(Basket(PointKind.WORK, goods=[GoodsLine(shop.rice, 1)]), "w")
        is ErrorCode.INSUFFICIENT_POINTS
    )
    admin = await actor(session, shop, "community_admin")
    await catalog.set_exchange_settings(
        session,
        admin,
        community_id=shop.community_id,
        pickup_days=3,
        grace_minutes=30,
        windows=[catalog.WindowRule(WindowKind.WEEKDAY, weekday=5)],  # Fridays only
    )
    assert (
        await refused(Basket(GRID, goods=[GoodsLine(shop.rice, 1)]), "f") is ErrorCode.WINDOW_CLOSED
    )


async def test_the_waitlist_of_a_full_session(session: AsyncSession, shop: Shop) -> None:
    from services.redemptions import waitlist

    await give(session, shop, "resident_a", 100)
    resident = await actor(session, shop, "resident_a")
    with pytest.raises(DomainError) as free:
        async with session.begin_nested():
            await waitlist.join(session, resident, session_id=shop.childcare)
    assert free.value.code is ErrorCode.INVALID_STATE  # places are free: book one
    await checkout(
        session,
        resident,
        basket=Basket(GRID, sessions=[SessionLine(shop.childcare, 3)]),
        idempotency_key="all",
    )
    first = await actor(session, shop, "resident_b")
    second = await actor(session, shop, "resident_a2")
    assert await waitlist.join(session, first, session_id=shop.childcare) == 1
    assert await waitlist.join(session, second, session_id=shop.childcare) == 2
    assert await waitlist.join(session, first, session_id=shop.childcare) == 1
    await waitlist.leave(session, first, session_id=shop.childcare)
    assert await waitlist.position(session, second, shop.childcare) == 1


async def test_a_freed_place_goes_to_the_queue_not_to_a_newcomer(
    session: AsyncSession, shop: Shop
) -> None:
    from sqlalchemy import select

    from services.events.models import OutboxEvent
    from services.redemptions import lifecycle, waitlist

    for key in ("resident_a", "resident_b", "resident_a2"):
        await give(session, shop, key, 100)
    holder = await actor(session, shop, "resident_a")
    waiting = await actor(session, shop, "resident_b")
    newcomer = await actor(session, shop, "resident_a2")
    full = await checkout(
        session,
        holder,
        basket=Basket(GRID, sessions=[SessionLine(shop.childcare, 3)]),
        idempotency_key="all",
    )
    assert await waitlist.join(session, waiting, session_id=shop.childcare) == 1
    await lifecycle.cancel(session, holder, redemption_id=full.id, idempotency_key="back")
    told = await session.scalars(
        select(OutboxEvent.channels).where(OutboxEvent.topic == "waitlist.place_free")
    )
    assert [f"gp:events:person:{waiting.person_id}"] in list(told)

    # three places are free, one person waits: a newcomer may take two, not the third
    taken = await checkout(
        session,
        newcomer,
        basket=Basket(GRID, sessions=[SessionLine(shop.childcare, 2)]),
        idempotency_key="two",
    )
    assert taken.id
    with pytest.raises(DomainError) as jumped:
        async with session.begin_nested():
            await checkout(
                session,
                newcomer,
                basket=Basket(GRID, sessions=[SessionLine(shop.childcare, 1)]),
                idempotency_key="third",
            )
    assert jumped.value.code is ErrorCode.SESSION_FULL
    mine = await checkout(
        session,
        waiting,
        basket=Basket(GRID, sessions=[SessionLine(shop.childcare, 1)]),
        idempotency_key="mine",
    )
    assert mine.id
    assert await waitlist.position(session, waiting, shop.childcare) is None  # no longer waiting


async def test_a_pickup_code_already_used_in_the_community_is_drawn_again(
    session: AsyncSession, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws = iter(["AAAA2222", "AAAA2222", "BBBB3333"])
    monkeypatch.setattr("services.redemptions.basket.pickup_code", lambda: next(draws))
    await give(session, shop, "resident_a", 10)
    await give(session, shop, "resident_b", 10)
    first = await checkout(
        session,
        await actor(session, shop, "resident_a"),
        basket=Basket(GRID, goods=[GoodsLine(shop.soap, 1)]),
        idempotency_key="code-1",
    )
    second = await checkout(
        session,
        await actor(session, shop, "resident_b"),
        basket=Basket(GRID, goods=[GoodsLine(shop.soap, 1)]),
        idempotency_key="code-2",
    )
    await session.commit()
    assert (first.pickup_code, second.pickup_code) == ("AAAA2222", "BBBB3333")
    assert await stock(session, shop.soap) == 98
