"""Evaluation on a fixed, hand-built data set: department rates, the 70/20/10 split, two-way
scores and the volunteer service record. Rows are inserted directly (the scenarios in
tests/demands show the services producing them); the clock is frozen in July 2026."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.demands.models import (
    AssignmentRole,
    Demand,
    DemandAssignment,
    DemandCategory,
    DemandLevel,
    DemandState,
    DemandType,
    Outcome,
    Urgency,
)
from services.ledger.models import PointKind
from services.orders.models import (
    Attendance,
    Claim,
    ClaimState,
    OrderScope,
    OrderState,
    VolunteerOrder,
)
from tests.support import Api, World, gid

NOW = datetime(2026, 7, 10, 2, 0, tzinfo=UTC)
SH = clock.LOCAL

DEPARTMENT = """query($d: ID!, $m: String!) { departmentEvaluation(departmentId: $d, month: $m) {
  month department { name } assigned respondedInTime resolved rated satisfied responseRate
  resolutionRate satisfactionRate meanAcceptMinutes meanReportInMinutes meanReplyMinutes } }"""
SPLIT = """query($c: ID!, $m: String!) { resolutionSplit(communityId: $c, month: $m) {
  month closed grid communityLevel street gridShare communityShare streetShare
  gridTarget communityTarget streetTarget meetsTarget } }"""
SCORE = """mutation($i: EvaluationScoreInput!) { evaluationScore(input: $i) {
  score { month scorer { name } scored { name } style performance management comment }
  errors { code field } } }"""
RECEIVED = """query($u: ID!, $m: String!) { scoresReceived(unitId: $u, month: $m) {
  count meanStyle meanPerformance meanManagement scores { scorer { name } style } } }"""
RECORD = """query($p: ID) { volunteerRecord(personId: $p) {
  totalHours stars nextStarHours entries { day service hours } } }"""


def local(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH).astimezone(UTC)


class Rows:
    def __init__(self, session: AsyncSession, world: World) -> None:
        self.session = session
        self.world = world
        self.categories: dict[str, uuid.UUID] = {}

    async def category(self, community: str) -> uuid.UUID:
        if community not in self.categories:
            row = DemandCategory(
                id=uuid.uuid4(), community_id=self.world.units[community], name="公共设施"
            )
            self.session.add(row)
            await self.session.flush()
            self.categories[community] = row.id
        return self.categories[community]

    async def demand(
        self,
        *,
        community: str = "C1",
        grid: str = "A",
        level: DemandLevel,
        state: DemandState,
        resolved_level: DemandLevel | None = None,
        resolved_at: datetime | None = None,
        closed_at: datetime | None = None,
        outcome: Outcome | None = None,
        satisfaction: int | None = None,
        started: datetime | None = None,
    ) -> Demand:
        resident = self.world.people["resident_a"]
        row = Demand(
            id=uuid.uuid4(),
            community_id=self.world.units[community],
            grid_id=self.world.units[grid],
            resident_id=resident,
            reported_by=resident,
            type=DemandType.REPORT,
            category_id=await self.category(community),
            description="路灯坏了",
            urgency=Urgency.NORMAL,
            respond_minutes=10,
            resolve_minutes=60,
            recovery_minutes=24 * 60,
            level=level,
            state=state,
            stage_started_at=started or resolved_at or closed_at or local(6, 1),
            stage_accepted_at=started or resolved_at or closed_at or local(6, 1),
            resolved_at=resolved_at,
            resolved_level=resolved_level,
            closed_at=closed_at,
            outcome=outcome,
            satisfaction=satisfaction,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def assignment(
        self,
        demand: Demand,
        assigned_at: datetime,
        *,
        accept: int | None = None,
        report_in: int | None = None,
        reply: int | None = None,
        returned: bool = False,
    ) -> None:
        """Minutes: ``accept`` after assignment, ``report_in`` after acceptance, ``reply`` after
        reporting in (or acceptance)."""
        accepted = None if accept is None else assigned_at + timedelta(minutes=accept)
        reported = None
        if accepted is not None and report_in is not None:
            reported = accepted + timedelta(minutes=report_in)
        replied = None
        if accepted is not None and reply is not None:
            replied = (reported or accepted) + timedelta(minutes=reply)
        self.session.add(
            DemandAssignment(
                community_id=demand.community_id,
                demand_id=demand.id,
                department_id=self.world.units["DEP"],
                role=AssignmentRole.LEAD,
                assigned_at=assigned_at,
                accepted_at=accepted,
                reported_in_at=reported,
                replied_at=replied,
                reply=None if replied is None else "已修复",
                returned_at=assigned_at + timedelta(minutes=5) if returned else None,
            )
        )
        await self.session.flush()


async def build_june(session: AsyncSession, world: World) -> None:
    """The data set (all times Asia/Shanghai; every demand: respond 10 min).

    Department DEP, assignments:

    ====  ===============  ======  ==========  ======  ==============================  =====
    id    assigned         accept  report in   reply   demand now                      sat.
    ====  ===============  ======  ==========  ======  ==============================  =====
    d1    06-08 10:00      +5      +20         +60     closed solved 06-09             5
    d2    06-09 10:00      +30     --          +90     closed partly 06-10             3
    d3    06-10 10:00      +10     +40         --      active at the departments       --
    d4    06-11 10:00      --      --          --      active at the departments       --
    d5    06-12 10:00      +8      +10         +50     resolved 06-12 11:08, unrated   --
    d6    06-13 10:00      returned as misrouted (left out)
    d7    05-31 23:30      +5      May: left out of June
    d8    06-30 23:50      +2      --          +58     closed solved 07-01 02:00       4
    ====  ===============  ======  ==========  ======  ==============================  =====

    June for DEP: assigned d1 d2 d3 d4 d5 d8 = 6.
    Response: accepted within 10 minutes d1 (5), d3 (10, on the deadline), d5 (8), d8 (2) = 4;
    d2 was late (30), d4 never accepted: 4/6 = 0.6667.
    Resolution: d1 closed solved, d5 resolved and (3 days on, 06-15) closed not rated, d8
    closed solved = 3; d2 closed partly, d3 and d4 open: 3/6 = 0.5.
    Satisfaction: rated d1 (5), d2 (3), d8 (4); 4 or more d1, d8: 2/3 = 0.6667.
    Mean accept: (5 + 30 + 10 + 8 + 2) / 5 = 11.0. Mean report in: (20 + 40 + 10) / 3 = 23.3.
    Mean reply: (60 + 90 + 50 + 58) / 4 = 64.5.

    Community C1, demands closed in June, by the level that resolved them:

    - grid: g1..g4 closed solved 06-05..06-08; g5 closed 06-30 23:30 (still June in Shanghai,
      15:30 UTC); g6 resolved 05-29 10:00, unrated, so closed "not rated" 06-01 10:00 = 6;
    - community: c1 (partly), c2 (unsolved) = 2;
    - street and departments: s1 by the street, d1, d2 and d5 (closed not rated 06-15) = 4.

    Left out: g7 closed 05-31 23:00 (May), g8 resolved 06-29 and closing not rated on 07-02
    (July), d8 closed in July, r1 returned to the resident in June, x1 of community C2.

    Closed 12: grid 6/12 = 0.5, community 2/12 = 0.1667, street 4/12 = 0.3333; the target
    (>= 70% grid, <= 10% above) is missed.
    """
    rows = Rows(session, world)
    dep, closed, resolved = DemandLevel.DEPARTMENT, DemandState.CLOSED, DemandState.RESOLVED

    d1 = await rows.demand(
        level=dep, state=closed, resolved_level=dep, resolved_at=local(6, 8, 11, 25),
        closed_at=local(6, 9), outcome=Outcome.SOLVED, satisfaction=5,
    )  # fmt: skip
    await rows.assignment(d1, local(6, 8), accept=5, report_in=20, reply=60)
    d2 = await rows.demand(
        level=dep, state=closed, resolved_level=dep, resolved_at=local(6, 9, 12),
        closed_at=local(6, 10), outcome=Outcome.PARTLY, satisfaction=3,
    )  # fmt: skip
    await rows.assignment(d2, local(6, 9), accept=30, reply=90)
    d3 = await rows.demand(level=dep, state=DemandState.ACTIVE, started=local(6, 10))
    await rows.assignment(d3, local(6, 10), accept=10, report_in=40)
    d4 = await rows.demand(level=dep, state=DemandState.ACTIVE, started=local(6, 11))
    await rows.assignment(d4, local(6, 11))
    d5 = await rows.demand(
        level=dep, state=resolved, resolved_level=dep, resolved_at=local(6, 12, 11, 8)
    )
    await rows.assignment(d5, local(6, 12), accept=8, report_in=10, reply=50)
    d6 = await rows.demand(level=DemandLevel.STREET, state=DemandState.ACTIVE)
    await rows.assignment(d6, local(6, 13), returned=True)
    d7 = await rows.demand(level=dep, state=DemandState.ACTIVE, started=local(5, 31, 23, 30))
    await rows.assignment(d7, local(5, 31, 23, 30), accept=5)
    d8 = await rows.demand(
        level=dep, state=closed, resolved_level=dep, resolved_at=local(7, 1, 0, 50),
        closed_at=local(7, 1, 2), outcome=Outcome.SOLVED, satisfaction=4,
    )  # fmt: skip
    await rows.assignment(d8, local(6, 30, 23, 50), accept=2, reply=58)

    grid, community = DemandLevel.GRID, DemandLevel.COMMUNITY
    for day in (5, 6, 7, 8):  # g1..g4
        await rows.demand(
            level=grid, state=closed, resolved_level=grid, resolved_at=local(6, day),
            closed_at=local(6, day, 12), outcome=Outcome.SOLVED, satisfaction=5,
        )  # fmt: skip
    await rows.demand(  # g5
        level=grid, state=closed, resolved_level=grid, resolved_at=local(6, 30, 20),
        closed_at=local(6, 30, 23, 30), outcome=Outcome.SOLVED, satisfaction=4,
    )  # fmt: skip
    await rows.demand(level=grid, state=resolved, resolved_level=grid, resolved_at=local(5, 29))
    await rows.demand(  # g7
        level=grid, state=closed, resolved_level=grid, resolved_at=local(5, 31, 20),
        closed_at=local(5, 31, 23), outcome=Outcome.SOLVED, satisfaction=5,
    )  # fmt: skip
    await rows.demand(level=grid, state=resolved, resolved_level=grid, resolved_at=local(6, 29))
    for outcome in (Outcome.PARTLY, Outcome.UNSOLVED):  # c1, c2 (reopened once already)
        await rows.demand(
            level=community, state=closed, resolved_level=community, resolved_at=local(6, 15),
            closed_at=local(6, 16), outcome=outcome, satisfaction=2,
        )  # fmt: skip
    await rows.demand(  # s1
        level=DemandLevel.STREET, state=closed, resolved_level=DemandLevel.STREET,
        resolved_at=local(6, 20), closed_at=local(6, 21), outcome=Outcome.SOLVED, satisfaction=4,
    )  # fmt: skip
    await rows.demand(  # r1
        level=grid, state=closed, closed_at=local(6, 3), outcome=Outcome.RETURNED
    )
    await rows.demand(  # x1
        community="C2", grid="D", level=grid, state=closed, resolved_level=grid,
        resolved_at=local(6, 3), closed_at=local(6, 4), outcome=Outcome.SOLVED, satisfaction=5,
    )  # fmt: skip
    await session.commit()


async def test_department_rates_and_70_20_10_split_match_hand_counts(
    api: Api, session: AsyncSession, world: World
) -> None:
    await build_june(session, world)
    with clock.frozen(NOW):
        street = await api.login(world.people["street_admin"])
        department = await api.login(world.people["department"])
        community = await api.login(world.people["community_admin"])
        dep = {"d": gid("OrgUnit", world.units["DEP"]), "m": "2026-06"}
        expected = {
            "month": "2026-06",
            "department": {"name": "单元DEP"},
            "assigned": 6,
            "respondedInTime": 4,
            "resolved": 3,
            "rated": 3,
            "satisfied": 2,
            "responseRate": 0.6667,
            "resolutionRate": 0.5,
            "satisfactionRate": 0.6667,
            "meanAcceptMinutes": 11.0,
            "meanReportInMinutes": 23.3,
            "meanReplyMinutes": 64.5,
        }
        for token in (street, department):
            reply = await api(DEPARTMENT, dep, token=token)
            assert reply.data["departmentEvaluation"] == expected
        # a community admin does not read a department's evaluation
        refused = await api(DEPARTMENT, dep, token=community)
        assert refused.error_codes == ["FORBIDDEN"]
        # May: only d7 (accepted in 5 minutes, still open)
        may = await api(DEPARTMENT, {**dep, "m": "2026-05"}, token=street)
        assert {
            k: may.data["departmentEvaluation"][k]
            for k in ("assigned", "responseRate", "resolutionRate", "satisfactionRate")
        } == {"assigned": 1, "responseRate": 1.0, "resolutionRate": 0.0, "satisfactionRate": None}

        c1 = {"c": gid("OrgUnit", world.units["C1"]), "m": "2026-06"}
        split = {
            "month": "2026-06",
            "closed": 12,
            "grid": 6,
            "communityLevel": 2,
            "street": 4,
            "gridShare": 0.5,
            "communityShare": 0.1667,
            "streetShare": 0.3333,
            "gridTarget": 0.7,
            "communityTarget": 0.2,
            "streetTarget": 0.1,
            "meetsTarget": False,
        }
        for token in (street, community):
            assert (await api(SPLIT, c1, token=token)).data["resolutionSplit"] == split
        assert (await api(SPLIT, c1, token=department)).error_codes == ["FORBIDDEN"]
        worker = await api.login(world.people["worker_a"])
        assert (await api(SPLIT, c1, token=worker)).error_codes == ["FORBIDDEN"]
        empty = await api(SPLIT, {**c1, "m": "2026-04"}, token=street)
        assert empty.data["resolutionSplit"]["closed"] == 0
        assert empty.data["resolutionSplit"]["gridShare"] is None
        assert empty.data["resolutionSplit"]["meetsTarget"] is None
        bad = await api(SPLIT, {**c1, "m": "2026-13"}, token=street)
        assert bad.error_codes == ["INVALID_VALUE"]


async def _score(api: Api, token: str, **values: Any) -> dict[str, Any]:
    reply = await api(SCORE, {"i": values}, token=token)
    payload = reply.data["evaluationScore"]
    assert isinstance(payload, dict)
    return payload


async def test_two_way_scores_once_per_month_by_who_may(api: Api, world: World) -> None:
    with clock.frozen(NOW):
        c1, c2, dep = (gid("OrgUnit", world.units[k]) for k in ("C1", "C2", "DEP"))
        admin1 = await api.login(world.people["community_admin"])
        admin2 = await api.login(world.people["community_admin2"])
        department = await api.login(world.people["department"])
        worker = await api.login(world.people["worker_a"])
        base = {"month": "2026-06", "style": 5, "performance": 4, "management": 3}

        given = await _score(
            api, admin1, scorerUnitId=c1, scoredUnitId=dep, comment="响应快", **base
        )
        assert given["errors"] == []
        assert given["score"] == {
            "month": "2026-06",
            "scorer": {"name": "单元C1"},
            "scored": {"name": "单元DEP"},
            "style": 5,
            "performance": 4,
            "management": 3,
            "comment": "响应快",
        }
        again = await _score(api, admin1, scorerUnitId=c1, scoredUnitId=dep, **base)
        assert again["errors"] == [{"code": "ALREADY_SCORED", "field": "month"}]
        # another month is another score
        may = await _score(
            api, admin1, scorerUnitId=c1, scoredUnitId=dep, **base | {"month": "2026-05"}
        )
        assert may["errors"] == []
        other = await _score(api, admin2, scorerUnitId=c2, scoredUnitId=dep, **base | {"style": 3})
        assert other["errors"] == []
        # the department scores the communities' party organizations
        for community in (c1, c2):
            back = await _score(api, department, scorerUnitId=dep, scoredUnitId=community, **base)
            assert back["errors"] == []

        refused = [
            # a community admin speaks only for their own community
            ((admin1, c2, dep), {}, "FORBIDDEN", "scorerUnitId"),
            ((worker, c1, dep), {}, "FORBIDDEN", "scorerUnitId"),
            # department staff do not score on a community's behalf, nor communities each other
            ((department, c1, dep), {}, "FORBIDDEN", "scorerUnitId"),
            ((admin1, c1, c2), {}, "WRONG_UNIT_KIND", "scoredUnitId"),
            ((admin1, c1, dep), {"style": 6}, "INVALID_VALUE", "style"),
            ((admin1, c1, dep), {"management": 0}, "INVALID_VALUE", "management"),
            ((admin1, c1, dep), {"month": "2026-08"}, "INVALID_VALUE", "month"),
        ]
        for (token, scorer, scored), change, code, field in refused:
            payload = await _score(
                api, token, scorerUnitId=scorer, scoredUnitId=scored, **base | change
            )
            assert payload["errors"] == [{"code": code, "field": field}], (code, field)

        mine = (await api(RECEIVED, {"u": dep, "m": "2026-06"}, token=department)).data
        assert mine["scoresReceived"]["count"] == 2
        assert mine["scoresReceived"]["meanStyle"] == 4.0  # (5 + 3) / 2
        assert mine["scoresReceived"]["meanPerformance"] == 4.0
        # a scorer sees only what their community gave
        theirs = (await api(RECEIVED, {"u": dep, "m": "2026-06"}, token=admin2)).data
        assert theirs["scoresReceived"]["count"] == 1
        assert theirs["scoresReceived"]["scores"] == [{"scorer": {"name": "单元C2"}, "style": 3}]
        community = (await api(RECEIVED, {"u": c1, "m": "2026-06"}, token=admin1)).data
        assert community["scoresReceived"]["count"] == 1
        assert (await api(RECEIVED, {"u": dep, "m": "2026-06"}, token=worker)).error_codes == [
            "FORBIDDEN"
        ]


async def test_volunteer_record_totals_and_stars(
    api: Api, session: AsyncSession, world: World
) -> None:
    """Confirmed claims: 6000 minutes on 2026-05-10 and 90 on 2026-06-01 (the second starts at
    23:30 UTC on 31 May, which is 1 June in Shanghai): 100 + 1.5 = 101.5 hours, one star (100),
    the next at 300. A no-show and an unconfirmed claim count for nothing."""
    resident = world.people["resident_a"]
    for title, start, minutes, attendance in (
        ("河道清洁", datetime(2026, 5, 10, 1, 0, tzinfo=UTC), 6000, Attendance.CONFIRMED),
        ("敬老助餐", datetime(2026, 5, 31, 23, 30, tzinfo=UTC), 90, Attendance.CONFIRMED),
        ("文明劝导", datetime(2026, 6, 5, 1, 0, tzinfo=UTC), None, Attendance.NO_SHOW),
        ("垃圾分类", datetime(2026, 6, 6, 1, 0, tzinfo=UTC), 120, Attendance.PENDING),
    ):
        order = VolunteerOrder(
            id=uuid.uuid4(),
            community_id=world.units["C1"],
            scope=OrderScope.COMMUNITY,
            title=title,
            content="志愿服务",
            category="环境",
            location="社区",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            claim_deadline=start,
            places=5,
            points=10,
            point_kind=PointKind.WORK,
            state=OrderState.COMPLETED,
            publisher_id=world.people["community_admin"],
        )
        session.add(order)
        await session.flush()
        session.add(
            Claim(
                community_id=world.units["C1"],
                order_id=order.id,
                person_id=resident,
                household_id=world.households["hA1"],
                state=ClaimState.CLAIMED,
                attendance=attendance,
                minutes=minutes,
            )
        )
    await session.commit()

    expected = {
        "totalHours": 101.5,
        "stars": 1,
        "nextStarHours": 300,
        "entries": [
            {"day": "2026-05-10", "service": "河道清洁", "hours": 100.0},
            {"day": "2026-06-01", "service": "敬老助餐", "hours": 1.5},
        ],
    }
    own = await api.login(resident)
    assert (await api(RECORD, {}, token=own)).data["volunteerRecord"] == expected
    person = {"p": gid("Person", resident)}
    for staff in ("worker_a", "community_admin"):
        token = await api.login(world.people[staff])
        assert (await api(RECORD, person, token=token)).data["volunteerRecord"] == expected
    for outsider in ("worker_d", "resident_a2"):
        token = await api.login(world.people[outsider])
        assert (await api(RECORD, person, token=token)).error_codes == ["NOT_FOUND"]
    # someone with no service has an empty record
    other = await api.login(world.people["resident_b"])
    empty = (await api(RECORD, {}, token=other)).data["volunteerRecord"]
    assert empty == {"totalHours": 0.0, "stars": 0, "nextStarHours": 100, "entries": []}


@pytest.mark.parametrize(
    ("hours", "stars"),
    [(0, 0), (99.9, 0), (100, 1), (299.9, 1), (300, 2), (600, 3), (1000, 4), (1500, 5), (9999, 5)],
)
def test_star_levels(hours: float, stars: int) -> None:
    from services.reports.volunteering import stars as star_level

    assert star_level(hours) == stars


VISIT = """mutation($i: HomeVisitLogInput!) { homeVisitLog(input: $i) {
  visit { visitedOn notes issues visitorName } errors { code field } } }"""
VISITS = """query($h: ID!) { householdVisits(householdId: $h) { visitedOn notes issues } }"""
NOT_VISITED = (
    """query($g: ID!, $m: String) { householdsNotVisited(gridId: $g, month: $m) { address } }"""
)


async def test_home_visits_and_households_not_visited_this_month(api: Api, world: World) -> None:
    """Grid A holds hA1 and hA2. In July (the clock: 10 July) worker A visits hA1 on 2 July, and
    hA2 on 30 June: in July only hA2 is unvisited, in June only hA1."""
    with clock.frozen(NOW):
        worker = await api.login(world.people["worker_a"])
        other = await api.login(world.people["worker_d"])
        ha1, ha2 = (
            gid("Household", world.households["hA1"]),
            gid("Household", world.households["hA2"]),
        )
        grid = {"g": gid("OrgUnit", world.units["A"])}
        before = (await api(NOT_VISITED, grid, token=worker)).data["householdsNotVisited"]
        assert [h["address"] for h in before] == ["hA1号楼101室", "hA2号楼101室"]

        logged = (
            await api(
                VISIT,
                {"i": {"householdId": ha1, "visitedOn": "2026-07-02", "notes": "独居老人，身体好",
                       "issues": "楼道灯坏"}},
                token=worker,
            )
        ).data["homeVisitLog"]  # fmt: skip
        assert logged == {
            "visit": {
                "visitedOn": "2026-07-02",
                "notes": "独居老人，身体好",
                "issues": "楼道灯坏",
                "visitorName": "测试worker_a",
            },
            "errors": [],
        }
        june = {"i": {"householdId": ha2, "visitedOn": "2026-06-30", "notes": "家中无事"}}
        assert (await api(VISIT, june, token=worker)).data["homeVisitLog"]["errors"] == []
        for token, values, code, field in (
            (other, {"householdId": ha1, "visitedOn": "2026-07-02", "notes": "x"}, "FORBIDDEN",
             "householdId"),
            (worker, {"householdId": ha1, "visitedOn": "2026-07-11", "notes": "x"},
             "INVALID_VALUE", "visitedOn"),
            (worker, {"householdId": ha1, "visitedOn": "2026-07-02", "notes": " "}, "REQUIRED",
             "notes"),
        ):  # fmt: skip
            refused = (await api(VISIT, {"i": values}, token=token)).data["homeVisitLog"]
            assert refused["errors"] == [{"code": code, "field": field}]

        july = (await api(NOT_VISITED, grid, token=worker)).data["householdsNotVisited"]
        assert [h["address"] for h in july] == ["hA2号楼101室"]
        in_june = await api(NOT_VISITED, {**grid, "m": "2026-06"}, token=worker)
        assert [h["address"] for h in in_june.data["householdsNotVisited"]] == ["hA1号楼101室"]
        assert (await api(NOT_VISITED, grid, token=other)).error_codes == ["FORBIDDEN"]

        file = (await api(VISITS, {"h": ha1}, token=worker)).data["householdVisits"]
        assert file == [
            {"visitedOn": "2026-07-02", "notes": "独居老人，身体好", "issues": "楼道灯坏"}
        ]
        # the household's own members see its file; a neighbour does not
        member = await api.login(world.people["resident_a"])
        assert len((await api(VISITS, {"h": ha1}, token=member)).data["householdVisits"]) == 1
        neighbour = await api.login(world.people["resident_a2"])
        assert (await api(VISITS, {"h": ha1}, token=neighbour)).error_codes == ["NOT_FOUND"]
