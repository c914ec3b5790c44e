"""Inspection rounds, the household file, service-level settings over GraphQL, and the response
clock of each department summoned together."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import OPERATOR
from api.state import AppState
from services import clock
from services.demands import settle
from services.demands.models import DemandBreach
from services.orgs import service as org_service
from services.orgs.models import UnitKind
from services.people import service as people_service
from services.people.models import Role
from tests.demands.helpers import ACCEPT, ASSIGN, DEPT_ACCEPT, ESCALATE, T0, Demands
from tests.support import World, gid

ROUND = (
    "mutation($i: InspectionRoundLogInput!) { inspectionRoundLog(input: $i) {"
    " round { id route findings inspectorName startedAt } errors { code field } } }"
)
ROUNDS = "query($g: ID!, $m: String) { inspectionRounds(gridId: $g, month: $m) { route findings } }"
FILE = """query($h: ID!) { householdFile(householdId: $h) {
  household { address } members { name } lastVisitedOn
  visits { visitedOn notes issues visitorName } demands { id status } } }"""
VISIT = (
    "mutation($i: HomeVisitLogInput!) { homeVisitLog(input: $i) { visit { id } errors { code } } }"
)
LEVELS = """query($c: ID!) { demandCategories(communityId: $c) {
  id name serviceLevels { urgency respondMinutes resolveMinutes recoveryMinutes isDefault } } }"""
SET_LEVEL = """mutation($i: DemandServiceLevelSetInput!) { demandServiceLevelSet(input: $i) {
  serviceLevel { urgency respondMinutes resolveMinutes recoveryMinutes isDefault }
  errors { code field } } }"""


async def test_inspection_rounds_are_logged_checked_and_listed(
    demands: Demands, world: World
) -> None:
    grid = gid("OrgUnit", world.units["A"])
    with clock.frozen(T0 + timedelta(hours=3)):
        good = {
            "gridId": grid,
            "startedAt": (T0 + timedelta(hours=1)).isoformat(),
            "endedAt": (T0 + timedelta(hours=2)).isoformat(),
            "route": "1号楼-3号楼-北门",
            "findings": ["北门路灯不亮", "3号楼楼道堆物"],
        }
        logged = await demands.act("worker_a", ROUND, **good)
        assert logged["errors"] == []
        assert logged["round"]["findings"] == ["北门路灯不亮", "3号楼楼道堆物"]
        assert logged["round"]["inspectorName"] == "测试worker_a"
        future = {**good, "endedAt": (T0 + timedelta(hours=4)).isoformat()}
        assert (await demands.act("worker_a", ROUND, **future))["errors"] == [
            {"code": "INVALID_VALUE", "field": "endedAt"}
        ]
        backwards = {**good, "startedAt": (T0 + timedelta(hours=2, minutes=1)).isoformat()}
        assert (await demands.act("worker_a", ROUND, **backwards))["errors"] == [
            {"code": "INVALID_TIME_WINDOW", "field": "endedAt"}
        ]
        elsewhere = await demands.act("worker_b", ROUND, **good)
        assert elsewhere["errors"] == [{"code": "FORBIDDEN", "field": "gridId"}]
        listed = await demands.api(
            ROUNDS, {"g": grid, "m": "2026-06"}, token=await demands.token("community_admin")
        )
        assert listed.data["inspectionRounds"] == [
            {"route": "1号楼-3号楼-北门", "findings": ["北门路灯不亮", "3号楼楼道堆物"]}
        ]
        other_month = await demands.api(
            ROUNDS, {"g": grid, "m": "2026-05"}, token=await demands.token("worker_a")
        )
        assert other_month.data["inspectionRounds"] == []
        resident = await demands.api(ROUNDS, {"g": grid}, token=await demands.token("resident_a"))
        assert resident.error_codes == ["FORBIDDEN"]


async def test_a_household_file_shows_members_visits_and_demands(
    demands: Demands, world: World
) -> None:
    household = gid("Household", world.households["hA1"])
    with clock.frozen(T0):
        demand = await demands.report()
        logged = await demands.act(
            "worker_a",
            VISIT,
            householdId=household,
            visitedOn="2026-06-08",
            notes="老人独居，身体尚可",
            issues="想装扶手",
        )
        assert logged["errors"] == []
        staff = await demands.api(FILE, {"h": household}, token=await demands.token("worker_a"))
        opened = staff.data["householdFile"]
        assert opened["household"]["address"] == "hA1号楼101室"
        assert [m["name"] for m in opened["members"]] == ["测试resident_a"]
        assert opened["lastVisitedOn"] == "2026-06-08"
        assert opened["visits"] == [
            {
                "visitedOn": "2026-06-08",
                "notes": "老人独居，身体尚可",
                "issues": "想装扶手",
                "visitorName": "测试worker_a",
            }
        ]
        assert opened["demands"] == [{"id": demand["id"], "status": "WAITING"}]
        own = await demands.api(FILE, {"h": household}, token=await demands.token("resident_a"))
        assert own.data["householdFile"]["demands"] == [{"id": demand["id"], "status": "WAITING"}]
        for outsider in ("resident_a2", "worker_b", "department"):
            refused = await demands.api(FILE, {"h": household}, token=await demands.token(outsider))
            assert refused.error_codes == ["NOT_FOUND"], outsider


async def test_service_levels_are_set_over_graphql_and_apply_to_new_demands(
    demands: Demands, world: World
) -> None:
    community = gid("OrgUnit", world.units["C1"])
    admin = await demands.token("community_admin")
    listed = (await demands.api(LEVELS, {"c": community}, token=admin)).data["demandCategories"]
    facilities = next(c for c in listed if c["name"] == "公共设施")
    assert facilities["serviceLevels"] == [
        {
            "urgency": urgency,
            "respondMinutes": 10,
            "resolveMinutes": 60,
            "recoveryMinutes": 1440,
            "isDefault": True,
        }
        for urgency in ("NORMAL", "URGENT")
    ]
    urgent = {
        "categoryId": facilities["id"],
        "urgency": "URGENT",
        "respondMinutes": 5,
        "resolveMinutes": 30,
        "recoveryMinutes": 240,
    }
    resident = await demands.act("resident_a", SET_LEVEL, **urgent)
    assert resident["errors"] == [{"code": "FORBIDDEN", "field": None}]
    other = await demands.act("community_admin2", SET_LEVEL, **urgent)
    assert other["errors"] == [{"code": "FORBIDDEN", "field": None}]
    zero = await demands.act("community_admin", SET_LEVEL, **{**urgent, "respondMinutes": 0})
    assert zero["errors"] == [{"code": "INVALID_VALUE", "field": "respondMinutes"}]
    saved = await demands.act("community_admin", SET_LEVEL, **urgent)
    assert saved["errors"] == []
    assert saved["serviceLevel"]["isDefault"] is False
    relisted = (await demands.api(LEVELS, {"c": community}, token=admin)).data["demandCategories"]
    levels = next(c for c in relisted if c["name"] == "公共设施")["serviceLevels"]
    assert [(lv["urgency"], lv["respondMinutes"], lv["isDefault"]) for lv in levels] == [
        ("NORMAL", 10, True),
        ("URGENT", 5, False),
    ]
    with clock.frozen(T0):
        demand = await demands.report(urgency="URGENT")
    assert demand["respondDueAt"] == (T0 + timedelta(minutes=5)).isoformat()
    assert demand["resolveDueAt"] == (T0 + timedelta(minutes=30)).isoformat()


async def test_each_summoned_department_has_its_own_response_clock(
    demands: Demands, world: World, session: AsyncSession, state: AppState
) -> None:
    helper = await org_service.create_unit(
        session, OPERATOR, kind=UnitKind.DEPARTMENT, name="城管", code="T-DEP2",
        parent_id=world.units["S"],
    )  # fmt: skip
    await people_service.assign_role(
        session, OPERATOR, person_id=world.people["member"], role=Role.DEPARTMENT_STAFF,
        unit_id=helper.id, seat_type=None,
    )  # fmt: skip
    await session.commit()
    with clock.frozen(T0) as move:
        demand = await demands.report()
        await demands.ok("worker_a", ACCEPT, demandId=demand["id"])
        await demands.ok("worker_a", ESCALATE, demandId=demand["id"])
        await demands.ok("community_admin", ACCEPT, demandId=demand["id"])
        await demands.ok("community_admin", ESCALATE, demandId=demand["id"])
        await demands.ok("street_admin", ACCEPT, demandId=demand["id"])
        await demands.ok(
            "street_admin",
            ASSIGN,
            demandId=demand["id"],
            leadDepartmentId=gid("OrgUnit", world.units["DEP"]),
            assistingDepartmentIds=[gid("OrgUnit", helper.id)],
        )
        move(T0 + timedelta(minutes=5))
        await demands.ok("department", DEPT_ACCEPT, demandId=demand["id"])
        # the assisting department lets its 10 minutes run out
        move(T0 + timedelta(minutes=25))
        seen = await demands.read("street_admin", demand["id"])
        assert seen is not None
        assert [
            (b["level"], b["stage"], b["unit"] and b["unit"]["name"], b["recordedAt"])
            for b in seen["breaches"]
        ] == [("DEPARTMENT", "RESPOND", "城管", None)]
        async with state.sessions() as writer, writer.begin():
            assert await settle.settle_due(writer) == 1
        await demands.ok("member", DEPT_ACCEPT, demandId=demand["id"])
        settled = await demands.read("street_admin", demand["id"])
    assert settled is not None
    [breach] = settled["breaches"]
    assert (breach["unit"]["name"], breach["lateByMinutes"]) == ("城管", 15)
    assert breach["dueAt"] == (T0 + timedelta(minutes=10)).isoformat()
    rows = list(await session.scalars(select(DemandBreach)))
    assert [(r.unit_id, r.stage.value) for r in rows] == [(helper.id, "respond")]
    timeline = [(e["kind"], e["unit"] and e["unit"]["name"]) for e in settled["timeline"]]
    assert ("BREACHED", "城管") in timeline
    evaluation = (
        'query($d: ID!) { departmentEvaluation(departmentId: $d, month: "2026-06") {'
        " assigned respondedInTime responseBreaches } }"
    )
    token = await demands.token("street_admin")
    for unit, expected in ((helper.id, (1, 0, 1)), (world.units["DEP"], (1, 1, 0))):
        reply = await demands.api(evaluation, {"d": gid("OrgUnit", unit)}, token=token)
        found = reply.data["departmentEvaluation"]
        assert (found["assigned"], found["respondedInTime"], found["responseBreaches"]) == expected
