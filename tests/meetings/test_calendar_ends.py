"""A meeting scheduled at the ends of the calendar is refused, typed (found by probing what
bench/fuzz found for days: year 1 and year 9999 overflowed into an internal error). Since
issue 13 the DateTime scalar refuses them before the mutation runs, and the mutation refuses
what is inside the calendar but outside the product's window, naming the field."""

from __future__ import annotations

import pytest

from tests.support import Api, World, gid

CONVENE = """mutation($i: MeetingConveneInput!) { meetingConvene(input: $i) {
  meeting { id } errors { code field } } }"""


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
async def test_a_meeting_at_the_ends_of_the_calendar(api: Api, world: World, when: str) -> None:
    token = await api.sign_in(world.phones["community_admin"])
    variables = {
        "i": {
            "communityId": gid("OrgUnit", world.units["C1"]),
            "title": "联席会议",
            "scheduledAt": when,
            "quorum": 1,
            "memberIds": [gid("Person", world.people["member"])],
        }
    }
    reply = await api(CONVENE, variables, token=token)
    assert reply.error_codes == ["DATE_OUT_OF_RANGE"]


@pytest.mark.parametrize("when", ["1999-12-31T23:00:00+08:00", "2200-01-01T00:00:00+08:00"])
async def test_a_meeting_outside_the_window(api: Api, world: World, when: str) -> None:
    token = await api.sign_in(world.phones["community_admin"])
    variables = {
        "i": {
            "communityId": gid("OrgUnit", world.units["C1"]),
            "title": "联席会议",
            "scheduledAt": when,
            "quorum": 1,
            "memberIds": [gid("Person", world.people["member"])],
        }
    }
    reply = await api(CONVENE, variables, token=token)
    assert reply.data["meetingConvene"]["errors"] == [
        {"code": "DATE_OUT_OF_RANGE", "field": "scheduledAt"}
    ]
