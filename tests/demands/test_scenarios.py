"""Flow 4 as domain.md tells it: solved in the grid, escalated to departments with a breach,
returned as misrouted, reopened after "unsolved", closed unrated. The clock is frozen and moved."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import OPERATOR
from api.state import AppState
from schema.relay import decode_id
from services import clock
from services.demands import settle
from services.demands.models import Demand, DemandBreach, DemandLevel, DemandPhoto
from services.orgs import service as org_service
from services.orgs.models import UnitKind
from tests.demands.helpers import (
    ACCEPT,
    ASSIGN,
    CONFIRM,
    DEPT_ACCEPT,
    DEPT_REPLY,
    DEPT_REPORT_IN,
    ESCALATE,
    PNG,
    RETURN,
    SOLVE,
    T0,
    Demands,
    kinds,
)
from tests.support import World, gid


async def settle_due(state: AppState) -> int:
    async with state.sessions() as session, session.begin():
        return await settle.settle_due(session)


async def test_solved_in_the_grid_within_an_hour(demands: Demands, session: AsyncSession) -> None:
    with clock.frozen(T0) as move:
        status, photo = await demands.upload("resident_a", PNG)
        assert status == 201
        demand = await demands.report(photoIds=[photo["id"]])
        assert (demand["status"], demand["level"]) == ("WAITING", "GRID")
        assert demand["respondDueAt"] == (T0 + timedelta(minutes=10)).isoformat()
        assert demand["resolveDueAt"] == (T0 + timedelta(hours=1)).isoformat()
        assert demand["timeline"][0]["photos"][0]["id"] == photo["id"]

        move(T0 + timedelta(minutes=6))
        accepted = await demands.ok("worker_a", ACCEPT, demandId=demand["id"])
        assert (accepted["status"], accepted["ownerName"]) == ("IN_HAND", "测试worker_a")

        move(T0 + timedelta(minutes=45))
        _, after = await demands.upload("worker_a", PNG)
        solved = await demands.ok(
            "worker_a", SOLVE, demandId=demand["id"], note="已更换灯泡", photoIds=[after["id"]]
        )
        assert (solved["status"], solved["resolvedLevel"]) == ("RESOLVED", "GRID")

        move(T0 + timedelta(hours=2))
        closed = await demands.ok(
            "resident_a", CONFIRM, demandId=demand["id"], outcome="SOLVED", satisfaction=5
        )
    assert (closed["status"], closed["outcome"], closed["satisfaction"]) == ("CLOSED", "SOLVED", 5)
    assert closed["breaches"] == []
    assert kinds(closed) == ["REPORTED", "ACCEPTED", "SOLVED", "RATED", "CLOSED"]
    assert closed["timeline"][2]["photos"][0]["id"] == after["id"]
    # the resident sees the whole timeline
    mine = await demands.read("resident_a", demand["id"])
    assert mine is not None and kinds(mine) == kinds(closed)
    assert await session.scalar(select(func.count()).select_from(DemandPhoto)) == 2


async def test_escalated_to_street_and_two_departments_with_a_breach(
    demands: Demands, world: World, session: AsyncSession, state: AppState
) -> None:
    helper = await org_service.create_unit(
        session,
        OPERATOR,
        kind=UnitKind.DEPARTMENT,
        name="城管",
        code="T-DEP2",
        parent_id=world.units["S"],
    )
    await session.commit()
    with clock.frozen(T0) as move:
        demand = await demands.report()
        await demands.ok("worker_a", ACCEPT, demandId=demand["id"])
        move(T0 + timedelta(minutes=20))
        up = await demands.ok("worker_a", ESCALATE, demandId=demand["id"], note="需社区协调")
        assert (up["level"], up["status"]) == ("COMMUNITY", "WAITING")

        # nobody at the community accepts within 10 minutes: on read it is already the street's
        move(T0 + timedelta(minutes=35))
        seen = await demands.read("resident_a", demand["id"])
        assert seen is not None
        assert (seen["level"], seen["status"]) == ("STREET", "WAITING")
        assert [(b["level"], b["stage"], b["recordedAt"]) for b in seen["breaches"]] == [
            ("COMMUNITY", "RESPOND", None)
        ]
        late = await demands.act("community_admin", ACCEPT, demandId=demand["id"])
        assert late["errors"] == [{"code": "NOT_ASSIGNED", "field": None}]
        # the worker writes the breach and the escalation down, once
        assert await settle_due(state) == 1
        assert await settle_due(state) == 0
        recorded = await demands.read("street_admin", demand["id"])
        assert recorded is not None
        breach = recorded["breaches"][0]
        assert breach["dueAt"] == (T0 + timedelta(minutes=30)).isoformat()
        assert breach["recordedAt"] == (T0 + timedelta(minutes=35)).isoformat()
        assert (breach["lateByMinutes"], breach["unit"]["name"]) == (5, "单元C1")
        assert kinds(recorded)[-2:] == ["BREACHED", "AUTO_ESCALATED"]

        move(T0 + timedelta(minutes=40))
        await demands.ok("street_admin", ACCEPT, demandId=demand["id"])
        summoned = await demands.ok(
            "street_admin",
            ASSIGN,
            demandId=demand["id"],
            leadDepartmentId=gid("OrgUnit", world.units["DEP"]),
            assistingDepartmentIds=[gid("OrgUnit", helper.id)],
        )
        assert summoned["level"] == "DEPARTMENT"
        assert [a["role"] for a in summoned["assignments"]] == ["LEAD", "ASSIST"]

        # department staff of the assisting department
        from services.people import service as people_service
        from services.people.models import Role

        await people_service.assign_role(
            session,
            OPERATOR,
            person_id=world.people["member"],
            role=Role.DEPARTMENT_STAFF,
            unit_id=helper.id,
            seat_type=None,
        )
        await session.commit()
        move(T0 + timedelta(minutes=45))
        for who in ("department", "member"):
            await demands.ok(who, DEPT_ACCEPT, demandId=demand["id"])
            await demands.ok(who, DEPT_REPORT_IN, demandId=demand["id"], note="已到场")
        again = await demands.act("department", DEPT_ACCEPT, demandId=demand["id"])
        assert again["errors"] == [{"code": "ALREADY_ACCEPTED", "field": None}]
        move(T0 + timedelta(hours=5))
        await demands.ok("member", DEPT_REPLY, demandId=demand["id"], reply="已清理占道")
        assisted = await demands.read("resident_a", demand["id"])
        assert assisted is not None and assisted["status"] == "IN_HAND"
        done = await demands.ok("department", DEPT_REPLY, demandId=demand["id"], reply="已修复")
        assert (done["status"], done["resolvedLevel"]) == ("RESOLVED", "DEPARTMENT")
        closed = await demands.ok(
            "resident_a", CONFIRM, demandId=demand["id"], outcome="SOLVED", satisfaction=4
        )
    assert closed["status"] == "CLOSED"
    assert len(closed["breaches"]) == 1
    assert all(a["repliedAt"] for a in closed["assignments"])
    assert await session.scalar(select(func.count()).select_from(DemandBreach)) == 1


async def test_returned_as_misrouted(demands: Demands) -> None:
    with clock.frozen(T0) as move:
        demand = await demands.report()
        await demands.ok("worker_a", ACCEPT, demandId=demand["id"])
        await demands.ok("worker_a", ESCALATE, demandId=demand["id"])
        move(T0 + timedelta(minutes=3))
        no_reason = await demands.act("community_admin", RETURN, demandId=demand["id"], reason=" ")
        assert no_reason["errors"] == [{"code": "REASON_REQUIRED", "field": "reason"}]
        back = await demands.ok(
            "community_admin", RETURN, demandId=demand["id"], reason="属网格内事务，请网格处理"
        )
    assert (back["level"], back["status"], back["ownerName"]) == ("GRID", "IN_HAND", "测试worker_a")
    assert back["timeline"][-1]["kind"] == "RETURNED"
    assert back["timeline"][-1]["note"] == "属网格内事务，请网格处理"
    assert back["respondDueAt"] == (T0 + timedelta(minutes=13)).isoformat()


async def test_reopened_once_after_unsolved(demands: Demands) -> None:
    with clock.frozen(T0) as move:
        demand = await demands.report()
        await demands.ok("worker_a", ACCEPT, demandId=demand["id"])
        await demands.ok("worker_a", SOLVE, demandId=demand["id"])
        move(T0 + timedelta(minutes=30))
        reopened = await demands.ok(
            "resident_a",
            CONFIRM,
            demandId=demand["id"],
            outcome="UNSOLVED",
            satisfaction=3,
            comment="还是不亮",
        )
        assert (reopened["status"], reopened["level"], reopened["reopened"]) == (
            "IN_HAND",
            "GRID",
            True,
        )
        await demands.ok("worker_a", SOLVE, demandId=demand["id"])
        final = await demands.ok(
            "resident_a", CONFIRM, demandId=demand["id"], outcome="PARTLY", satisfaction=1
        )
        assert (final["status"], final["outcome"], final["satisfaction"]) == ("CLOSED", "PARTLY", 1)
        twice = await demands.act(
            "resident_a", CONFIRM, demandId=demand["id"], outcome="SOLVED", satisfaction=5
        )
    assert twice["errors"] == [{"code": "ALREADY_RATED", "field": None}]
    assert kinds(final) == [
        "REPORTED",
        "ACCEPTED",
        "SOLVED",
        "RATED",
        "REOPENED",
        "SOLVED",
        "RATED",
        "CLOSED",
    ]


async def test_closed_unrated_after_three_days(demands: Demands, state: AppState) -> None:
    with clock.frozen(T0) as move:
        demand = await demands.report()
        await demands.ok("worker_a", ACCEPT, demandId=demand["id"])
        await demands.ok("worker_a", SOLVE, demandId=demand["id"])
        move(T0 + timedelta(days=3) - timedelta(seconds=1))
        assert await settle_due(state) == 0
        still = await demands.read("resident_a", demand["id"])
        assert still is not None and still["status"] == "RESOLVED"
        move(T0 + timedelta(days=3, minutes=1))
        seen = await demands.read("resident_a", demand["id"])
        assert seen is not None
        assert (seen["status"], seen["outcome"]) == ("CLOSED", "NOT_RATED")
        assert seen["closedAt"] == (T0 + timedelta(days=3)).isoformat()
        assert await settle_due(state) == 1
        assert await settle_due(state) == 0
        late = await demands.act(
            "resident_a", CONFIRM, demandId=demand["id"], outcome="SOLVED", satisfaction=5
        )
    assert late["errors"] == [{"code": "ALREADY_RATED", "field": None}]
    after = await demands.read("resident_a", demand["id"])
    assert after is not None and kinds(after)[-1] == "CLOSED"


async def test_the_worker_moves_on_past_the_demands_it_has_settled(
    demands: Demands, state: AppState
) -> None:
    """Each tick takes a few demands whose time has come; a settled demand waits for its next
    clock (or for good), so the ticks reach the others."""
    with clock.frozen(T0) as move:
        old = [await demands.report() for _ in range(3)]
        move(T0 + timedelta(days=2))  # the three are at the street, both its clocks run out
        fresh = await demands.report()
        move(T0 + timedelta(days=2, minutes=15))  # its grid's 10 minutes are over
        async with state.sessions() as session, session.begin():
            changed = [await settle.settle_due(session, limit=2) for _ in range(3)]
        assert changed == [2, 2, 0]
        async with state.sessions() as session:
            found = await session.execute(select(Demand.id, Demand.level, Demand.settle_at))
            rows = {row.id: (row.level, row.settle_at) for row in found}
    assert rows[local(fresh)] == (
        DemandLevel.COMMUNITY,
        T0 + timedelta(days=2, minutes=20),  # the community's 10 minutes to respond
    )
    assert [rows[local(d)] for d in old] == [(DemandLevel.STREET, None)] * 3


def local(demand: dict[str, Any]) -> uuid.UUID:
    return decode_id(demand["id"], "Demand", field="id")
