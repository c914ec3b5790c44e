"""The entries the volunteer flows write: one helper per cause, called by the change itself."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.demands.models import Demand
from services.meetings.models import Grant, JointMeeting
from services.notices import kinds
from services.notices.inbox import Entry, notify
from services.notices.kinds import Kind
from services.orders.models import Claim, VolunteerOrder
from services.people.models import Role, RoleAssignment
from services.redemptions.models import Redemption


async def _titles(
    session: AsyncSession, claim_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    rows = await session.execute(
        select(Claim.id, VolunteerOrder.id, VolunteerOrder.title)
        .join(VolunteerOrder, VolunteerOrder.id == Claim.order_id)
        .where(Claim.id.in_(list(claim_ids)))
    )
    return {claim: (order, title) for claim, order, title in rows}


async def claims(session: AsyncSession, kind: Kind, claims: Sequence[Claim]) -> int:
    """``kind`` (claim confirmed, promoted, attendance confirmed) for each claimant; once per
    claim and kind."""
    if not claims:
        return 0
    titles = await _titles(session, [c.id for c in claims])
    entries = [
        Entry(
            c.person_id,
            f"{kind.value}:{c.id}",
            titles[c.id][0],
            {"title": titles[c.id][1]},
        )
        for c in claims
    ]
    return await notify(session, kind, entries, subject_type="VolunteerOrder")


async def grants_posted(
    session: AsyncSession, grants: Sequence[tuple[uuid.UUID, uuid.UUID, uuid.UUID, int]]
) -> int:
    """Points posted: ``(grant id, claim id, person id, points)`` each."""
    if not grants:
        return 0
    titles = await _titles(session, [claim for _, claim, _, _ in grants])
    entries = [
        Entry(person, f"grant_posted:{grant}", grant, {"title": titles[claim][1], "points": points})
        for grant, claim, person, points in grants
    ]
    return await notify(session, Kind.GRANT_POSTED, entries, subject_type="Grant")


REDEMPTION_STATES = {
    "reserved": "已预约，请按时领取",
    "fulfilled": "已领取",
    "cancelled": "已取消，积分已退回",
    "expired": "逾期未领，已取消，积分已退回",
}


async def redemption(session: AsyncSession, redemption: Redemption) -> int:
    """The redemption reached a state: its person is told, once per state."""
    state = redemption.state.value
    return await notify(
        session,
        Kind.REDEMPTION_CHANGED,
        [
            Entry(
                redemption.person_id,
                f"redemption:{redemption.id}:{state}",
                redemption.id,
                {"code": redemption.pickup_code, "state": REDEMPTION_STATES.get(state, state)},
            )
        ],
        subject_type="Redemption",
    )


async def demand_step(session: AsyncSession, demand: Demand, event_id: uuid.UUID, step: str) -> int:
    """A step of the resident's demand; a new one also goes to its grid's workers."""
    written = 0
    if step in kinds.DEMAND_STEPS:
        written += await notify(
            session,
            Kind.DEMAND_CHANGED,
            [
                Entry(
                    demand.resident_id,
                    f"demand:{event_id}",
                    demand.id,
                    {"step": kinds.DEMAND_STEPS[step][0]},
                )
            ],
            subject_type="Demand",
        )
    if step == "reported":
        workers = await session.scalars(
            select(RoleAssignment.person_id).where(
                RoleAssignment.role == Role.GRID_WORKER, RoleAssignment.unit_id == demand.grid_id
            )
        )
        written += await notify(
            session,
            Kind.DEMAND_QUEUED,
            [
                Entry(
                    w, f"demand_queued:{demand.id}", demand.id, {"summary": demand.description[:30]}
                )
                for w in workers
            ],
            subject_type="Demand",
        )
    return written


async def meeting_convened(
    session: AsyncSession, meeting: JointMeeting, members: Sequence[uuid.UUID]
) -> int:
    starts = meeting.scheduled_at.astimezone(clock.LOCAL).strftime("%m-%d %H:%M")
    return await notify(
        session,
        Kind.MEETING_CONVENED,
        [
            Entry(
                p,
                f"meeting_convened:{meeting.id}",
                meeting.id,
                {"title": meeting.title, "starts": starts},
            )
            for p in members
        ],
        subject_type="JointMeeting",
    )


async def grant_publicized(session: AsyncSession, grant: Grant) -> int:
    titles = await _titles(session, [grant.claim_id])
    ends = grant.publicity_ends_at.astimezone(clock.LOCAL).strftime("%m-%d %H:%M")
    return await notify(
        session,
        Kind.GRANT_PUBLICIZED,
        [
            Entry(
                grant.person_id,
                f"grant_publicized:{grant.id}",
                grant.id,
                {"title": titles[grant.claim_id][1], "points": grant.points, "ends": ends},
            )
        ],
        subject_type="Grant",
    )
