"""Demo grid work in 稻香社区第1网格: demands in several states, a wish wall, home visits and
inspection rounds, built through the services with the clock moved (run after the exchange).

Residents 1-30 live in grid 1; its grid worker is ``grid_worker_phone(1)``. The demands: one
solved and rated five days ago; one escalated to the street three days ago, in hand by two
departments and past its recovery time (so the demo shows a breach); one accepted half an hour
ago; one reported a few minutes ago (waiting: its clock runs in the demo). Three wishes: one with
supporters, one adopted as a demand (solved, waiting for the resident's word), one declined.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import seed
from api.seed_flows import _actor
from services import clock
from services.demands import closure as demand_closure
from services.demands import departments, handling, inspections, visits, wishes
from services.demands import service as demand_service
from services.demands.models import DemandType, Outcome, Urgency
from services.orgs.models import Household, OrgUnit

GRID = "DX-C1-G01"


async def seed_grid_work(session: AsyncSession, now: datetime) -> int:
    """Returns how many demands it reported."""
    worker = await _actor(session, seed.grid_worker_phone(1))
    admin = await _actor(session, seed.community_admin_phone(1))
    street = await _actor(session, seed.STREET_ADMIN_PHONE)
    residents = [await _actor(session, seed.resident_phone(n)) for n in range(1, 13)]
    grid = await session.scalar(select(OrgUnit).where(OrgUnit.code == GRID))
    assert grid is not None
    assert grid.community_id is not None
    categories = {c.name: c.id for c in await demand_service.categories(session, grid.community_id)}
    lead, helper = [
        unit_id
        for unit_id in await session.scalars(
            select(OrgUnit.id).where(OrgUnit.code.in_(["DX-D1", "DX-D2"])).order_by(OrgUnit.code)
        )
    ]

    with clock.frozen(now - timedelta(days=5)) as move:
        solved = await demand_service.report(
            session, residents[0], type=DemandType.REPORT, category_id=categories["公共设施"],
            description="3号楼门口路灯不亮，晚上出入不便。", address="3号楼门口",
        )  # fmt: skip
        move(now - timedelta(days=5) + timedelta(minutes=6))
        await handling.accept(session, worker, demand_id=solved.id)
        move(now - timedelta(days=5) + timedelta(minutes=40))
        await handling.solve(session, worker, demand_id=solved.id, note="已联系物业更换灯泡。")
        move(now - timedelta(days=4))
        await demand_closure.confirm(
            session, residents[0], demand_id=solved.id, outcome=Outcome.SOLVED, satisfaction=5,
            comment="处理很快，谢谢网格员！",
        )  # fmt: skip

    with clock.frozen(now - timedelta(days=3)) as move:
        dispute = await demand_service.report(
            session, residents[1], type=DemandType.COMPLAINT, category_id=categories["环境卫生"],
            description="小区北门外占道经营，垃圾堆放，影响通行。", address="北门外",
            urgency=Urgency.URGENT,
        )  # fmt: skip
        await handling.accept(session, worker, demand_id=dispute.id)
        move(now - timedelta(days=3) + timedelta(minutes=20))
        await handling.escalate(session, worker, demand_id=dispute.id, reason="涉及城管执法。")
        await handling.accept(session, admin, demand_id=dispute.id)
        await handling.escalate(session, admin, demand_id=dispute.id, reason="需街道协调部门。")
        move(now - timedelta(days=3) + timedelta(minutes=30))
        await handling.accept(session, street, demand_id=dispute.id)
        await departments.assign(
            session, street, demand_id=dispute.id, lead_id=lead, assisting_ids=[helper],
            note="城管牵头，物业配合。",
        )  # fmt: skip
        move(now - timedelta(days=3) + timedelta(minutes=35))
        for staff_phone in (seed.department_staff_phone(1), seed.department_staff_phone(2)):
            staff = await _actor(session, staff_phone)
            await departments.department_accept(session, staff, demand_id=dispute.id)
            await departments.report_in(session, staff, demand_id=dispute.id, note="已到场。")

    with clock.frozen(now - timedelta(minutes=30)):
        in_hand = await demand_service.report(
            session, residents[2], type=DemandType.HELP, category_id=categories["邻里纠纷"],
            description="楼上装修噪音太大，中午也不停。", address="5号楼",
        )  # fmt: skip
        await handling.accept(session, worker, demand_id=in_hand.id)
    with clock.frozen(now - timedelta(minutes=4)):
        await demand_service.report(
            session, residents[3], type=DemandType.CONSULT, category_id=categories["物业管理"],
            description="想咨询一下电梯加装的补贴政策。",
        )  # fmt: skip

    with clock.frozen(now - timedelta(days=2)):
        handrail = await wishes.post(
            session, residents[4], title="楼道装扶手", content="7号楼老人多，希望楼梯加装扶手。"
        )
        reading = await wishes.post(
            session, residents[5], title="周末亲子阅读", content="希望社区周末组织亲子阅读活动。"
        )
        bench = await wishes.post(
            session, residents[6], title="小花园添长椅", content="小花园没有座位，老人累了没处歇。"
        )
        for supporter in residents[7:12]:
            await wishes.support(session, supporter, wish_id=handrail.id)
        for supporter in residents[7:9]:
            await wishes.support(session, supporter, wish_id=reading.id)
        _, adopted = await wishes.adopt_as_demand(
            session, worker, wish_id=bench.id, category_id=categories["公共设施"]
        )
        await handling.accept(session, worker, demand_id=adopted.id)
        await handling.solve(session, worker, demand_id=adopted.id, note="已申请添置两张长椅。")
    with clock.frozen(now - timedelta(days=1)):
        await wishes.decline(
            session, worker, wish_id=reading.id, reason="本月已安排读书会，请关注招募令。"
        )

    homes = list(
        await session.scalars(
            select(Household.id).where(Household.grid_id == grid.id).order_by(Household.address)
        )
    )
    today = clock.local_date(now)
    with clock.frozen(now):
        for n, household in enumerate(homes[:12]):
            await visits.log(
                session, worker, household_id=household,
                visited_on=max(today.replace(day=1), today - timedelta(days=n % 5)),
                notes="入户走访，了解家庭近况。",
                issues="独居老人，需每周电话问候" if n % 4 == 0 else None,
            )  # fmt: skip
        for days in (1, 3):
            start = now - timedelta(days=days, hours=2)
            await inspections.log(
                session, worker, grid_id=grid.id, started_at=start,
                ended_at=start + timedelta(minutes=50), route="北门—1号楼—小花园—南门",
                findings=["北门外占道经营", "2号楼消防通道堆物"] if days == 3 else [],
            )  # fmt: skip
    await session.flush()
    return 5
