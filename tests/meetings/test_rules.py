"""Joint-meeting rules: who may convene and vote, own claims, double votes under concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import OPERATOR
from api.state import AppState
from services import clock
from services.meetings.models import Vote
from services.people import service as people_service
from services.people.models import Role, SeatType
from tests.orders.helpers import CLAIM, ENDS, PUBLISHED, STARTS, published_order
from tests.support import Api, World, gid

CONVENE = """mutation($i: MeetingConveneInput!) {
  meetingConvene(input: $i) { meeting { id agenda { id } } errors { code field } } }"""
VOTE = """mutation($i: MeetingVoteInput!) { meetingVote(input: $i) { errors { code } } }"""
ATTEND = """mutation($i: MeetingInput!) { meetingAttend(input: $i) { errors { code } } }"""


async def served_claim(api: Api, world: World, phone: str) -> None:
    """``phone`` claims an order of C1 and is confirmed: one item for the next agenda."""
    admin = await api.sign_in(world.phones["community_admin"])
    with clock.frozen(PUBLISHED) as move:
        order_id = await published_order(api, admin, world)
        token = await api.sign_in(phone)
        claim_id = (await api(CLAIM, {"i": {"orderId": order_id}}, token=token)).data["orderClaim"][
            "claim"
        ]["id"]
        move(ENDS + timedelta(hours=1))
        reply = await api(
            """mutation($i: AttendanceConfirmInput!) { attendanceConfirm(input: $i) { errors { code } } }""",
            {
                "i": {
                    "claimId": claim_id,
                    "checkedInAt": STARTS.isoformat(),
                    "checkedOutAt": ENDS.isoformat(),
                    "reason": "现场签到表",
                }
            },
            token=admin,
        )
        assert reply.data["attendanceConfirm"]["errors"] == []


async def test_meeting_rules(api: Api, world: World, session: AsyncSession) -> None:
    # resident_a holds a seat and has a claim on the agenda
    await people_service.assign_role(
        session,
        OPERATOR,
        person_id=world.people["resident_a"],
        role=Role.MEETING_MEMBER,
        unit_id=world.units["C1"],
        seat_type=SeatType.RESIDENT_REP,
    )
    await session.commit()
    await served_claim(api, world, world.phones["resident_a"])
    admin = await api.sign_in(world.phones["community_admin"])
    members = [gid("Person", world.people[k]) for k in ("member", "resident_a")]

    # a community admin of C2 cannot convene C1's meeting; a resident cannot either
    other_admin = await api.sign_in(world.phones["community_admin2"])
    denied = await api(
        CONVENE,
        {
            "i": {
                "communityId": gid("OrgUnit", world.units["C1"]),
                "title": "x",
                "scheduledAt": PUBLISHED.isoformat(),
                "quorum": 1,
                "memberIds": members,
            }
        },
        token=other_admin,
    )
    assert denied.data["meetingConvene"]["errors"] == [
        {"code": "FORBIDDEN", "field": "communityId"}
    ]
    not_seated = await api(
        CONVENE,
        {
            "i": {
                "communityId": gid("OrgUnit", world.units["C1"]),
                "title": "x",
                "scheduledAt": PUBLISHED.isoformat(),
                "quorum": 1,
                "memberIds": [gid("Person", world.people["resident_b"])],
            }
        },
        token=admin,
    )
    assert not_seated.data["meetingConvene"]["errors"] == [
        {"code": "NOT_A_MEMBER", "field": "memberIds"}
    ]

    convened = await api(
        CONVENE,
        {
            "i": {
                "communityId": gid("OrgUnit", world.units["C1"]),
                "title": "联席会议",
                "scheduledAt": PUBLISHED.isoformat(),
                "quorum": 2,
                "memberIds": members,
            }
        },
        token=admin,
    )
    meeting = convened.data["meetingConvene"]["meeting"]
    item = meeting["agenda"][0]["id"]

    claimant = await api.sign_in(world.phones["resident_a"])
    await api(ATTEND, {"i": {"meetingId": meeting["id"]}}, token=claimant)
    own = await api(VOTE, {"i": {"itemId": item, "choice": "FOR"}}, token=claimant)
    assert own.data["meetingVote"]["errors"] == [{"code": "OWN_CLAIM"}]

    # a joint-meeting member of community C2 cannot vote in C1's meeting
    await people_service.assign_role(
        session,
        OPERATOR,
        person_id=world.people["worker_d"],
        role=Role.MEETING_MEMBER,
        unit_id=world.units["C2"],
        seat_type=SeatType.PARTY_ORG,
    )
    await session.commit()
    outsider = await api.sign_in(world.phones["worker_d"])
    assert (await api(ATTEND, {"i": {"meetingId": meeting["id"]}}, token=outsider)).data[
        "meetingAttend"
    ]["errors"] == [{"code": "NOT_A_MEMBER"}]
    refused = await api(VOTE, {"i": {"itemId": item, "choice": "FOR"}}, token=outsider)
    assert refused.data["meetingVote"]["errors"] == [{"code": "NOT_A_MEMBER"}]


async def test_household_members_do_not_vote_on_each_others_claims(
    api: Api, world: World, session: AsyncSession
) -> None:
    from services.people.models import Person

    # resident_a2 moves into resident_a's household and takes a seat
    housemate = await session.get(Person, world.people["resident_a2"])
    assert housemate is not None
    housemate.household_id = world.households["hA1"]
    await people_service.assign_role(
        session,
        OPERATOR,
        person_id=housemate.id,
        role=Role.MEETING_MEMBER,
        unit_id=world.units["C1"],
        seat_type=SeatType.RESIDENT_REP,
    )
    await session.commit()
    await served_claim(api, world, world.phones["resident_a"])
    admin = await api.sign_in(world.phones["community_admin"])
    convened = await api(
        CONVENE,
        {
            "i": {
                "communityId": gid("OrgUnit", world.units["C1"]),
                "title": "联席会议",
                "scheduledAt": PUBLISHED.isoformat(),
                "quorum": 1,
                "memberIds": [gid("Person", housemate.id)],
            }
        },
        token=admin,
    )
    meeting = convened.data["meetingConvene"]["meeting"]
    token = await api.sign_in(world.phones["resident_a2"])
    await api(ATTEND, {"i": {"meetingId": meeting["id"]}}, token=token)
    reply = await api(
        VOTE, {"i": {"itemId": meeting["agenda"][0]["id"], "choice": "FOR"}}, token=token
    )
    assert reply.data["meetingVote"]["errors"] == [{"code": "OWN_CLAIM"}]


async def test_a_double_vote_sent_at_once_counts_once(
    api: Api, world: World, session: AsyncSession, state: AppState
) -> None:
    await served_claim(api, world, world.phones["resident_a"])
    admin = await api.sign_in(world.phones["community_admin"])
    convened = await api(
        CONVENE,
        {
            "i": {
                "communityId": gid("OrgUnit", world.units["C1"]),
                "title": "联席会议",
                "scheduledAt": PUBLISHED.isoformat(),
                "quorum": 1,
                "memberIds": [gid("Person", world.people["member"])],
            }
        },
        token=admin,
    )
    meeting = convened.data["meetingConvene"]["meeting"]
    token = await api.sign_in(world.phones["member"])
    await api(ATTEND, {"i": {"meetingId": meeting["id"]}}, token=token)
    replies = await asyncio.gather(
        *(
            api(VOTE, {"i": {"itemId": meeting["agenda"][0]["id"], "choice": "FOR"}}, token=token)
            for _ in range(10)
        )
    )
    codes = sorted(str(r.data["meetingVote"]["errors"]) for r in replies)
    assert codes.count("[]") == 1
    assert codes.count("[{'code': 'ALREADY_VOTED'}]") == 9
    assert await session.scalar(select(func.count()).select_from(Vote)) == 1
