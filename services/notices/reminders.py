"""Reminders that the clock makes due: found by a scan (a periodic job, every minute) and written
as inbox entries whose cause is the reminder itself (``reminder:<kind>:<row id>``), so a scan
that runs twice, or on two workers at once, or again after a restart, reminds once.

- a claimed order starts within a day (and more than 2 hours away), and within 2 hours;
- a reserved redemption's pickup deadline is within a day;
- an open joint meeting starts within an hour (its members).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.meetings.models import JointMeeting, MeetingMember, MeetingState
from services.notices.inbox import Entry, notify
from services.notices.kinds import Kind
from services.orders.models import Claim, ClaimState, OrderState, VolunteerOrder
from services.redemptions.models import Redemption, RedemptionState

DAY = timedelta(days=1)
SOON = timedelta(hours=2)
MEETING_SOON = timedelta(hours=1)


def _local(moment: datetime) -> str:
    return moment.astimezone(clock.LOCAL).strftime("%m-%d %H:%M")


def _key(kind: Kind, row_id: object) -> str:
    return f"reminder:{kind.value}:{row_id}"


async def _orders(
    session: AsyncSession, now: datetime, kind: Kind, lo: timedelta, hi: timedelta
) -> int:
    rows = (
        await session.execute(
            select(
                Claim.id,
                Claim.person_id,
                VolunteerOrder.id,
                VolunteerOrder.title,
                VolunteerOrder.starts_at,
            )
            .join(VolunteerOrder, VolunteerOrder.id == Claim.order_id)
            .where(
                Claim.state == ClaimState.CLAIMED,
                VolunteerOrder.state == OrderState.PUBLISHED,
                VolunteerOrder.starts_at > now + lo,
                VolunteerOrder.starts_at <= now + hi,
            )
        )
    ).all()
    entries = [
        Entry(person, _key(kind, claim), order, {"title": title, "starts": _local(starts)})
        for claim, person, order, title, starts in rows
    ]
    return await notify(session, kind, entries, subject_type="VolunteerOrder")


async def _pickups(session: AsyncSession, now: datetime) -> int:
    rows = (
        await session.execute(
            select(
                Redemption.id, Redemption.person_id, Redemption.pickup_code, Redemption.deadline
            ).where(
                Redemption.state == RedemptionState.RESERVED,
                Redemption.deadline > now,
                Redemption.deadline <= now + DAY,
            )
        )
    ).all()
    kind = Kind.REMINDER_PICKUP_TOMORROW
    entries = [
        Entry(person, _key(kind, rid), rid, {"code": code, "deadline": _local(deadline)})
        for rid, person, code, deadline in rows
    ]
    return await notify(session, kind, entries, subject_type="Redemption")


async def _meetings(session: AsyncSession, now: datetime) -> int:
    rows = (
        await session.execute(
            select(JointMeeting.id, MeetingMember.person_id, JointMeeting.scheduled_at)
            .join(MeetingMember, MeetingMember.meeting_id == JointMeeting.id)
            .where(
                JointMeeting.state == MeetingState.OPEN,
                JointMeeting.scheduled_at > now,
                JointMeeting.scheduled_at <= now + MEETING_SOON,
            )
        )
    ).all()
    kind = Kind.REMINDER_MEETING_SOON
    entries = [
        Entry(person, _key(kind, meeting), meeting, {"starts": _local(at)})
        for meeting, person, at in rows
    ]
    return await notify(session, kind, entries, subject_type="JointMeeting")


async def scan(session: AsyncSession) -> int:
    """Write every reminder now due that is not written yet; returns how many were new."""
    now = clock.now()
    return (
        await _orders(session, now, Kind.REMINDER_ORDER_TOMORROW, SOON, DAY)
        + await _orders(session, now, Kind.REMINDER_ORDER_SOON, timedelta(0), SOON)
        + await _pickups(session, now)
        + await _meetings(session, now)
    )
