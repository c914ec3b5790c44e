"""The demo seeds at any hour: `gridpoints serve --demo` failed each evening from 20:55 in
Shanghai, when a shift seeded "30 days ago, now" ended at 23:58 and was checked out after
midnight, on a day the order does not cover (OUTSIDE_SERVICE_DAY)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.seed import seed_demo
from services import clock
from services.orders.models import Claim


@pytest.mark.parametrize("local", ["00:10", "08:00", "20:58", "23:59"])
async def test_the_demo_seeds_at_any_hour(session: AsyncSession, local: str) -> None:
    hour, minute = map(int, local.split(":"))
    with clock.frozen(datetime(2026, 12, 3, hour, minute, tzinfo=clock.LOCAL)):
        summary = await seed_demo(session, "gridpoints2026")
    assert summary.created and summary.orders > 0
    served = await session.scalar(
        select(func.count()).select_from(Claim).where(Claim.checked_out_at.is_not(None))
    )
    assert served
