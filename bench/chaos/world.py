"""The chaos run's own data, on top of the demo street, built through the services.

In 稻香社区 (DX-C1), for residents the demo history does not use:

* every one of them gets an award of points (an admin adjustment), so they can redeem;
* two orders whose service started five minutes ago, every place claimed (with the clock moved
  back): their claimants check in and out during the run, the admin confirms, meetings grant;
* three open orders with few places: the claim / withdraw / waitlist storm;
* four goods with small stocks (one with a monthly limit), three service sessions with few places
  and a venue: the exchange;
* a few goods redemptions whose pickup deadline has already passed, still holding stock: the
  first checkouts that run out release them (the expiry path), racing the worker;
* a service session starting every few seconds through the run, with no grace time after the
  start: baskets with such a place expire while the run goes on, still holding their goods, so
  checkouts keep releasing overdue redemptions (and the worker keeps expiring them).

The result is a JSON-able description of this world with GraphQL global IDs.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from api import seed
from api.embedded import normalize_database_url
from api.seed_flows import _actor
from services import clock
from services.catalog import service as catalog
from services.catalog.models import ExchangeSettings, LimitPeriod
from services.catalog.service import GoodsDraft, Opening, VenueDraft
from services.catalog.windows import DEFAULT_PICKUP_DAYS
from services.ledger import admin as admin_ledger
from services.ledger.models import PointKind
from services.orders import claims
from services.orders import service as orders
from services.orgs.models import OrgUnit
from services.people.models import Person
from services.redemptions.basket import Basket, GoodsLine, checkout

COMMUNITY = "DX-C1"
DEMO_RESIDENTS = 30  # residents 1-30 carry the demo history
AWARD = 150
SOON_FIRST, SOON_EVERY = 25, 6  # seconds: the first soon session, then one every SOON_EVERY
GOODS: tuple[tuple[str, int, int, int | None], ...] = (  # name, price, stock, monthly limit
    ("混沌 洗衣液", 10, 14, None),
    ("混沌 卫生纸", 5, 24, None),
    ("混沌 大米", 20, 6, 2),
    ("混沌 毛巾", 3, 40, None),
)


def gid(type_name: str, local: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{local}".encode()).decode().rstrip("=")


@dataclass
class Resident:
    phone: str
    person_id: str
    attendance_claim: str | None = None


@dataclass
class World:
    community_id: str
    community_uuid: str
    admin_phone: str
    admin_id: str
    member_phones: list[str]
    member_ids: list[str]
    residents: list[Resident]
    attendance_orders: list[str]
    claim_orders: list[str]
    goods: list[str]
    sessions: list[str]
    venue: str
    venue_days: list[str]  # local dates (ISO) bookable during the run
    soon_sessions: list[tuple[str, float]] = field(default_factory=list)  # (id, starts: epoch)
    overdue_redemptions: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> World:
        data = dict(data)
        data["residents"] = [Resident(**r) for r in data["residents"]]
        return cls(**data)


def _draft(title: str, starts: datetime, places: int, points: int, deadline: datetime) -> Any:
    return orders.OrderDraft(
        title=title,
        content=f"{title}（混沌测试）",
        category="混沌",
        location="稻香社区党群服务中心",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        claim_deadline=deadline,
        places=places,
        points=points,
        point_kind=PointKind.GRID,
    )


async def _build(session: AsyncSession, residents_wanted: int, duration: float) -> World:
    now = clock.now()
    community = await session.scalar(select(OrgUnit).where(OrgUnit.code == COMMUNITY))
    assert community is not None
    admin = await _actor(session, seed.community_admin_phone(1))
    members = [seed.meeting_member_phone(1, s) for s in range(1, 5)]
    member_actors = [await _actor(session, phone) for phone in members]
    phones = list(
        await session.scalars(
            select(Person.phone)
            .where(Person.community_id == community.id, Person.phone.like("139%"))
            .order_by(Person.phone)
            .offset(DEMO_RESIDENTS)
            .limit(residents_wanted)
        )
    )
    people = [await _actor(session, phone) for phone in phones if phone]
    residents = [
        Resident(phone=str(p), person_id=gid("Person", a.person_id))
        for p, a in zip(phones, people, strict=True)
    ]
    local_now = now.astimezone(clock.LOCAL)
    with clock.frozen(now - timedelta(days=DEFAULT_PICKUP_DAYS + 2)) as move:
        for n, actor in enumerate(people):
            await admin_ledger.adjust(
                session,
                admin,
                person_id=actor.person_id,
                point_kind=PointKind.GRID,
                amount=AWARD,
                reason="混沌测试奖励",
                idempotency_key=f"chaos-award-{n}",
            )
        goods = [
            await catalog.create_goods(
                session,
                admin,
                community_id=community.id,
                draft=GoodsDraft(
                    name=name,
                    price=price,
                    stock=stock,
                    limit_per_person=limit,
                    limit_period=LimitPeriod.MONTH if limit else None,
                ),
            )
            for name, price, stock, limit in GOODS
        ]
        goods_ids = [g.id for g in goods]
        overdue = 0
        for actor in people[:6]:  # picked up never: overdue by the time the run starts
            basket = Basket(PointKind.GRID, goods=[GoodsLine(goods_ids[0], 2)])
            await checkout(session, actor, basket=basket, idempotency_key="chaos-overdue")
            overdue += 1
        move(now - timedelta(hours=3))
        half = len(people) // 2
        attendance = []
        for n, group in enumerate((people[:half], people[half:])):
            order = await orders.create_order(
                session,
                admin,
                unit_id=community.id,
                draft=_draft(
                    f"混沌 值守{n + 1}",
                    now - timedelta(minutes=5),
                    len(group),
                    10,
                    now - timedelta(hours=1),
                ),
            )
            await orders.publish_order(session, admin, order_id=order.id)
            attendance.append(order.id)
            for actor, resident in zip(group, residents[n * half :], strict=False):
                claim = await claims.claim_order(session, actor, order_id=order.id)
                resident.attendance_claim = gid("Claim", claim.id)
        open_orders = []
        for n in range(3):
            starts = now + timedelta(days=3 + n)
            order = await orders.create_order(
                session,
                admin,
                unit_id=community.id,
                draft=_draft(f"混沌 招募{n + 1}", starts, 4, 5, starts - timedelta(days=1)),
            )
            await orders.publish_order(session, admin, order_id=order.id)
            open_orders.append(order.id)
        service = await catalog.create_service(
            session, admin, community_id=community.id, name="混沌 午餐", description="混沌测试"
        )
        sessions = []
        for n in range(3):
            day = (local_now + timedelta(days=1 + n)).replace(hour=11, minute=0, second=0)
            sitting = await catalog.create_session(
                session,
                admin,
                service_id=service.id,
                starts_at=day,
                ends_at=day + timedelta(hours=2),
                capacity=5,
                price=4,
            )
            sessions.append(sitting.id)
        soon = []  # one starting every few seconds: picked-up never, they expire during the run
        for n in range(int(duration // SOON_EVERY) + 3):
            starts = now + timedelta(seconds=SOON_FIRST + n * SOON_EVERY)
            sitting = await catalog.create_session(
                session,
                admin,
                service_id=service.id,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                capacity=3,
                price=2,
            )
            soon.append((gid("ServiceSession", sitting.id), starts.timestamp()))
        # no grace after a session's start: its redemptions expire while the run goes on
        await session.merge(ExchangeSettings(community_id=community.id, grace_minutes=0))
        venue = await catalog.create_venue(
            session,
            admin,
            community_id=community.id,
            draft=VenueDraft(
                name="混沌 活动室",
                capacity=20,
                slot_minutes=60,
                max_booking_minutes=120,
                price_per_slot=6,
                hours=[Opening(day, time(8), time(20)) for day in range(1, 8)],
                buffer_minutes=0,
            ),
        )
    days = [(local_now + timedelta(days=d)).date().isoformat() for d in (1, 2)]
    return World(
        community_id=gid("OrgUnit", community.id),
        community_uuid=str(community.id),
        admin_phone=seed.community_admin_phone(1),
        admin_id=gid("Person", admin.person_id),
        member_phones=members,
        member_ids=[gid("Person", a.person_id) for a in member_actors],
        residents=residents,
        attendance_orders=[gid("VolunteerOrder", o) for o in attendance],
        claim_orders=[gid("VolunteerOrder", o) for o in open_orders],
        goods=[gid("Goods", g) for g in goods_ids],
        sessions=[gid("ServiceSession", s) for s in sessions],
        venue=gid("Venue", venue.id),
        venue_days=days,
        soon_sessions=soon,
        overdue_redemptions=overdue,
    )


async def build(database_url: str, residents: int, duration: float) -> World:
    engine = create_async_engine(normalize_database_url(database_url))
    try:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        async with sessions() as session, session.begin():
            return await _build(session, residents, duration)
    finally:
        await engine.dispose()
