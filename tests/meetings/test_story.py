"""The whole story of flow 1 and 2, as domain.md tells it.

The community publishes an order; 30 residents race for 20 places (exactly 20 claim, 10 wait);
the 20 check in and out; the grid leader confirms attendance (one forgot to check out, one did
not come); a joint meeting with its quorum approves, adjusts and rejects; during publicity one
grant is objected to; the rest post to the ledger when publicity ends; a second meeting upholds
the objection; balances, entries and the ranking are exactly as expected.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import OPERATOR
from services import clock
from services.ledger.models import Account, AccountType, PointKind
from services.meetings import grants as grant_service
from services.people import service as people_service
from services.people.models import Role, SeatType
from tests.orders.helpers import CLAIM, ENDS, PUBLISHED, STARTS, published_order
from tests.support import Api, World, add_residents, gid

CONFIRM = """mutation($i: AttendanceConfirmInput!) {
  attendanceConfirm(input: $i) { claim { attendance minutes } errors { code field } } }"""
NO_SHOW = """mutation($i: ClaimInput!) { attendanceNoShow(input: $i) { claim { attendance } errors { code } } }"""
CONVENE = """mutation($i: MeetingConveneInput!) {
  meetingConvene(input: $i) { meeting { id agenda { id kind points claim { id } } } errors { code field message } } }"""
ATTEND = """mutation($i: MeetingInput!) { meetingAttend(input: $i) { meeting { id } errors { code } } }"""
PROPOSE = """mutation($i: AgendaItemProposeInput!) {
  agendaItemPropose(input: $i) { item { proposal points reason } errors { code field } } }"""
VOTE = (
    """mutation($i: MeetingVoteInput!) { meetingVote(input: $i) { item { id } errors { code } } }"""
)
CLOSE = """mutation($i: MeetingInput!) {
  meetingClose(input: $i) { meeting { state } errors { code message } } }"""
BOARD = """query($c: ID!) { board(communityId: $c, first: 50) {
  nodes { id points status maskedName orderTitle } } }"""
OBJECT = (
    """mutation($i: GrantObjectInput!) { grantObject(input: $i) { objected errors { code } } }"""
)
MINUTES = """query($id: ID!) { node(id: $id) { ... on JointMeeting { state presentCount
  members { name seatType present }
  agenda { proposal points outcome tally { for against abstain passed } grant { points status } } } } }"""
RANKING = """query($c: ID!) { ranking(communityId: $c, year: 2026, first: 3) {
  frozen entries { rank maskedName points hours } } }"""


async def seat_members(session: AsyncSession, world: World, count: int) -> list[str]:
    phones = await add_residents(session, world, count=count, household="hB1", prefix="1332")
    seats = list(SeatType)
    for n, phone in enumerate(phones):
        await people_service.assign_role(
            session,
            OPERATOR,
            person_id=world.people[phone],
            role=Role.MEETING_MEMBER,
            unit_id=world.units["C1"],
            seat_type=seats[n % len(seats)],
        )
    return phones


async def grid_balance(session: AsyncSession, world: World, person_id) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    account = await session.scalar(
        select(Account).where(
            Account.person_id == person_id,
            Account.kind == PointKind.GRID,
            Account.type == AccountType.PERSON,
        )
    )
    if account is None:
        return (0, 0)
    await session.refresh(account)
    return account.credits_posted - account.debits_posted, account.credits_pending


async def test_publish_claim_serve_evaluate_publicize_post_rank(
    api: Api, world: World, session: AsyncSession
) -> None:
    residents = await add_residents(session, world, count=30)
    members = await seat_members(session, world, count=5)
    await session.commit()
    admin_phone = world.phones["community_admin"]
    c1 = gid("OrgUnit", world.units["C1"])

    with clock.frozen(PUBLISHED) as move:
        admin = await api.sign_in(admin_phone)
        order_id = await published_order(api, admin, world)
        tokens = {p: await api.login(world.people[p]) for p in residents}
        claims = await asyncio.gather(
            *(api(CLAIM, {"i": {"orderId": order_id}}, token=t) for t in tokens.values())
        )
        claimed = {
            phone: reply.data["orderClaim"]["claim"]["id"]
            for phone, reply in zip(tokens, claims, strict=True)
            if reply.data["orderClaim"]["claim"]["state"] == "CLAIMED"
        }
        assert len(claimed) == 20

        # the day of service
        move(STARTS - timedelta(minutes=5))
        serving = list(claimed)
        for phone in serving[:19]:
            reply = await api(
                "mutation($i: ClaimInput!) { claimCheckIn(input: $i) { errors { code } } }",
                {"i": {"claimId": claimed[phone]}},
                token=tokens[phone],
            )
            assert reply.data["claimCheckIn"]["errors"] == []
        move(ENDS + timedelta(minutes=5))
        for phone in serving[:18]:  # serving[18] forgets to check out, serving[19] never came
            reply = await api(
                "mutation($i: ClaimInput!) { claimCheckOut(input: $i) { errors { code } } }",
                {"i": {"claimId": claimed[phone]}},
                token=tokens[phone],
            )
            assert reply.data["claimCheckOut"]["errors"] == []
        for phone in serving[:18]:
            reply = await api(CONFIRM, {"i": {"claimId": claimed[phone]}}, token=admin)
            assert reply.data["attendanceConfirm"]["claim"]["attendance"] == "CONFIRMED"
        forgot = await api(
            CONFIRM,
            {
                "i": {
                    "claimId": claimed[serving[18]],
                    "checkedOutAt": ENDS.isoformat(),
                    "reason": "忘记签退",
                }
            },
            token=admin,
        )
        assert forgot.data["attendanceConfirm"]["claim"]["minutes"] == 185
        absent = await api(NO_SHOW, {"i": {"claimId": claimed[serving[19]]}}, token=admin)
        assert absent.data["attendanceNoShow"]["claim"]["attendance"] == "NO_SHOW"

        # the joint meeting, a week later
        move(ENDS + timedelta(days=7))
        member_ids = [gid("Person", world.people[p]) for p in members]
        convened = await api(
            CONVENE,
            {
                "i": {
                    "communityId": c1,
                    "title": "六月联席会议",
                    "scheduledAt": clock.now().isoformat(),
                    "quorum": 3,
                    "memberIds": member_ids,
                }
            },
            token=admin,
        )
        meeting = convened.data["meetingConvene"]["meeting"]
        agenda = meeting["agenda"]
        assert len(agenda) == 19  # the no-show is not evaluated
        by_claim = {item["claim"]["id"]: item["id"] for item in agenda}
        adjusted_item = by_claim[claimed[serving[0]]]
        rejected_item = by_claim[claimed[serving[1]]]
        over = await api(
            PROPOSE,
            {"i": {"itemId": adjusted_item, "proposal": "ADJUST", "points": 99, "reason": "x"}},
            token=admin,
        )
        assert over.data["agendaItemPropose"]["errors"] == [
            {"code": "ADJUSTMENT_OUT_OF_RANGE", "field": "points"}
        ]
        adj = await api(
            PROPOSE,
            {
                "i": {
                    "itemId": adjusted_item,
                    "proposal": "ADJUST",
                    "points": 15,
                    "reason": "组织协调工作量大",
                }
            },
            token=admin,
        )
        assert adj.data["agendaItemPropose"]["item"] == {
            "proposal": "ADJUST",
            "points": 15,
            "reason": "组织协调工作量大",
        }
        rej = await api(
            PROPOSE,
            {"i": {"itemId": rejected_item, "proposal": "REJECT", "reason": "服务记录不实"}},
            token=admin,
        )
        assert rej.data["agendaItemPropose"]["item"]["points"] == 0

        member_tokens = [await api.login(world.people[p]) for p in members]
        early_close = await api(CLOSE, {"i": {"meetingId": meeting["id"]}}, token=admin)
        assert early_close.data["meetingClose"]["errors"][0]["code"] == "QUORUM_NOT_MET"
        for token in member_tokens[:4]:
            await api(ATTEND, {"i": {"meetingId": meeting["id"]}}, token=token)
        for item in agenda:
            for n, token in enumerate(member_tokens[:4]):
                choice = "AGAINST" if n == 3 else "FOR"
                reply = await api(
                    VOTE, {"i": {"itemId": item["id"], "choice": choice}}, token=token
                )
                assert reply.data["meetingVote"]["errors"] == []
        double = await api(
            VOTE, {"i": {"itemId": agenda[0]["id"], "choice": "FOR"}}, token=member_tokens[0]
        )
        assert double.data["meetingVote"]["errors"] == [{"code": "ALREADY_VOTED"}]
        absent_member = await api(
            VOTE, {"i": {"itemId": agenda[0]["id"], "choice": "FOR"}}, token=member_tokens[4]
        )
        assert absent_member.data["meetingVote"]["errors"] == [{"code": "NOT_A_MEMBER"}]
        closed = await api(CLOSE, {"i": {"meetingId": meeting["id"]}}, token=admin)
        assert closed.data["meetingClose"] == {"meeting": {"state": "CLOSED"}, "errors": []}

        minutes = (await api(MINUTES, {"id": meeting["id"]}, token=admin)).data["node"]
        assert minutes["presentCount"] == 4
        assert [m["present"] for m in minutes["members"]].count(True) == 4
        assert all(
            i["outcome"] == "PASSED"
            and i["tally"] == {"for": 3, "against": 1, "abstain": 0, "passed": True}
            for i in minutes["agenda"]
        )
        granted = [i["grant"]["points"] for i in minutes["agenda"] if i["grant"]]
        assert sorted(granted) == [10] * 17 + [15]

        # publicity: one objection
        board = (await api(BOARD, {"c": c1}, token=tokens[serving[5]])).data["board"]["nodes"]
        assert len(board) == 18
        assert {g["status"] for g in board} == {"IN_PUBLICITY"}
        assert all("*" in g["maskedName"] for g in board)
        target = next(g["id"] for g in board if g["points"] == 10)
        reply = await api(
            OBJECT,
            {"i": {"grantId": target, "reason": "当天未见其到场"}},
            token=tokens[residents[-1]],
        )
        assert reply.data["grantObject"] == {"objected": True, "errors": []}
        again = await api(
            OBJECT, {"i": {"grantId": target, "reason": "再次"}}, token=tokens[residents[-1]]
        )
        assert again.data["grantObject"]["errors"] == [{"code": "ALREADY_OBJECTED"}]

        # publicity ends: everything but the objected grant posts
        move(clock.now() + timedelta(days=5, minutes=1))
        board = (await api(BOARD, {"c": c1}, token=admin)).data["board"]["nodes"]
        statuses = sorted(g["status"] for g in board)
        assert statuses == ["POSTED"] * 17 + ["UNDER_REVIEW"]
        settled = await grant_service.settle_due(session, now=clock.now())
        await session.commit()
        assert settled == 17

        balances = {p: await grid_balance(session, world, world.people[p]) for p in serving}
        assert balances[serving[0]] == (15, 0)
        assert balances[serving[1]] == (0, 0)  # rejected
        assert balances[serving[19]] == (0, 0)  # no-show
        held = [p for p in serving if balances[p] == (0, 10)]
        assert len(held) == 1  # the objected grant is still held
        assert sum(b[0] for b in balances.values()) == 15 + 16 * 10

        # the next meeting upholds the objection: the hold is voided
        second = await api(
            CONVENE,
            {
                "i": {
                    "communityId": c1,
                    "title": "七月联席会议",
                    "scheduledAt": clock.now().isoformat(),
                    "quorum": 3,
                    "memberIds": member_ids,
                }
            },
            token=admin,
        )
        second_meeting = second.data["meetingConvene"]["meeting"]
        assert [i["kind"] for i in second_meeting["agenda"]] == ["OBJECTION"]
        review = second_meeting["agenda"][0]["id"]
        await api(
            PROPOSE,
            {"i": {"itemId": review, "proposal": "REJECT", "reason": "异议属实"}},
            token=admin,
        )
        for token in member_tokens[:3]:
            await api(ATTEND, {"i": {"meetingId": second_meeting["id"]}}, token=token)
            await api(VOTE, {"i": {"itemId": review, "choice": "FOR"}}, token=token)
        closed = await api(CLOSE, {"i": {"meetingId": second_meeting["id"]}}, token=admin)
        assert closed.data["meetingClose"]["errors"] == []
        assert await grid_balance(session, world, world.people[held[0]]) == (0, 0)

        # the ledger sums to zero; the issuance account gave exactly what was posted
        total = await session.scalar(
            select(func.sum(Account.credits_posted - Account.debits_posted)).where(
                Account.kind == PointKind.GRID
            )
        )
        assert total == 0

        ranking = (await api(RANKING, {"c": c1}, token=tokens[serving[3]])).data["ranking"][
            "entries"
        ]
        assert ranking[0]["points"] == 15 and ranking[0]["rank"] == 1
        assert [r["rank"] for r in ranking[1:]] == [2, 2]
        assert all(r["points"] == 10 for r in ranking[1:])
        assert "*" in ranking[0]["maskedName"]
