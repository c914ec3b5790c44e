"""The demo exchange: a stocked supermarket, three venues with bookings, dining and childcare."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.seed import seed_demo
from services.catalog.models import Goods, ServiceSession, Venue
from services.ledger import verify
from services.redemptions.models import Redemption, VenueBooking


async def test_the_demo_exchange(session: AsyncSession) -> None:
    summary = await seed_demo(session, "gridpoints2026")  # the exchange is part of the demo
    await session.commit()
    assert summary.created
    assert not (await seed_demo(session, "gridpoints2026")).created  # once only
    assert await session.scalar(select(func.count()).select_from(Goods)) == 7
    assert await session.scalar(select(func.count()).select_from(Venue)) == 3
    assert await session.scalar(select(func.count()).select_from(ServiceSession)) == 14
    assert await session.scalar(select(func.count()).select_from(VenueBooking)) >= 3
    states = Counter((await session.scalars(select(Redemption.state))).all())
    assert states["fulfilled"] >= 2 and states["reserved"] >= 5
    assert await session.scalar(select(func.min(Goods.stock))) >= 0
    report = await verify.verify_database(session)
    assert report.ok, report
