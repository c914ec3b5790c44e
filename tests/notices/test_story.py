"""Story: a resident claims an order, is reminded the day before and 2 hours before (the clock
moved, not slept), and is told of the grant; the inbox keeps it all, read or unread; a resident
who opted out of grant SMS gets only the in-app entry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.settings import Settings
from api.state import AppState
from services import clock
from services.meetings import grants as grant_service
from services.notices import jobs
from services.notices.models import Delivery, DeliveryStatus, Notification
from tests.notices.support import notices_to, run_jobs, runtime
from tests.orders.helpers import CLAIM, ENDS, PUBLISHED, STARTS, published_order
from tests.support import Api, World, gid

INBOX = """query($u: Boolean) { notificationsUnread
  notifications(first: 20, unreadOnly: $u) { nodes { id kind title subjectId readAt }
  pageInfo { hasNextPage endCursor } } }"""
MARK = """mutation($i: NotificationsMarkReadInput!) {
  notificationsMarkRead(input: $i) { unread errors { code } } }"""
OPT_OUT = """mutation($i: NoticePreferenceSetInput!) {
  noticePreferenceSet(input: $i) { done errors { code } } }"""
CONFIRM = (
    """mutation($i: AttendanceConfirmInput!) { attendanceConfirm(input: $i) { errors { code } } }"""
)
CONVENE = """mutation($i: MeetingConveneInput!) {
  meetingConvene(input: $i) { meeting { id agenda { id } } errors { code field message } } }"""
ATTEND = """mutation($i: MeetingInput!) { meetingAttend(input: $i) { errors { code } } }"""
VOTE = """mutation($i: MeetingVoteInput!) { meetingVote(input: $i) { errors { code } } }"""
CLOSE = """mutation($i: MeetingInput!) { meetingClose(input: $i) { errors { code message } } }"""


def outbox(settings: Settings) -> Path:
    assert settings.sms_outbox is not None
    return settings.sms_outbox


async def kinds_of(api: Api, token: str) -> list[str]:
    reply = await api(INBOX, {"u": False}, token=token)
    return [n["kind"] for n in reply.data["notifications"]["nodes"]]


async def test_claim_reminders_and_grant(
    api: Api, world: World, state: AppState, settings: Settings, session: AsyncSession
) -> None:
    phone_a, phone_b = world.phones["resident_a"], world.phones["resident_a2"]
    admin = await api.sign_in(world.phones["community_admin"])
    a = await api.sign_in(phone_a)
    b = await api.sign_in(phone_b)
    # resident_a2 does not want grants by SMS
    off = await api(
        OPT_OUT, {"i": {"kind": "GRANT_POSTED", "channel": "SMS", "enabled": False}}, token=b
    )
    assert off.data["noticePreferenceSet"]["done"] is True
    rt = runtime(state)
    before_a = len(notices_to(outbox(settings), phone_a))
    before_b = len(notices_to(outbox(settings), phone_b))  # the file is the whole run's
    with clock.frozen(PUBLISHED) as move:
        order = await published_order(api, admin, world)
        claims = {}
        for phone, token in ((phone_a, a), (phone_b, b)):
            reply = await api(CLAIM, {"i": {"orderId": order}}, token=token)
            claims[phone] = reply.data["orderClaim"]["claim"]["id"]
        assert await kinds_of(api, a) == ["claim_confirmed", "order_published"]

        # nothing due a week before
        assert await jobs.remind_once(rt) == 0
        # the day before (10:00 in Shanghai): one reminder each, by SMS too
        move(STARTS - timedelta(hours=23))
        assert await jobs.remind_once(rt) == 2
        assert await jobs.remind_once(rt) == 0  # a second scan reminds nobody again
        await run_jobs(state, rt)
        texts = notices_to(outbox(settings), phone_a)[before_a:]
        assert len(texts) == 1 and "06-06 09:00" in texts[0] and "社区环境清洁" in texts[0]
        # 2 hours before
        move(STARTS - timedelta(hours=1, minutes=50))
        assert await jobs.remind_once(rt) == 2
        await run_jobs(state, rt)
        assert len(notices_to(outbox(settings), phone_a)[before_a:]) == 2
        assert await kinds_of(api, a) == [
            "reminder_order_soon",
            "reminder_order_tomorrow",
            "claim_confirmed",
            "order_published",
        ]

        # served, confirmed, evaluated, publicized, posted
        move(ENDS + timedelta(hours=1))
        for claim in claims.values():
            reply = await api(
                CONFIRM,
                {
                    "i": {
                        "claimId": claim,
                        "checkedInAt": STARTS.isoformat(),
                        "checkedOutAt": ENDS.isoformat(),
                        "reason": "签到表",
                    }
                },
                token=admin,
            )
            assert reply.data["attendanceConfirm"]["errors"] == []
        convened = await api(
            CONVENE,
            {
                "i": {
                    "communityId": gid("OrgUnit", world.units["C1"]),
                    "title": "联席会议",
                    "scheduledAt": (ENDS + timedelta(hours=1)).isoformat(),
                    "quorum": 1,
                    "memberIds": [gid("Person", world.people["member"])],
                }
            },
            token=admin,
        )
        meeting = convened.data["meetingConvene"]["meeting"]
        member = await api.sign_in(world.phones["member"])
        await api(ATTEND, {"i": {"meetingId": meeting["id"]}}, token=member)
        for item in meeting["agenda"]:
            reply = await api(VOTE, {"i": {"itemId": item["id"], "choice": "FOR"}}, token=member)
            assert reply.data["meetingVote"]["errors"] == []
        closed = await api(CLOSE, {"i": {"meetingId": meeting["id"]}}, token=admin)
        assert closed.data["meetingClose"]["errors"] == []
        move(ENDS + timedelta(days=7))
        assert await grant_service.settle_due(session) == 2
        await session.commit()
        await run_jobs(state, rt)

    grant_a = notices_to(outbox(settings), phone_a)[before_a:]
    assert len(grant_a) == 3 and "积分到账：10 分" in grant_a[-1]
    # resident_a2 opted out of grant SMS: the entry is in the inbox, no SMS, no delivery row
    assert not [t for t in notices_to(outbox(settings), phone_b)[before_b:] if "积分到账" in t]
    assert (await kinds_of(api, b))[0] == "grant_posted"
    opted = await session.scalar(
        select(func.count())
        .select_from(Delivery)
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(
            Notification.kind == "grant_posted", Delivery.person_id == world.people["resident_a2"]
        )
    )
    assert opted == 0
    sent = await session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.SENT)
    )
    assert sent == 6  # 2 × tomorrow, 2 × soon, 1 grant, the member: meeting convened

    # read and unread survive: mark one, then all
    inbox = (await api(INBOX, {"u": True}, token=a)).data
    assert inbox["notificationsUnread"] == 7  # published, claimed, 2 reminders, attended,
    # publicized, posted
    first = inbox["notifications"]["nodes"][0]
    assert first["subjectId"] is not None
    marked = await api(MARK, {"i": {"ids": [first["id"]]}}, token=a)
    assert marked.data["notificationsMarkRead"] == {"unread": 6, "errors": []}
    # someone else's entry id changes nothing of theirs and tells nothing
    theirs = (await api(INBOX, {"u": True}, token=b)).data["notifications"]["nodes"][0]["id"]
    foreign = await api(MARK, {"i": {"ids": [theirs]}}, token=a)
    assert foreign.data["notificationsMarkRead"] == {"unread": 6, "errors": []}
    assert (await api(INBOX, {"u": True}, token=b)).data["notificationsUnread"] == 7
    every = await api(MARK, {"i": {}}, token=a)
    assert every.data["notificationsMarkRead"] == {"unread": 0, "errors": []}
    assert (await api(INBOX, {"u": False}, token=a)).data["notificationsUnread"] == 0
