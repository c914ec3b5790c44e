"""The demo's grid work in 稻香社区第1网格, as the grid worker sees it through GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.seed import grid_worker_phone, seed_demo
from services import clock
from tests.support import Api

NOW = datetime(2026, 6, 17, 2, 0, tzinfo=UTC)  # mid-month, so every seeded visit is this month
GRID = """{ orgUnits(kind: GRID, first: 1) { nodes { id code } } }"""
VIEW = """query($g: ID!) {
  demandQueue(unitId: $g) { nodes { status level description } }
  closed: demandQueue(unitId: $g, includeClosed: true) { nodes { status outcome satisfaction } }
  wishWall(gridId: $g) { nodes { title state supporters demand { status } reason } }
  householdsNotVisited(gridId: $g) { address }
  inspectionRounds(gridId: $g) { findings } }"""


async def test_the_demo_grid_has_demands_wishes_visits_and_rounds(
    api: Api, session: AsyncSession
) -> None:
    with clock.frozen(NOW):
        await seed_demo(session, "gridpoints2026")
        await session.commit()
        token = await api.sign_in(grid_worker_phone(1), "gridpoints2026")
        grid = (await api(GRID, token=token)).data["orgUnits"]["nodes"][0]
        assert grid["code"] == "DX-C1-G01"
        view = (await api(VIEW, {"g": grid["id"]}, token=token)).data
    open_now = sorted((d["status"], d["level"]) for d in view["demandQueue"]["nodes"])
    assert open_now == [
        ("IN_HAND", "DEPARTMENT"),  # escalated three days ago, past its recovery time
        ("IN_HAND", "GRID"),
        ("RESOLVED", "GRID"),  # the wish adopted as a demand, waiting for the resident
        ("WAITING", "GRID"),
    ]
    closed = [d for d in view["closed"]["nodes"] if d["status"] == "CLOSED"]
    assert closed == [{"status": "CLOSED", "outcome": "SOLVED", "satisfaction": 5}]
    wall = {w["title"]: w for w in view["wishWall"]["nodes"]}
    assert (wall["楼道装扶手"]["state"], wall["楼道装扶手"]["supporters"]) == ("OPEN", 5)
    assert wall["小花园添长椅"]["state"] == "ADOPTED"
    assert wall["小花园添长椅"]["demand"] == {"status": "RESOLVED"}
    assert wall["周末亲子阅读"]["state"] == "DECLINED" and wall["周末亲子阅读"]["reason"]
    assert len(view["householdsNotVisited"]) == 30 - 12
    assert sorted(len(r["findings"]) for r in view["inspectionRounds"]) == [0, 2]
