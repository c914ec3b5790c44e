"""Unpicked goods and venue no-shows expire: judged on read with the worker stopped, released by
the next claimant or the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.catalog import queries as catalog_queries
from services.catalog.models import Goods, Venue
from services.errors import DomainError, ErrorCode
from services.ledger import queries as ledger_queries
from services.ledger.models import PointKind, Transfer, TransferKind
from services.redemptions import lifecycle
from services.redemptions.basket import Basket, GoodsLine, VenueLine, checkout
from services.redemptions.models import Redemption, RedemptionState, VenueBooking
from tests.redemptions.conftest import SLOT, Shop, actor, give

GRID = PointKind.GRID


async def available(session: AsyncSession, shop: Shop, key: str) -> int:
    found = await ledger_queries.balances(session, shop.person(key))
    return next(b.available for b in found if b.point_kind is GRID)


async def test_unpicked_goods_expire_on_read_and_free_the_stock(
    session: AsyncSession, shop: Shop, move: clock.Mover
) -> None:
    await give(session, shop, "resident_a", 500)
    await give(session, shop, "resident_b", 500)
    first = await actor(session, shop, "resident_a")
    taken = await checkout(
        session, first, basket=Basket(GRID, goods=[GoodsLine(shop.rice, 10)]), idempotency_key="a"
    )
    await session.commit()
    assert await available(session, shop, "resident_a") == 300
    # three days later, no worker ran
    move(clock.now() + timedelta(days=3, minutes=1))
    stored = await session.get(Redemption, taken.id, populate_existing=True)
    assert stored is not None and stored.state is RedemptionState.RESERVED
    assert lifecycle.status(stored) is RedemptionState.EXPIRED
    assert await available(session, shop, "resident_a") == 500
    admin = await actor(session, shop, "community_admin")
    with pytest.raises(DomainError) as late:
        async with session.begin_nested():
            await lifecycle.fulfil(
                session, admin, community_id=shop.community_id, pickup_code=taken.pickup_code
            )
    assert late.value.code is ErrorCode.REDEMPTION_EXPIRED
    # the next buyer gets the rice: the overdue redemption is released in their transaction
    second = await actor(session, shop, "resident_b")
    await checkout(
        session, second, basket=Basket(GRID, goods=[GoodsLine(shop.rice, 4)]), idempotency_key="b"
    )
    await session.commit()
    stored = await session.get(Redemption, taken.id, populate_existing=True)
    assert stored is not None and stored.state is RedemptionState.EXPIRED
    assert await session.scalar(select(Goods.stock).where(Goods.id == shop.rice)) == 6
    voids = await session.scalars(
        select(Transfer).where(
            Transfer.pending_id == taken.hold_id, Transfer.kind == TransferKind.VOID
        )
    )
    assert len(voids.all()) == 1
    assert await available(session, shop, "resident_a") == 500


async def test_a_venue_no_show_frees_the_slot_without_a_worker(
    session: AsyncSession, shop: Shop, move: clock.Mover
) -> None:
    await give(session, shop, "resident_a", 100)
    await give(session, shop, "resident_b", 100)
    resident = await actor(session, shop, "resident_a")
    await checkout(
        session,
        resident,
        basket=Basket(GRID, venue=VenueLine(shop.dance, SLOT, SLOT + timedelta(hours=1))),
        idempotency_key="v",
    )
    await session.commit()
    day = SLOT.astimezone(clock.LOCAL).date()
    slots = await catalog_queries.free_slots(
        session, venue_id=shop.dance, first_day=day, last_day=day
    )
    assert SLOT not in [s.starts_at for s in slots]
    # nobody came: 31 minutes after the start the booking is over (grace 30 minutes)
    move(SLOT + timedelta(minutes=31))
    assert await available(session, shop, "resident_a") == 100
    slots = await catalog_queries.free_slots(
        session, venue_id=shop.dance, first_day=day, last_day=day
    )
    assert all(s.starts_at > clock.now() for s in slots)
    # a later slot overlapping the no-show's buffer is bookable: the overdue booking gives way
    # (with no minimum notice, so the slot right after can still be booked)
    await session.execute(
        Venue.__table__.update().where(Venue.id == shop.dance).values(min_notice_minutes=0)
    )
    later = SLOT + timedelta(hours=1)
    other = await actor(session, shop, "resident_b")
    await checkout(
        session,
        other,
        basket=Basket(GRID, venue=VenueLine(shop.dance, later, later + timedelta(hours=1))),
        idempotency_key="w",
    )
    await session.commit()
    active = await session.scalars(select(VenueBooking).where(VenueBooking.active))
    assert [b.starts_at for b in active] == [later]


async def test_the_worker_expires_and_releases(
    session: AsyncSession, shop: Shop, move: clock.Mover
) -> None:
    await give(session, shop, "resident_a", 100)
    resident = await actor(session, shop, "resident_a")
    taken = await checkout(
        session, resident, basket=Basket(GRID, goods=[GoodsLine(shop.rice, 3)]), idempotency_key="x"
    )
    await session.commit()
    move(clock.now() + timedelta(days=4))
    assert await lifecycle.expire_due(session) == 1
    await session.commit()
    assert await lifecycle.expire_due(session) == 0
    stored = await session.get(Redemption, taken.id, populate_existing=True)
    assert stored is not None and stored.state is RedemptionState.EXPIRED
    assert await session.scalar(select(Goods.stock).where(Goods.id == shop.rice)) == 10
    resident = await actor(session, shop, "resident_a")
    with pytest.raises(DomainError) as gone:
        await lifecycle.cancel(session, resident, redemption_id=taken.id, idempotency_key="c")
    assert gone.value.code is ErrorCode.REDEMPTION_EXPIRED
