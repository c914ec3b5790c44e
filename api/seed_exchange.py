"""Demo exchange for 稻香社区: a stocked points supermarket, three venues with bookings, free dining
and infant childcare sessions, and redemptions in every state.

Built through the services with the clock moved, like :mod:`api.seed_flows` (run it after that).
The residents first get a quarterly award (an admin adjustment with its reason) on top of what
their volunteering earned. A redemption the rules refuse is skipped, so the data set never
depends on the exact balances.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import seed
from api.seed_flows import _actor
from services import clock
from services.authz import Actor
from services.catalog import service as catalog
from services.catalog.models import LimitPeriod
from services.catalog.service import GoodsDraft, Opening, VenueDraft
from services.errors import DomainError
from services.ledger import admin as admin_ledger
from services.ledger.models import PointKind
from services.orgs.models import OrgUnit
from services.redemptions import lifecycle
from services.redemptions.basket import Basket, GoodsLine, SessionLine, VenueLine, checkout
from services.redemptions.models import Redemption

COMMUNITY = "DX-C1"
GOODS = (  # name, points, stock, monthly limit per person
    ("洗衣粉 1kg", 15, 80, None),
    ("卫生纸 10卷", 10, 120, None),
    ("大米 5kg", 60, 30, 1),
    ("食用油 5L", 85, 12, 1),
    ("酱油 500ml", 8, 60, None),
    ("牙膏", 12, 4, 2),
    ("毛巾", 5, 200, None),
)
VENUES = (  # name, capacity, slot minutes, points a slot, opens, closes
    ("舞蹈室", 30, 60, 10, time(8), time(21)),
    ("书画室", 16, 60, 8, time(9), time(17)),
    ("科普馆", 40, 90, 5, time(9), time(16, 30)),
)


async def _try(session: AsyncSession, actor: Actor, basket: Basket, key: str) -> Redemption | None:
    """Checkout in a savepoint; None when the rules refuse it (too few points, say)."""
    try:
        async with session.begin_nested():
            return await checkout(session, actor, basket=basket, idempotency_key=key)
    except DomainError:
        return None


def _at(day: datetime, hour: int) -> datetime:
    local = day.astimezone(clock.LOCAL)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


async def seed_exchange(session: AsyncSession, now: datetime) -> int:
    """Write the demo exchange ending at ``now``; returns how many redemptions it made."""
    community = await session.scalar(select(OrgUnit.id).where(OrgUnit.code == COMMUNITY))
    assert community is not None
    admin = await _actor(session, seed.community_admin_phone(1))
    residents = [await _actor(session, seed.resident_phone(n)) for n in range(1, 16)]
    made = 0
    with clock.frozen(now - timedelta(days=2)) as move:
        goods = [
            await catalog.create_goods(
                session,
                admin,
                community_id=community,
                draft=GoodsDraft(
                    name=name,
                    price=price,
                    stock=stock,
                    description=f"{name}，凭自提码到社区积分超市领取。",
                    limit_per_person=limit,
                    limit_period=LimitPeriod.MONTH if limit else None,
                ),
            )
            for name, price, stock, limit in GOODS
        ]
        venues = [
            await catalog.create_venue(
                session,
                admin,
                community_id=community,
                draft=VenueDraft(
                    name=name,
                    capacity=capacity,
                    slot_minutes=slot,
                    max_booking_minutes=slot * 2,
                    price_per_slot=price,
                    min_notice_minutes=120,
                    buffer_minutes=15,
                    weekly_quota=2,
                    hours=[Opening(day, opens, closes) for day in range(1, 8)],
                ),
            )
            for name, capacity, slot, price, opens, closes in VENUES
        ]
        dining = await catalog.create_service(
            session, admin, community_id=community, name="爱心午餐", description="长者助餐"
        )
        childcare = await catalog.create_service(
            session, admin, community_id=community, name="婴幼儿托管", description="2-3岁托育"
        )
        sessions = []
        for offset in range(1, 8):
            day = now + timedelta(days=offset)
            sessions.append(
                await catalog.create_session(
                    session,
                    admin,
                    service_id=dining.id,
                    starts_at=_at(day, 11),
                    ends_at=_at(day, 13),
                    capacity=40,
                    price=5,
                )
            )
            sessions.append(
                await catalog.create_session(
                    session,
                    admin,
                    service_id=childcare.id,
                    starts_at=_at(day, 9),
                    ends_at=_at(day, 12),
                    capacity=6,
                    price=10,
                )
            )
        # a quarter's civilized-household award, so the demo residents have points to spend
        for n, resident in enumerate(residents):
            await admin_ledger.adjust(
                session,
                admin,
                person_id=resident.person_id,
                point_kind=PointKind.GRID,
                amount=120,
                reason="季度文明家庭奖励",
                idempotency_key=f"seed-exchange-award-{n}",
            )
        # plain values from here on: a refused checkout's savepoint expires the loaded rows
        goods_ids = [g.id for g in goods]
        venue_slots = [(v.id, v.slot_minutes) for v in venues]
        session_ids = [x.id for x in sessions]
        # two days ago: goods redeemed; some picked up at the counter
        for n, resident in enumerate(residents[:8]):
            first, second = goods_ids[n % len(goods_ids)], goods_ids[(n + 3) % len(goods_ids)]
            basket = Basket(PointKind.GRID, goods=[GoodsLine(first), GoodsLine(second)])
            redemption = await _try(session, resident, basket, f"seed-goods-{n}")
            if redemption is None:
                continue
            made += 1
            code = redemption.pickup_code
            if n % 2 == 0:
                await lifecycle.fulfil(session, admin, community_id=community, pickup_code=code)
        move(now)
        # now: venue bookings for the next days, and places on dining and childcare
        for n, resident in enumerate(residents[8:14]):
            venue_id, slot = venue_slots[n % len(venue_slots)]
            starts = _at(now + timedelta(days=1 + n // 3), 10 if slot == 60 else 9)
            booking = VenueLine(venue_id, starts, starts + timedelta(minutes=slot))
            booked = await _try(session, resident, Basket(PointKind.GRID, venue=booking), "v")
            made += 1 if booked else 0
        for n, resident in enumerate(residents[:6]):
            basket = Basket(PointKind.GRID, sessions=[SessionLine(session_ids[n % 4])])
            placed = await _try(session, resident, basket, f"seed-session-{n}")
            made += 1 if placed else 0
    return made
