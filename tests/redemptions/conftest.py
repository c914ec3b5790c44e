"""Exchange fixtures: community C1 with a shop, a venue and a childcare session; points to spend.

Time is frozen on Wednesday 3 June 2026, 10:00 in Shanghai (02:00 UTC).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from services import clock
from services.auth.service import load_actor
from services.authz import Actor
from services.catalog import service as catalog
from services.catalog.service import GoodsDraft, Opening, VenueDraft
from services.ledger import service as ledger
from services.ledger.models import AccountType, Cause, PointKind
from tests.support import World

NOW = datetime(2026, 6, 3, 2, 0, tzinfo=UTC)
# Thursday 4 June 2026, 14:00 Shanghai
SLOT = datetime(2026, 6, 4, 6, 0, tzinfo=UTC)


@pytest.fixture
def move() -> Iterator[clock.Mover]:
    with clock.frozen(NOW) as mover:
        yield mover


@dataclass
class Shop:
    world: World
    community_id: uuid.UUID
    rice: uuid.UUID  # 20 points, stock 10
    soap: uuid.UUID  # 5 points, stock 100, at most 2 a month
    dance: uuid.UUID  # 08:00-21:00 every day, 60-minute slots, 15 min buffer, 10 points a slot
    childcare: uuid.UUID  # session Thursday 09:00-11:00, 3 places, 8 points

    def person(self, key: str) -> uuid.UUID:
        return self.world.people[key]


async def actor(session: AsyncSession, shop: Shop, key: str) -> Actor:
    found = await load_actor(session, shop.person(key))
    assert found is not None
    return found


async def give(
    session: AsyncSession, shop: Shop, key: str, amount: int, kind: PointKind = PointKind.GRID
) -> None:
    account = await ledger.person_account(
        session, community_id=shop.community_id, person_id=shop.person(key), kind=kind
    )
    issuance = await ledger.system_account(
        session, community_id=shop.community_id, type=AccountType.ISSUANCE, kind=kind
    )
    await ledger.transfer(
        session,
        community_id=shop.community_id,
        debit_account_id=issuance.id,
        credit_account_id=account.id,
        amount=amount,
        kind=kind,
        cause=Cause.ADJUSTMENT,
        cause_id=None,
        reason="测试发放",
        actor_id=shop.person("community_admin"),
    )


@pytest.fixture
async def shop(world: World, session: AsyncSession, move: clock.Mover) -> Shop:
    community = world.units["C1"]
    admin = await load_actor(session, world.people["community_admin"])
    assert admin is not None
    rice = await catalog.create_goods(
        session,
        admin,
        community_id=community,
        draft=GoodsDraft(name="大米 5kg", price=20, stock=10),
    )
    soap = await catalog.create_goods(
        session,
        admin,
        community_id=community,
        draft=GoodsDraft(
            name="洗衣粉",
            price=5,
            stock=100,
            limit_per_person=2,
            limit_period=catalog.LimitPeriod.MONTH,
        ),
    )
    dance = await catalog.create_venue(
        session,
        admin,
        community_id=community,
        draft=VenueDraft(
            name="舞蹈室",
            capacity=30,
            slot_minutes=60,
            max_booking_minutes=120,
            price_per_slot=10,
            buffer_minutes=15,
            min_notice_minutes=60,
            hours=[Opening(day, time(8), time(21)) for day in range(1, 8)],
        ),
    )
    service = await catalog.create_service(
        session, admin, community_id=community, name="婴幼儿托管"
    )
    sitting = await catalog.create_session(
        session,
        admin,
        service_id=service.id,
        starts_at=datetime(2026, 6, 4, 1, 0, tzinfo=UTC),
        ends_at=datetime(2026, 6, 4, 3, 0, tzinfo=UTC),
        capacity=3,
        price=8,
    )
    await session.commit()
    return Shop(world, community, rice.id, soap.id, dance.id, sitting.id)


@pytest.fixture
async def many_connections(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine: AsyncEngine = create_async_engine(database_url, pool_size=60, max_overflow=0)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


def later(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)
