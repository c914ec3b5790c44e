"""A Date, DateTime or Time that is no day or time at all ("2026-13-01", year 0 or 10000,
"24:00", a number) is refused typed, ``INVALID_VALUE``, like the calendar's ends (issue 13,
item 6). Found by ``bench/fuzz`` edges: they were untyped coercion errors, with no code."""

from __future__ import annotations

import pytest

from tests.support import Api, World, gid

STATISTICS = "query($d: Date!) { exchangeStatistics(month: $d) { points } }"
MEETING = """mutation($i: MeetingConveneInput!) { meetingConvene(input: $i) {
  meeting { id } errors { code } } }"""
VENUE = """mutation($i: VenueCreateInput!) { venueCreate(input: $i) { errors { code } } }"""


def venue(community: str, opens: object) -> dict[str, object]:
    hours = [{"weekday": 1, "opens": opens, "closes": "18:00"}]
    return {
        "communityId": community,
        "venue": {
            "name": "活动室",
            "capacity": 10,
            "slotMinutes": 60,
            "maxBookingMinutes": 120,
            "pricePerSlot": 1,
            "openingHours": hours,
        },
    }


@pytest.mark.parametrize(
    "value", ["2026-13-01", "2026-00-10", "0000-01-01", "10000-01-01", "2026-02-30", 42, ""]
)
async def test_a_date_that_is_no_day(api: Api, world: World, value: object) -> None:
    token = await api.sign_in(world.phones["admin"])
    reply = await api(STATISTICS, {"d": value}, token=token)
    assert reply.status < 500
    assert reply.error_codes == ["INVALID_VALUE"], reply.body


@pytest.mark.parametrize(
    "value", ["2026-13-01T10:00:00Z", "0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "x"]
)
async def test_a_moment_that_is_no_moment(api: Api, world: World, value: str) -> None:
    token = await api.sign_in(world.phones["admin"])
    variables = {"i": {"communityId": gid("OrgUnit", world.units["C1"]), "title": "会"}}
    variables["i"] |= {"scheduledAt": value, "quorum": 1, "memberIds": []}
    reply = await api(MEETING, variables, token=token)
    assert reply.status < 500
    assert reply.error_codes == ["INVALID_VALUE"], reply.body


@pytest.mark.parametrize("value", ["24:00", "25:00", "-01:00", 900])
async def test_a_time_that_is_no_time(api: Api, world: World, value: object) -> None:
    token = await api.sign_in(world.phones["admin"])
    reply = await api(VENUE, {"i": venue(gid("OrgUnit", world.units["C1"]), value)}, token=token)
    assert reply.status < 500
    assert reply.error_codes == ["INVALID_VALUE"], reply.body


@pytest.mark.parametrize("escape", ["\\ud800", "x\\udfffy", "\\udc00\\ud800"])
async def test_a_lone_surrogate_written_in_the_document(api: Api, escape: str) -> None:
    """As in a variable: ``INVALID_ENCODING`` (it was an untyped syntax error)."""
    reply = await api('{ node(id: "' + escape + '") { id } }', {})
    assert reply.status < 500
    assert reply.error_codes == ["INVALID_ENCODING"], reply.body
    paired = await api('{ node(id: "\\ud83d\\ude00") { id } }', {})
    assert "INVALID_ENCODING" not in paired.error_codes
