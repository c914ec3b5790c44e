"""Reminders that the clock makes due: found by a scan (a periodic job, every minute) and written
as inbox entries whose cause is the reminder itself (``reminder:<kind>:<row id>``), so a scan
that runs twice, or on two workers at once, or again after a restart, reminds once.

- a claimed order starts within a day (and more than 2 hours away), and within 2 hours;
- a reserved redemption's pickup deadline is within a day;
- an open joint meeting starts within an hour (its members);
- a registration application waits (its grid's workers, its community's admins);
- a demand's next clock (respond, solve, recover) runs out within
  :data:`SLA_LEAD`: its owner is warned, or its grid's workers while nobody owns it. Each clock
  warns once (the cause names the deadline).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.demands import levels
from services.demands.models import Demand, DemandState
from services.meetings.models import JointMeeting, MeetingMember, MeetingState
from services.notices.inbox import Entry, notify
from services.notices.kinds import Kind
from services.orders.models import Claim, ClaimState, OrderState, VolunteerOrder
from services.people.models import Role, RoleAssignment
from services.redemptions.models import Redemption, RedemptionState
from services.registration.models import ApplicationStatus, RegistrationApplication

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


SLA_LEAD = timedelta(minutes=5)


async def _service_levels(session: AsyncSession, now: datetime) -> int:
    """Every open demand's next clock, projected as on read (:func:`levels.next_due`; the
    assisting departments' own clocks aside). One pass over the open demands a minute: a
    street has hundreds; a city-wide deployment would want the due time stored."""
    open_demands = (
        await session.scalars(select(Demand).where(Demand.state == DemandState.ACTIVE))
    ).all()
    rows = [
        (d.id, d.owner_id, d.grid_id, due, d.description)
        for d in open_demands
        if (due := levels.next_due(d, now)) is not None and now < due <= now + SLA_LEAD
    ]
    if not rows:
        return 0
    grids = {grid for _, owner, grid, _, _ in rows if owner is None}
    workers: dict[uuid.UUID, list[uuid.UUID]] = {}
    if grids:
        for person, grid in await session.execute(
            select(RoleAssignment.person_id, RoleAssignment.unit_id).where(
                RoleAssignment.role == Role.GRID_WORKER, RoleAssignment.unit_id.in_(grids)
            )
        ):
            if grid is not None:
                workers.setdefault(grid, []).append(person)
    kind = Kind.SLA_AT_RISK
    entries = [
        Entry(
            person,
            f"{kind.value}:{demand}:{due.isoformat()}",
            demand,
            {"due": _local(due), "summary": text[:30]},
        )
        for demand, owner, grid, due, text in rows
        for person in ([owner] if owner is not None else workers.get(grid, []))
    ]
    return await notify(session, kind, entries, subject_type="Demand")


async def _registrations(session: AsyncSession) -> int:
    """Pending applications: their grid's workers and their community's admins are told once
    each. Written by the scan, not by ``registrationApply``, so that answer does the same work
    whether or not the phone is registered (no timing tells it)."""
    staff = RoleAssignment.unit_id
    rows = (
        await session.execute(
            select(
                RegistrationApplication.id, RegistrationApplication.name, RoleAssignment.person_id
            )
            .join(
                RoleAssignment,
                (
                    (RoleAssignment.role == Role.GRID_WORKER)
                    & (staff == RegistrationApplication.grid_id)
                )
                | (
                    (RoleAssignment.role == Role.COMMUNITY_ADMIN)
                    & (staff == RegistrationApplication.community_id)
                ),
            )
            .where(RegistrationApplication.status == ApplicationStatus.PENDING)
        )
    ).all()
    kind = Kind.REGISTRATION_WAITING
    entries = [
        Entry(person, _key(kind, application), application, {"name": name})
        for application, name, person in rows
    ]
    return await notify(session, kind, entries, subject_type="RegistrationApplication")


async def scan(session: AsyncSession) -> int:
    """Write every reminder now due that is not written yet; returns how many were new."""
    now = clock.now()
    return (
        await _orders(session, now, Kind.REMINDER_ORDER_TOMORROW, SOON, DAY)
        + await _orders(session, now, Kind.REMINDER_ORDER_SOON, timedelta(0), SOON)
        + await _pickups(session, now)
        + await _meetings(session, now)
        + await _service_levels(session, now)
        + await _registrations(session)
    )
