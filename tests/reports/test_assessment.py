"""The monthly assessment of a grid and a community (GraphQL, CSV, PDF with charts) and the
volunteer certificate, on a small June data set whose figures are counted by hand below."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import OPERATOR
from services import clock
from services.ledger import admin as admin_ledger
from services.ledger.models import PointKind
from tests.demands.helpers import ACCEPT, CONFIRM, SOLVE, T0, Demands
from tests.orders.helpers import CLAIM, ENDS, PUBLISHED, STARTS, published_order
from tests.support import Api, World, gid

ATTENDANCE = """mutation($i: AttendanceConfirmInput!) {
  attendanceConfirm(input: $i) { claim { attendance minutes } errors { code field } } }"""
VISIT = "mutation($i: HomeVisitLogInput!) { homeVisitLog(input: $i) { errors { code } } }"
ROUND = (
    "mutation($i: InspectionRoundLogInput!) { inspectionRoundLog(input: $i) { errors { code } } }"
)
FIGURES = """unit { code } demandsReported demandsClosed demandsResolved respondedInTime rated
  satisfied breaches households householdsVisited visits inspectionRounds volunteerHours
  pointsEarned pointsSpent responseRate resolutionRate satisfactionRate visitCoverage"""
ASSESSMENT = (
    "query($u: ID!, $m: String!) { monthlyAssessment(unitId: $u, month: $m) {"
    " month csvUrl pdfUrl total { " + FIGURES + " } grids { " + FIGURES + " } } }"
)
ISSUE = """mutation($i: VolunteerCertificateIssueInput!) { volunteerCertificateIssue(input: $i) {
  certificate { id number hours services stars issuedOn pdfUrl personName community { name } }
  errors { code field } } }"""


@pytest.fixture
def demands(api: Api, world: World) -> Demands:
    return Demands(api, world)


async def june(api: Api, demands: Demands, world: World, session: AsyncSession) -> None:
    """Grid A: two demands (one solved in 30 minutes and rated 5; one left to escalate through
    grid, community and street), one visit, one round, 3 volunteer hours of resident_a, points
    +30 -5 (resident_a). Grid B: +10 points (resident_b). All in June 2026 (Shanghai)."""
    admin = await demands.token("community_admin")
    with clock.frozen(PUBLISHED) as move:
        order = await published_order(api, admin, world)
        claimed = await demands.act("resident_a", CLAIM, orderId=order)
        claim_id = claimed["claim"]["id"]
        move(ENDS + timedelta(hours=1))
        confirmed = await demands.act(
            "community_admin",
            ATTENDANCE,
            claimId=claim_id,
            checkedInAt=STARTS.isoformat(),
            checkedOutAt=ENDS.isoformat(),
            reason="忘记签退，按实际补录",
        )
        assert confirmed["claim"] == {"attendance": "CONFIRMED", "minutes": 180}
    with clock.frozen(T0) as move:
        solved = await demands.report()
        second = await demands.report("resident_a2")
        move(T0 + timedelta(minutes=5))
        await demands.ok("worker_a", ACCEPT, demandId=solved["id"])
        move(T0 + timedelta(minutes=30))
        await demands.ok("worker_a", SOLVE, demandId=solved["id"], note="已修好")
        await demands.ok(
            "resident_a", CONFIRM, demandId=solved["id"], outcome="SOLVED", satisfaction=5
        )
        visit = await demands.act(
            "worker_a",
            VISIT,
            householdId=gid("Household", world.households["hA1"]),
            visitedOn="2026-06-08",
            notes="走访",
        )
        assert visit["errors"] == []
        rounds = await demands.act(
            "worker_a",
            ROUND,
            gridId=gid("OrgUnit", world.units["A"]),
            startedAt=T0.isoformat(),
            endedAt=(T0 + timedelta(minutes=20)).isoformat(),
            route="全网格",
        )
        assert rounds["errors"] == []
        for key, person, amount in (
            ("a+", "resident_a", 30),
            ("a-", "resident_a", -5),
            ("b+", "resident_b", 10),
        ):
            await admin_ledger.adjust(
                session,
                OPERATOR,
                person_id=world.people[person],
                point_kind=PointKind.GRID,
                amount=amount,
                reason="测试奖励",
                idempotency_key=f"assessment-{key}",
            )
        await session.commit()
        assert second["status"] == "WAITING"


async def test_monthly_assessment_of_a_community_and_its_grids(
    api: Api, demands: Demands, world: World, session: AsyncSession
) -> None:
    await june(api, demands, world, session)
    admin = await demands.token("community_admin")
    with clock.frozen(T0 + timedelta(hours=1)):
        reply = await api(
            ASSESSMENT, {"u": gid("OrgUnit", world.units["C1"]), "m": "2026-06"}, token=admin
        )
    report = reply.data["monthlyAssessment"]
    grid_a, grid_b = report["grids"]
    assert (grid_a["unit"]["code"], grid_b["unit"]["code"]) == ("T-A", "T-B")
    assert {k: v for k, v in grid_a.items() if k != "unit"} == {
        "demandsReported": 2,
        "demandsClosed": 1,
        "demandsResolved": 1,
        "respondedInTime": 1,
        "rated": 1,
        "satisfied": 1,
        # the second demand, read an hour on: respond missed at the grid (+10), the community
        # (+20) and the street (+30, where it stays)
        "breaches": 3,
        "households": 2,
        "householdsVisited": 1,
        "visits": 1,
        "inspectionRounds": 1,
        "volunteerHours": 3.0,
        "pointsEarned": 30,
        "pointsSpent": 5,
        "responseRate": 0.5,
        "resolutionRate": 0.5,
        "satisfactionRate": 1.0,
        "visitCoverage": 0.5,
    }
    assert (grid_b["pointsEarned"], grid_b["demandsReported"], grid_b["responseRate"]) == (
        10,
        0,
        None,
    )
    total = report["total"]
    assert total["unit"]["code"] == "T-C1"
    assert (total["pointsEarned"], total["households"], total["breaches"]) == (40, 3, 3)
    assert report["csvUrl"] == "/reports/assessment/T-C1/2026-06.csv"

    # the grid worker may not read the assessment; another community's admin neither
    for outsider in ("worker_a", "community_admin2"):
        denied = await api(
            ASSESSMENT,
            {"u": gid("OrgUnit", world.units["A"]), "m": "2026-06"},
            token=await demands.token(outsider),
        )
        assert denied.error_codes == ["FORBIDDEN"], outsider

    auth = {"Authorization": f"Bearer {admin}"}
    with clock.frozen(T0 + timedelta(hours=1)):
        got = await api.client.get(report["csvUrl"], headers=auth)
        assert got.status_code == 200
        assert got.headers["content-type"].startswith("text/csv")
        assert got.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
        assert rows[0][:4] == ["单位编码", "单位", "上报诉求", "已办结"]
        assert [r[0] for r in rows[1:]] == ["T-A", "T-B", "T-C1"]
        assert rows[1][2:4] == ["2", "1"] and rows[1][9] == "50.0%"
        english = await api.client.get(report["csvUrl"] + "?lang=en", headers=auth)
        assert english.text.lstrip("\ufeff").startswith("Unit code,Unit,Demands reported")

        pdf = await api.client.get(report["pdfUrl"], headers=auth)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "单元C1 2026-06 月度考核报告" in text
    assert "各网格诉求" in text and "单元A" in text and "50.0%" in text
    # the charts are vector drawings: the bar chart's legend and axis labels are on the page
    assert "响应率" in text and "发放积分" in text

    unauthenticated = await api.client.get(report["pdfUrl"])
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["errors"][0]["code"] == "UNAUTHENTICATED"
    other = await api.client.get(
        report["csvUrl"], headers={"Authorization": f"Bearer {await demands.token('worker_a')}"}
    )
    assert other.status_code == 403
    bad = await api.client.get("/reports/assessment/T-C1/2026-13.csv", headers=auth)
    assert bad.status_code == 400


async def test_volunteer_certificate_numbered_printed_and_scoped(
    api: Api, demands: Demands, world: World, session: AsyncSession
) -> None:
    await june(api, demands, world, session)
    nothing = await demands.act("resident_b", ISSUE)
    assert nothing["errors"] == [{"code": "NO_SERVICE_HOURS", "field": "personId"}]
    with clock.frozen(datetime(2026, 6, 20, 2, 0, tzinfo=UTC)):
        mine = await demands.act("resident_a", ISSUE)
        by_staff = await demands.act(
            "community_admin", ISSUE, personId=gid("Person", world.people["resident_a"])
        )
    refused = await demands.act(
        "resident_a2", ISSUE, personId=gid("Person", world.people["resident_a"])
    )
    assert refused["errors"] == [{"code": "NOT_FOUND", "field": "personId"}]
    first, second = mine["certificate"], by_staff["certificate"]
    assert (first["number"], second["number"]) == ("T-C1-2026-00001", "T-C1-2026-00002")
    assert (first["hours"], first["services"], first["stars"]) == (3.0, 1, 0)
    assert (first["issuedOn"], first["community"]["name"]) == ("2026-06-20", "单元C1")

    own = await api.client.get(
        first["pdfUrl"], headers={"Authorization": f"Bearer {await demands.token('resident_a')}"}
    )
    assert own.status_code == 200
    text = PdfReader(io.BytesIO(own.content)).pages[0].extract_text()
    for expected in ("志愿服务证明", "T-C1-2026-00001", "测试resident_a", "3 小时", "单元C1"):
        assert expected in text, expected
    neighbour = await api.client.get(
        first["pdfUrl"], headers={"Authorization": f"Bearer {await demands.token('resident_a2')}"}
    )
    assert neighbour.status_code == 404
