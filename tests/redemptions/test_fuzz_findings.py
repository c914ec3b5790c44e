"""What bench/fuzz found in the exchange: each was an internal error, each is now typed."""

from __future__ import annotations

import pytest

from tests.support import Api, World, gid

CHECKOUT = """mutation($i: RedemptionCheckoutInput!) { redemptionCheckout(input: $i) {
  redemption { id } errors { code field } } }"""


def assert_not_internal(body: dict[str, object]) -> None:
    assert '"INTERNAL"' not in str(body).replace("'", '"'), body


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_a_pickup_queue_day_at_the_ends_of_the_calendar(
    api: Api, world: World, day: str
) -> None:
    token = await api.sign_in(world.phones["community_admin"])
    community = gid("OrgUnit", world.units["C1"])
    reply = await api(
        "query($c: ID!, $d: Date!) { pickupQueue(communityId: $c, day: $d) { id } }",
        {"c": community, "d": day},
        token=token,
    )
    assert_not_internal(reply.body)
    assert reply.error_codes == ["DATE_OUT_OF_RANGE"]  # the Date scalar's bound (issue 13)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_the_calendar_and_statistics_at_the_ends_of_the_calendar(
    api: Api, world: World, day: str
) -> None:
    token = await api.sign_in(world.phones["community_admin"])
    community = gid("OrgUnit", world.units["C1"])
    for query in (
        "query($c: ID, $d: Date!) { venueCalendar(firstDay: $d, days: 3, communityId: $c) { startsAt } }",
        "query($c: ID, $d: Date!) { exchangeStatistics(month: $d, communityId: $c) { points } }",
    ):
        reply = await api(query, {"c": community, "d": day}, token=token)
        assert_not_internal(reply.body)
        assert reply.error_codes == ["DATE_OUT_OF_RANGE"], reply.body


@pytest.mark.parametrize("inline", [True, False])
async def test_a_nul_character_in_an_idempotency_key(api: Api, world: World, inline: bool) -> None:
    token = await api.sign_in(world.phones["resident_a"])
    if inline:
        query = CHECKOUT.replace("$i: RedemptionCheckoutInput!", "").replace("()", "")
        query = query.replace(
            "input: $i", 'input: {idempotencyKey: "a\\u0000b", pointKind: GRID, venue: null}'
        )
        reply = await api(query, token=token)
    else:
        variables = {"i": {"idempotencyKey": "a\x00b", "pointKind": "GRID"}}
        reply = await api(CHECKOUT, variables, token=token)
    assert_not_internal(reply.body)
    assert reply.error_codes == ["INVALID_VALUE"]


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        ("9999-12-31T22:00:00+00:00", "9999-12-31T23:00:00+00:00"),
        ("0001-01-01T00:00:00+00:00", "0001-01-01T01:00:00+00:00"),
    ],
)
async def test_a_venue_booking_at_the_ends_of_the_calendar(
    api: Api, world: World, starts: str, ends: str
) -> None:
    token = await api.sign_in(world.phones["resident_a"])
    venue = {"venueId": gid("Venue", world.units["C1"]), "startsAt": starts, "endsAt": ends}
    variables = {"i": {"idempotencyKey": "v", "pointKind": "GRID", "venue": venue}}
    reply = await api(CHECKOUT, variables, token=token)
    assert_not_internal(reply.body)
    assert set(reply.error_codes) == {"DATE_OUT_OF_RANGE"}  # the DateTime scalar's bound


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        ("9999-12-31T22:59:59-12:00", "9999-12-31T23:59:59-12:00"),
        ("0001-01-01T00:00:00+14:00", "0001-01-01T01:00:00+14:00"),
    ],
)
async def test_a_service_session_at_the_ends_of_the_calendar(
    api: Api, world: World, starts: str, ends: str
) -> None:
    token = await api.sign_in(world.phones["community_admin"])
    made = await api(
        """mutation($i: ServiceCreateInput!) { serviceCreate(input: $i) {
          service { id } errors { code } } }""",
        {"i": {"communityId": gid("OrgUnit", world.units["C1"]), "name": "爱心午餐"}},
        token=token,
    )
    service = made.data["serviceCreate"]["service"]["id"]
    reply = await api(
        """mutation($i: ServiceSessionCreateInput!) { serviceSessionCreate(input: $i) {
          session { id } errors { code field } } }""",
        {
            "i": {
                "serviceId": service,
                "startsAt": starts,
                "endsAt": ends,
                "capacity": 1,
                "price": 1,
            }
        },
        token=token,
    )
    assert_not_internal(reply.body)
    assert set(reply.error_codes) == {"DATE_OUT_OF_RANGE"}  # the DateTime scalar's bound
