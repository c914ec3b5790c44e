"""Every Date, DateTime, month and year argument of every query, mutation and download, at the
calendar's ends and outside the product's window (issue 13, item 6).

At the ends (year 1, year 9999, month 0001-01 or 9999-12) each was an internal error in at least
one place ("the next day" or a time zone shift overflowed); now the Date and DateTime scalars, the
month parser and the year checks refuse them, typed. Inside the calendar but outside the window
(before 2000, more than five years ahead, or after now for what already happened) each mutation
refuses them with ``DATE_OUT_OF_RANGE`` on the field, and changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services import clock
from tests.support import Api, World, gid


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # date, datetime, month or year
    who: str  # the world's person who asks
    query: str
    variables: Any  # (world, value) -> variables
    payload: str | None = None  # the mutation's payload field
    field: str | None = None  # the field a window refusal names
    past: bool = False  # a record of what already happened: not after now


def unit(world: World, key: str) -> str:
    return gid("OrgUnit", world.units[key])


def anything(type_name: str) -> str:
    return gid(type_name, uuid.uuid4())


ORDER = """mutation($i: OrderCreateInput!) { orderCreate(input: $i) {
  order { id } errors { code field } } }"""
WISH_ORDER = """mutation($i: WishAdoptAsOrderInput!) { wishAdoptAsOrder(input: $i) {
  order { id } errors { code field } } }"""
ATTENDANCE = """mutation($i: AttendanceConfirmInput!) { attendanceConfirm(input: $i) {
  errors { code field } } }"""
MEETING = """mutation($i: MeetingConveneInput!) { meetingConvene(input: $i) {
  meeting { id } errors { code field } } }"""
ADJUST = """mutation($i: LedgerAdjustInput!) { ledgerAdjust(input: $i) {
  errors { code field } } }"""
MONTH_CLOSE = """mutation($i: LedgerMonthCloseInput!) { ledgerMonthClose(input: $i) {
  errors { code field } } }"""
YEAR_CLOSE = """mutation($i: AnnualSelectionCloseInput!) { annualSelectionClose(input: $i) {
  errors { code field } } }"""
SCORE = """mutation($i: EvaluationScoreInput!) { evaluationScore(input: $i) {
  errors { code field } } }"""
VISIT = """mutation($i: HomeVisitLogInput!) { homeVisitLog(input: $i) {
  errors { code field } } }"""
ROUND = """mutation($i: InspectionRoundLogInput!) { inspectionRoundLog(input: $i) {
  errors { code field } } }"""
VENUE = """mutation($i: VenueCreateInput!) { venueCreate(input: $i) {
  errors { code field } } }"""
SITTING = """mutation($i: ServiceSessionCreateInput!) { serviceSessionCreate(input: $i) {
  errors { code field } } }"""
WINDOWS = """mutation($i: ExchangeSettingsInput!) { exchangeSettingsSet(input: $i) {
  errors { code field } } }"""
CHECKOUT = """mutation($i: RedemptionCheckoutInput!) { redemptionCheckout(input: $i) {
  errors { code field } } }"""

LATER = "2100-01-01T00:00:00Z"  # replaced by a moment inside the window in the window tests


def order(world: World, starts: str, ends: str, deadline: str) -> dict[str, Any]:
    return {
        "i": {
            "unitId": unit(world, "C1"),
            "title": "扫雪",
            "content": "清扫楼道积雪",
            "category": "环境",
            "location": "1号楼",
            "startsAt": starts,
            "endsAt": ends,
            "claimDeadline": deadline,
            "places": 2,
            "points": 5,
            "pointKind": "GRID",
        }
    }


def without_unit(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if key != "unitId"}


def venue(world: World, blackout: str) -> dict[str, Any]:
    hours = [{"weekday": 1, "opens": "08:00:00", "closes": "20:00:00"}]
    return {
        "i": {
            "communityId": unit(world, "C1"),
            "venue": {
                "name": "活动室",
                "capacity": 10,
                "slotMinutes": 60,
                "maxBookingMinutes": 120,
                "pricePerSlot": 5,
                "openingHours": hours,
                "blackoutDates": [blackout],
            },
        }
    }


def checkout(starts: str, ends: str) -> dict[str, Any]:
    line = {"venueId": anything("Venue"), "startsAt": starts, "endsAt": ends}
    return {"i": {"pointKind": "GRID", "venue": line, "idempotencyKey": str(uuid.uuid4())}}


def sitting(starts: str, ends: str) -> dict[str, Any]:
    service = anything("Service")
    return {
        "i": {"serviceId": service, "startsAt": starts, "endsAt": ends, "capacity": 3, "price": 1}
    }


def round_(world: World, starts: str, ends: str) -> dict[str, Any]:
    return {
        "i": {"gridId": unit(world, "A"), "startedAt": starts, "endedAt": ends, "route": "东门"}
    }


MUTATIONS = [
    Case(
        "orderCreate.startsAt",
        "datetime",
        "community_admin",
        ORDER,
        lambda w, v: order(w, v, LATER, LATER),
        "orderCreate",
        "startsAt",
    ),
    Case(
        "orderCreate.endsAt",
        "datetime",
        "community_admin",
        ORDER,
        lambda w, v: order(w, LATER, v, LATER),
        "orderCreate",
        "endsAt",
    ),
    Case(
        "orderCreate.claimDeadline",
        "datetime",
        "community_admin",
        ORDER,
        lambda w, v: order(w, LATER, LATER, v),
        "orderCreate",
        "claimDeadline",
    ),
    Case(
        "wishAdoptAsOrder.startsAt",
        "datetime",
        "community_admin",
        WISH_ORDER,
        lambda w, v: {
            "i": {**without_unit(order(w, v, LATER, LATER)["i"]), "wishId": anything("Wish")}
        },
        "wishAdoptAsOrder",
        "startsAt",
    ),
    Case(
        "attendanceConfirm.checkedInAt",
        "datetime",
        "community_admin",
        ATTENDANCE,
        lambda w, v: {"i": {"claimId": anything("Claim"), "checkedInAt": v, "reason": "补录"}},
        "attendanceConfirm",
        "checkedInAt",
        past=True,
    ),
    Case(
        "attendanceConfirm.checkedOutAt",
        "datetime",
        "community_admin",
        ATTENDANCE,
        lambda w, v: {"i": {"claimId": anything("Claim"), "checkedOutAt": v, "reason": "补录"}},
        "attendanceConfirm",
        "checkedOutAt",
        past=True,
    ),
    Case(
        "meetingConvene.scheduledAt",
        "datetime",
        "community_admin",
        MEETING,
        lambda w, v: {
            "i": {
                "communityId": unit(w, "C1"),
                "title": "联席会议",
                "scheduledAt": v,
                "quorum": 1,
                "memberIds": [gid("Person", w.people["member"])],
            }
        },
        "meetingConvene",
        "scheduledAt",
    ),
    Case(
        "ledgerAdjust.bookedOn",
        "date",
        "community_admin",
        ADJUST,
        lambda w, v: {
            "i": {
                "personId": gid("Person", w.people["resident_a"]),
                "pointKind": "GRID",
                "amount": 5,
                "reason": "补发",
                "idempotencyKey": str(uuid.uuid4()),
                "bookedOn": v,
            }
        },
        "ledgerAdjust",
        "bookedOn",
        past=True,
    ),
    Case(
        "ledgerMonthClose.month",
        "month",
        "community_admin",
        MONTH_CLOSE,
        lambda w, v: {"i": {"communityId": unit(w, "C1"), "month": v}},
        "ledgerMonthClose",
        "month",
    ),
    Case(
        "annualSelectionClose.year",
        "year",
        "community_admin",
        YEAR_CLOSE,
        lambda w, v: {"i": {"communityId": unit(w, "C1"), "year": v}},
        "annualSelectionClose",
        "year",
    ),
    Case(
        "evaluationScore.month",
        "month",
        "community_admin",
        SCORE,
        lambda w, v: {
            "i": {
                "scorerUnitId": unit(w, "C1"),
                "scoredUnitId": unit(w, "DEP"),
                "month": v,
                "style": 3,
                "performance": 3,
                "management": 3,
            }
        },
        "evaluationScore",
        "month",
    ),
    Case(
        "homeVisitLog.visitedOn",
        "date",
        "worker_a",
        VISIT,
        lambda w, v: {
            "i": {
                "householdId": gid("Household", w.households["hA1"]),
                "visitedOn": v,
                "notes": "走访",
            }
        },
        "homeVisitLog",
        "visitedOn",
        past=True,
    ),
    Case(
        "inspectionRoundLog.startedAt",
        "datetime",
        "worker_a",
        ROUND,
        lambda w, v: round_(w, v, LATER),
        "inspectionRoundLog",
        "startedAt",
        past=True,
    ),
    Case(
        "inspectionRoundLog.endedAt",
        "datetime",
        "worker_a",
        ROUND,
        lambda w, v: round_(w, LATER, v),
        "inspectionRoundLog",
        "endedAt",
        past=True,
    ),
    Case(
        "venueCreate.blackoutDates",
        "date",
        "community_admin",
        VENUE,
        venue,
        "venueCreate",
        "blackoutDates",
    ),
    Case(
        "serviceSessionCreate.startsAt",
        "datetime",
        "community_admin",
        SITTING,
        lambda w, v: sitting(v, LATER),
        "serviceSessionCreate",
        "startsAt",
    ),
    Case(
        "serviceSessionCreate.endsAt",
        "datetime",
        "community_admin",
        SITTING,
        lambda w, v: sitting(LATER, v),
        "serviceSessionCreate",
        "endsAt",
    ),
    Case(
        "exchangeSettingsSet.windows.startsOn",
        "date",
        "community_admin",
        WINDOWS,
        lambda w, v: {
            "i": {
                "communityId": unit(w, "C1"),
                "pickupDays": 3,
                "windows": [{"kind": "DATES", "startsOn": v, "endsOn": v}],
            }
        },
        "exchangeSettingsSet",
        "startsOn",
    ),
    Case(
        "redemptionCheckout.venue.startsAt",
        "datetime",
        "resident_a",
        CHECKOUT,
        lambda w, v: checkout(v, LATER),
        "redemptionCheckout",
        "startsAt",
    ),
    Case(
        "redemptionCheckout.venue.endsAt",
        "datetime",
        "resident_a",
        CHECKOUT,
        lambda w, v: checkout(LATER, v),
        "redemptionCheckout",
        "endsAt",
    ),
]

QUERIES = [
    Case(
        "ranking.year",
        "year",
        "community_admin",
        "query($c: ID!, $v: Int) { ranking(communityId: $c, year: $v) { year } }",
        lambda w, v: {"c": unit(w, "C1"), "v": v},
    ),
    Case(
        "pointsStatistics.year",
        "year",
        "community_admin",
        "query($c: ID!, $v: Int!) { pointsStatistics(communityId: $c, year: $v) { earned } }",
        lambda w, v: {"c": unit(w, "C1"), "v": v},
    ),
    Case(
        "departmentEvaluation.month",
        "month",
        "admin",
        "query($d: ID!, $v: String!) { departmentEvaluation(departmentId: $d, month: $v) { month } }",
        lambda w, v: {"d": unit(w, "DEP"), "v": v},
    ),
    Case(
        "resolutionSplit.month",
        "month",
        "community_admin",
        "query($c: ID!, $v: String!) { resolutionSplit(communityId: $c, month: $v) { month } }",
        lambda w, v: {"c": unit(w, "C1"), "v": v},
    ),
    Case(
        "scoresReceived.month",
        "month",
        "admin",
        "query($u: ID!, $v: String!) { scoresReceived(unitId: $u, month: $v) { month } }",
        lambda w, v: {"u": unit(w, "DEP"), "v": v},
    ),
    Case(
        "householdsNotVisited.month",
        "month",
        "worker_a",
        "query($g: ID!, $v: String) { householdsNotVisited(gridId: $g, month: $v) { id } }",
        lambda w, v: {"g": unit(w, "A"), "v": v},
    ),
    Case(
        "inspectionRounds.month",
        "month",
        "worker_a",
        "query($g: ID!, $v: String) { inspectionRounds(gridId: $g, month: $v) { id } }",
        lambda w, v: {"g": unit(w, "A"), "v": v},
    ),
    Case(
        "monthlyAssessment.month",
        "month",
        "community_admin",
        "query($u: ID!, $v: String!) { monthlyAssessment(unitId: $u, month: $v) { month } }",
        lambda w, v: {"u": unit(w, "C1"), "v": v},
    ),
    Case(
        "venueAvailability.firstDay",
        "date",
        "resident_a",
        "query($x: ID!, $v: Date!) { venueAvailability(venueId: $x, firstDay: $v, lastDay: $v)"
        " { startsAt } }",
        lambda w, v: {"x": anything("Venue"), "v": v},
    ),
    Case(
        "pickupQueue.day",
        "date",
        "community_admin",
        "query($c: ID, $v: Date) { pickupQueue(communityId: $c, day: $v) { id } }",
        lambda w, v: {"c": unit(w, "C1"), "v": v},
    ),
    Case(
        "venueCalendar.firstDay",
        "date",
        "community_admin",
        "query($c: ID, $v: Date!) { venueCalendar(firstDay: $v, communityId: $c) { startsAt } }",
        lambda w, v: {"c": unit(w, "C1"), "v": v},
    ),
    Case(
        "exchangeStatistics.month",
        "date",
        "community_admin",
        "query($c: ID, $v: Date!) { exchangeStatistics(month: $v, communityId: $c) { points } }",
        lambda w, v: {"c": unit(w, "C1"), "v": v},
    ),
]

ENDS = {
    "date": ["0001-01-01", "9999-12-31"],
    "datetime": [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-12:00",
        "9999-12-31T23:59:59Z",
    ],
    "month": ["0001-01", "9999-12", "0000-12", "2026-13"],
    "year": [1, 9999, 0, -1, 10000, 2_147_483_647],
}
TYPED = {"DATE_OUT_OF_RANGE", "INVALID_VALUE"}


def codes(body: dict[str, Any], payload: str | None) -> list[str]:
    found = [(e.get("extensions") or {}).get("code", "") for e in body.get("errors") or []]
    data = body.get("data") or {}
    if payload and isinstance(data.get(payload), dict):
        found += [e["code"] for e in data[payload].get("errors") or []]
    return found


def ends_cases() -> list[Any]:
    return [
        pytest.param(case, value, id=f"{case.name}={value}")
        for case in MUTATIONS + QUERIES
        for value in ENDS[case.kind]
    ]


@pytest.mark.parametrize(("case", "value"), ends_cases())
async def test_the_ends_of_the_calendar_are_typed(
    api: Api, world: World, case: Case, value: object
) -> None:
    token = await api.sign_in(world.phones[case.who])
    reply = await api(case.query, case.variables(world, value), token=token, language="en")
    assert reply.status < 500
    found = codes(reply.body, case.payload)
    assert "INTERNAL" not in found, reply.body
    assert found and set(found) <= TYPED, reply.body


def window_values(case: Case) -> list[object]:
    """Inside the calendar, outside the product's window."""
    now = clock.now()
    far = now.replace(year=now.year + 6)
    tomorrow = now + timedelta(days=1, hours=1)
    values: dict[str, list[object]] = {
        "date": ["1999-12-31", far.date().isoformat()],
        "datetime": ["1999-12-31T12:00:00+08:00", far.isoformat()],
        "month": ["1999-12"],
        "year": [1999],
    }
    chosen = values[case.kind]
    if case.past:
        # tomorrow in Asia/Shanghai, the product's day (UTC's date is a day behind from 16:00)
        ahead = (
            (clock.local_date(now) + timedelta(days=1)).isoformat()
            if case.kind == "date"
            else tomorrow.isoformat()
        )
        chosen = [chosen[0], ahead]
    return chosen


@pytest.mark.parametrize(
    ("case", "value"),
    [
        pytest.param(case, value, id=f"{case.name}={value}")
        for case in MUTATIONS
        for value in window_values(case)
    ],
)
async def test_a_mutation_refuses_dates_outside_the_window(
    api: Api, world: World, case: Case, value: object
) -> None:
    token = await api.sign_in(world.phones[case.who])
    variables = case.variables(world, value)
    reply = await api(case.query, _inside(variables, value), token=token, language="en")
    assert reply.status < 500
    errors = reply.data[case.payload]["errors"]
    # a past record a day ahead may be refused by the service's older "not after today" rule
    expected = {"DATE_OUT_OF_RANGE"} | ({"INVALID_VALUE"} if case.past else set())
    assert errors and errors[0]["code"] in expected, errors
    assert errors[0]["field"] == case.field, errors


def _inside(variables: Any, value: object) -> Any:
    """The other moments of the input (``LATER``) set to an ordinary one inside the window."""
    ordinary = (clock.now() - timedelta(hours=3)).astimezone(UTC).isoformat()
    if isinstance(variables, dict):
        return {key: _inside(item, value) for key, item in variables.items()}
    if isinstance(variables, list):
        return [_inside(item, value) for item in variables]
    return ordinary if variables == LATER else variables


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "0000-01", "1899-12", "9001-01"])
@pytest.mark.parametrize("extension", ["csv", "pdf"])
async def test_an_assessment_download_at_the_ends_of_the_calendar(
    api: Api, world: World, month: str, extension: str
) -> None:
    token = await api.sign_in(world.phones["community_admin"])
    reply = await api.client.get(
        f"/reports/assessment/T-C1/{month}.{extension}?lang=en",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["errors"][0]["code"] in TYPED


async def test_a_datetime_without_an_offset_is_shanghai_time(api: Api, world: World) -> None:
    """It used to reach the services naive, where comparing it with an aware time failed."""
    token = await api.sign_in(world.phones["worker_a"])
    start = (clock.now() - timedelta(hours=3)).astimezone(clock.LOCAL).replace(tzinfo=None)
    variables = round_(world, start.isoformat(), (start + timedelta(hours=1)).isoformat())
    reply = await api(ROUND, variables, token=token)
    assert reply.data["inspectionRoundLog"]["errors"] == []
    rounds = await api(
        "query($g: ID!) { inspectionRounds(gridId: $g) { startedAt } }",
        {"g": unit(world, "A")},
        token=token,
    )
    started = datetime.fromisoformat(rounds.data["inspectionRounds"][0]["startedAt"])
    assert started == start.replace(tzinfo=clock.LOCAL)


def hours_ago(hours: float) -> str:
    return (clock.now() - timedelta(hours=hours)).astimezone(UTC).isoformat()


def hours_ahead(hours: float) -> str:
    return (clock.now() + timedelta(hours=hours)).astimezone(UTC).isoformat()


@pytest.mark.parametrize(
    ("who", "query", "payload", "variables"),
    [
        pytest.param(
            "resident_a",
            CHECKOUT,
            "redemptionCheckout",
            lambda w: checkout(hours_ahead(30), hours_ahead(28)),
            id="checkout-venue-backwards",
        ),
        pytest.param(
            "resident_a",
            CHECKOUT,
            "redemptionCheckout",
            lambda w: checkout(*[hours_ahead(30)] * 2),
            id="checkout-venue-empty",
        ),
        pytest.param(
            "resident_a",
            CHECKOUT,
            "redemptionCheckout",
            lambda w: checkout(hours_ahead(30), hours_ahead(30 + 24 * 8)),
            id="checkout-venue-8-days",
        ),
        pytest.param(
            "community_admin",
            SITTING,
            "serviceSessionCreate",
            lambda w: sitting(hours_ahead(30), hours_ahead(29)),
            id="session-backwards",
        ),
        pytest.param(
            "community_admin",
            SITTING,
            "serviceSessionCreate",
            lambda w: sitting(hours_ahead(30), hours_ahead(30 + 25)),
            id="session-25-hours",
        ),
        pytest.param(
            "community_admin",
            ORDER,
            "orderCreate",
            lambda w: order(w, hours_ahead(50), hours_ahead(49), hours_ahead(40)),
            id="order-backwards",
        ),
        pytest.param(
            "community_admin",
            ORDER,
            "orderCreate",
            lambda w: order(w, hours_ahead(50), hours_ahead(50 + 24 * 40), hours_ahead(40)),
            id="order-40-days",
        ),
        pytest.param(
            "worker_a",
            ROUND,
            "inspectionRoundLog",
            lambda w: round_(w, hours_ago(2), hours_ago(3)),
            id="round-backwards",
        ),
    ],
)
async def test_a_time_range_that_ends_before_it_starts_or_lasts_absurdly(
    api: Api, world: World, who: str, query: str, payload: str, variables: Any
) -> None:
    """The venue slot of a checkout ending before it starts reached PostgreSQL's range
    constructor (an internal error); the whole class is ``INVALID_TIME_WINDOW`` on the end."""
    token = await api.sign_in(world.phones[who])
    reply = await api(query, variables(world), token=token)
    assert reply.status < 500
    assert reply.data[payload]["errors"] == [
        {"code": "INVALID_TIME_WINDOW", "field": "endsAt"}
    ] or (reply.data[payload]["errors"] == [{"code": "INVALID_TIME_WINDOW", "field": "endedAt"}])
