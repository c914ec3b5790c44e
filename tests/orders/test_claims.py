"""Claiming orders: scope, party members first, waitlist and promotion, the day of service."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.orders.models import VolunteerOrder
from tests.orders.helpers import CLAIM, DEADLINE, ENDS, PUBLISHED, STARTS, published_order
from tests.support import Api, World, add_residents, gid

WITHDRAW = """mutation($i: ClaimInput!) {
  claimWithdraw(input: $i) { claim { state } errors { code } } }"""
CHECK_IN = """mutation($i: ClaimInput!) {
  claimCheckIn(input: $i) { claim { checkedInAt } errors { code } } }"""
CHECK_OUT = """mutation($i: ClaimInput!) {
  claimCheckOut(input: $i) { claim { checkedOutAt minutes } errors { code } } }"""
CONFIRM = """mutation($i: AttendanceConfirmInput!) {
  attendanceConfirm(input: $i) { claim { attendance minutes correctionReason } errors { code field } } }"""
MY_CLAIMS = "{ myClaims { nodes { state waitlistPosition order { title } } } }"


async def test_thirty_residents_race_for_twenty_places(
    api: Api, world: World, session: AsyncSession
) -> None:
    phones = await add_residents(session, world, count=30)
    await session.commit()
    with clock.frozen(PUBLISHED):
        admin = await api.sign_in(world.phones["community_admin"])
        order_id = await published_order(api, admin, world)
        tokens = [await api.login(world.people[phone]) for phone in phones]
        replies = await asyncio.gather(
            *(api(CLAIM, {"i": {"orderId": order_id}}, token=t) for t in tokens)
        )
    claims = [r.data["orderClaim"]["claim"] for r in replies]
    assert all(r.data["orderClaim"]["errors"] == [] for r in replies)
    assert sum(c["state"] == "CLAIMED" for c in claims) == 20
    # positions answered mid-race reflect what each transaction saw; the roster, read after,
    # has the queue in claim order
    roster = await api(
        "query($id: ID!) { node(id: $id) { ... on VolunteerOrder { placesLeft status"
        " claims { state waitlistPosition } } } }",
        {"id": order_id},
        token=admin,
    )
    order_node = roster.data["node"]
    assert order_node["placesLeft"] == 0
    waiting = [c["waitlistPosition"] for c in order_node["claims"] if c["state"] == "WAITLISTED"]
    assert waiting == list(range(1, 11))
    order = await session.get(VolunteerOrder, _local(order_id))
    assert order is not None and order.places_taken == 20


def _local(global_id: str):  # type: ignore[no-untyped-def]
    from schema.relay import from_global_id

    return from_global_id(global_id)[1]


async def test_withdrawal_promotes_the_first_in_line(
    api: Api, world: World, session: AsyncSession
) -> None:
    phones = await add_residents(session, world, count=3)
    await session.commit()
    with clock.frozen(PUBLISHED) as move:
        admin = await api.sign_in(world.phones["community_admin"])
        order_id = await published_order(api, admin, world, places=1)
        tokens = [await api.sign_in(p) for p in phones]
        first = (await api(CLAIM, {"i": {"orderId": order_id}}, token=tokens[0])).data
        second = (await api(CLAIM, {"i": {"orderId": order_id}}, token=tokens[1])).data
        third = (await api(CLAIM, {"i": {"orderId": order_id}}, token=tokens[2])).data
        assert [x["orderClaim"]["claim"]["state"] for x in (first, second, third)] == [
            "CLAIMED",
            "WAITLISTED",
            "WAITLISTED",
        ]
        again = await api(CLAIM, {"i": {"orderId": order_id}}, token=tokens[1])
        assert again.data["orderClaim"]["errors"][0]["code"] == "ALREADY_CLAIMED"

        claim_id = first["orderClaim"]["claim"]["id"]
        done = await api(WITHDRAW, {"i": {"claimId": claim_id}}, token=tokens[0])
        assert (
            done.data["orderClaim" if False else "claimWithdraw"]["claim"]["state"] == "WITHDRAWN"
        )
        mine = (await api(MY_CLAIMS, token=tokens[1])).data["myClaims"]["nodes"]
        assert mine == [
            {"state": "CLAIMED", "waitlistPosition": None, "order": {"title": "社区环境清洁"}}
        ]
        theirs = (await api(MY_CLAIMS, token=tokens[2])).data["myClaims"]["nodes"]
        assert theirs[0]["waitlistPosition"] == 1

        move(DEADLINE + timedelta(minutes=1))
        late = await api(
            WITHDRAW, {"i": {"claimId": second["orderClaim"]["claim"]["id"]}}, token=tokens[1]
        )
        assert late.data["claimWithdraw"]["errors"] == [{"code": "CLAIM_DEADLINE_PASSED"}]
        too_late = await api(CLAIM, {"i": {"orderId": order_id}}, token=tokens[0])
        assert too_late.data["orderClaim"]["errors"][0]["code"] == "CLAIM_DEADLINE_PASSED"


async def test_party_members_claim_first(api: Api, world: World, session: AsyncSession) -> None:
    from services.people.models import Person

    member = await session.get(Person, world.people["resident_a2"])
    assert member is not None
    member.is_party_member = True
    await session.commit()
    with clock.frozen(PUBLISHED) as move:
        admin = await api.sign_in(world.phones["community_admin"])
        order_id = await published_order(api, admin, world, partyFirstHours=24)
        resident = await api.sign_in(world.phones["resident_a"])
        early = await api(CLAIM, {"i": {"orderId": order_id}}, token=resident, language="en")
        assert early.data["orderClaim"]["errors"] == [
            {
                "code": "PARTY_MEMBERS_FIRST",
                "field": None,
                "message": "Party members claim first; residents may claim from 2026-05-31 09:00.",
            }
        ]
        party = await api.sign_in(world.phones["resident_a2"])
        assert (await api(CLAIM, {"i": {"orderId": order_id}}, token=party)).data["orderClaim"][
            "claim"
        ]["state"] == "CLAIMED"
        move(PUBLISHED + timedelta(hours=24))
        later = await api(CLAIM, {"i": {"orderId": order_id}}, token=resident)
        assert later.data["orderClaim"]["claim"]["state"] == "CLAIMED"


async def test_scope_of_an_order(api: Api, world: World) -> None:
    with clock.frozen(PUBLISHED):
        admin = await api.sign_in(world.phones["community_admin"])
        grid_b = await published_order(api, admin, world, unitId=gid("OrgUnit", world.units["B"]))
        resident_a = await api.sign_in(world.phones["resident_a"])
        refused = await api(CLAIM, {"i": {"orderId": grid_b}}, token=resident_a)
        assert refused.data["orderClaim"]["errors"][0]["code"] == "NOT_IN_SCOPE"
        resident_b = await api.sign_in(world.phones["resident_b"])
        accepted = await api(CLAIM, {"i": {"orderId": grid_b}}, token=resident_b)
        assert accepted.data["orderClaim"]["claim"]["state"] == "CLAIMED"
        claimable = "{ orders(claimable: true) { nodes { title grid { code } } } }"
        assert (await api(claimable, token=resident_a)).data["orders"]["nodes"] == []
        assert (await api(claimable, token=resident_b)).data["orders"]["nodes"] == [
            {"title": "社区环境清洁", "grid": {"code": "T-B"}}
        ]


async def test_check_in_and_out_only_on_the_day(api: Api, world: World) -> None:
    with clock.frozen(PUBLISHED) as move:
        admin = await api.sign_in(world.phones["community_admin"])
        order_id = await published_order(api, admin, world)
        resident = await api.sign_in(world.phones["resident_a"])
        claim_id = (await api(CLAIM, {"i": {"orderId": order_id}}, token=resident)).data[
            "orderClaim"
        ]["claim"]["id"]
        early = await api(CHECK_IN, {"i": {"claimId": claim_id}}, token=resident)
        assert early.data["claimCheckIn"]["errors"] == [{"code": "OUTSIDE_SERVICE_DAY"}]
        out_first = await api(CHECK_OUT, {"i": {"claimId": claim_id}}, token=resident)
        assert out_first.data["claimCheckOut"]["errors"] == [{"code": "NOT_CHECKED_IN"}]
        move(STARTS - timedelta(minutes=10))
        assert (await api(CHECK_IN, {"i": {"claimId": claim_id}}, token=resident)).data[
            "claimCheckIn"
        ]["errors"] == []
        twice = await api(CHECK_IN, {"i": {"claimId": claim_id}}, token=resident)
        assert twice.data["claimCheckIn"]["errors"] == [{"code": "ALREADY_CHECKED_IN"}]
        move(ENDS + timedelta(minutes=5))
        out = await api(CHECK_OUT, {"i": {"claimId": claim_id}}, token=resident)
        assert out.data["claimCheckOut"]["claim"]["minutes"] == 195
        # the resident cannot confirm their own attendance
        self_confirm = await api(CONFIRM, {"i": {"claimId": claim_id}}, token=resident)
        assert self_confirm.data["attendanceConfirm"]["errors"] == [
            {"code": "FORBIDDEN", "field": None}
        ]
        confirmed = await api(CONFIRM, {"i": {"claimId": claim_id}}, token=admin)
        assert confirmed.data["attendanceConfirm"]["claim"] == {
            "attendance": "CONFIRMED",
            "minutes": 195,
            "correctionReason": None,
        }


async def test_forgotten_check_out_is_corrected_with_a_reason(api: Api, world: World) -> None:
    with clock.frozen(PUBLISHED) as move:
        admin = await api.sign_in(world.phones["community_admin"])
        order_id = await published_order(api, admin, world)
        resident = await api.sign_in(world.phones["resident_a"])
        claim_id = (await api(CLAIM, {"i": {"orderId": order_id}}, token=resident)).data[
            "orderClaim"
        ]["claim"]["id"]
        move(STARTS)
        await api(CHECK_IN, {"i": {"claimId": claim_id}}, token=resident)
        move(ENDS + timedelta(hours=6))
        without = await api(CONFIRM, {"i": {"claimId": claim_id}}, token=admin)
        assert without.data["attendanceConfirm"]["errors"] == [
            {"code": "NOT_CHECKED_IN", "field": "checkedOutAt"}
        ]
        no_reason = await api(
            CONFIRM, {"i": {"claimId": claim_id, "checkedOutAt": ENDS.isoformat()}}, token=admin
        )
        assert no_reason.data["attendanceConfirm"]["errors"] == [
            {"code": "REQUIRED", "field": "reason"}
        ]
        fixed = await api(
            CONFIRM,
            {
                "i": {
                    "claimId": claim_id,
                    "checkedOutAt": ENDS.isoformat(),
                    "reason": "忘记签退，现场核实",
                }
            },
            token=admin,
        )
        assert fixed.data["attendanceConfirm"]["claim"] == {
            "attendance": "CONFIRMED",
            "minutes": 180,
            "correctionReason": "忘记签退，现场核实",
        }


async def test_residents_cannot_publish_orders(api: Api, world: World) -> None:
    from tests.orders.helpers import CREATE, order_input

    resident = await api.sign_in(world.phones["resident_a"])
    reply = await api(CREATE, {"i": order_input(world)}, token=resident)
    assert reply.data["orderCreate"]["errors"] == [{"code": "FORBIDDEN", "field": None}]
    worker = await api.sign_in(world.phones["worker_a"])
    reply = await api(CREATE, {"i": order_input(world)}, token=worker)
    assert reply.data["orderCreate"]["errors"] == [{"code": "FORBIDDEN", "field": None}]


async def test_cancelling_releases_every_place(
    api: Api, world: World, session: AsyncSession
) -> None:
    with clock.frozen(PUBLISHED):
        admin = await api.sign_in(world.phones["community_admin"])
        order_id = await published_order(api, admin, world)
        resident = await api.sign_in(world.phones["resident_a"])
        await api(CLAIM, {"i": {"orderId": order_id}}, token=resident)
        cancel = """mutation($i: OrderCancelInput!) { orderCancel(input: $i) { order { status placesLeft } errors { code field } } }"""
        no_reason = await api(cancel, {"i": {"id": order_id, "reason": " "}}, token=admin)
        assert no_reason.data["orderCancel"]["errors"] == [{"code": "REQUIRED", "field": "reason"}]
        done = await api(cancel, {"i": {"id": order_id, "reason": "天气原因"}}, token=admin)
        assert done.data["orderCancel"]["order"] == {"status": "CANCELLED", "placesLeft": 20}
        mine = (await api(MY_CLAIMS, token=resident)).data["myClaims"]["nodes"]
        assert mine[0]["state"] == "CANCELLED"


async def test_grid_leader_confirms_their_grids_residents_on_a_community_order(
    api: Api, world: World, session: AsyncSession
) -> None:
    from api.cli import OPERATOR
    from services.people import service as people_service
    from services.people.models import Role

    await people_service.assign_role(
        session,
        OPERATOR,
        person_id=world.people["worker_b"],
        role=Role.GRID_LEADER,
        unit_id=world.units["B"],
    )
    await people_service.assign_role(
        session,
        OPERATOR,
        person_id=world.people["worker_a"],
        role=Role.GRID_LEADER,
        unit_id=world.units["A"],
    )
    await session.commit()
    with clock.frozen(PUBLISHED) as move:
        admin = await api.sign_in(world.phones["community_admin"])
        order_id = await published_order(api, admin, world)
        resident = await api.sign_in(world.phones["resident_a"])
        claim_id = (await api(CLAIM, {"i": {"orderId": order_id}}, token=resident)).data[
            "orderClaim"
        ]["claim"]["id"]
        move(ENDS)
        fix = {
            "claimId": claim_id,
            "checkedInAt": STARTS.isoformat(),
            "checkedOutAt": ENDS.isoformat(),
            "reason": "签到表",
        }
        other_leader = await api.sign_in(world.phones["worker_b"])
        denied = await api(CONFIRM, {"i": fix}, token=other_leader)
        assert denied.data["attendanceConfirm"]["errors"] == [{"code": "FORBIDDEN", "field": None}]
        own_leader = await api.sign_in(world.phones["worker_a"])
        done = await api(CONFIRM, {"i": fix}, token=own_leader)
        assert done.data["attendanceConfirm"]["claim"]["attendance"] == "CONFIRMED"
