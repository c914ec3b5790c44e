"""Convening a joint meeting, its agenda, attendance and votes.

The agenda collects, for the meeting's community, every confirmed claim not yet decided by a
passed item and not on another open meeting, plus every grant under objection. Each item carries a
proposal (approve the order's points, adjust them within bounds with a reason, or reject with a
reason) that members present vote on; :mod:`services.meetings.decisions` closes the meeting.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services import validation
from services.authz import Actor, Permission, allows
from services.errors import DomainError, ErrorCode
from services.meetings.models import (
    REASON_MAX,
    TITLE_MAX,
    AgendaItem,
    Choice,
    Grant,
    GrantState,
    ItemKind,
    ItemOutcome,
    JointMeeting,
    MeetingMember,
    MeetingState,
    Proposal,
    Vote,
)
from services.notices import about
from services.orders.models import Attendance, Claim, ClaimState, VolunteerOrder
from services.orgs.models import OrgUnit, UnitKind
from services.orgs.service import require_unit
from services.people.models import Person, Role, RoleAssignment

MAX_ADJUST_FACTOR = 2  # an adjustment may at most double the order's points


async def convene(
    session: AsyncSession,
    actor: Actor,
    *,
    community_id: uuid.UUID,
    title: str,
    scheduled_at: datetime,
    quorum: int,
    member_ids: Sequence[uuid.UUID],
) -> JointMeeting:
    """A community admin convenes a meeting of people who hold a joint-meeting seat there."""
    validation.moment(scheduled_at, field="scheduledAt")
    community = await require_unit(
        session, community_id, kinds=[UnitKind.COMMUNITY], field="communityId"
    )
    if not allows(actor, Permission.MEETING_CONVENE, community.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="communityId")
    title = validation.required_text(title, field="title", max_length=TITLE_MAX)
    members = list(dict.fromkeys(member_ids))
    seats = dict(
        (
            await session.execute(
                select(RoleAssignment.person_id, RoleAssignment.seat_type).where(
                    RoleAssignment.person_id.in_(members),
                    RoleAssignment.role == Role.MEETING_MEMBER,
                    RoleAssignment.unit_id == community.id,
                )
            )
        ).all()
    )
    if not members or len(seats) != len(members):
        raise DomainError(ErrorCode.NOT_A_MEMBER, field="memberIds")
    if not 0 < quorum <= len(members):
        raise DomainError(ErrorCode.INVALID_VALUE, field="quorum")
    meeting = JointMeeting(
        community_id=community.id,
        title=title,
        scheduled_at=scheduled_at,
        quorum=quorum,
        convened_by=actor.person_id,
        state=MeetingState.OPEN,
    )
    session.add(meeting)
    await session.flush()
    session.add_all(
        MeetingMember(meeting_id=meeting.id, person_id=p, seat_type=seats[p]) for p in members
    )
    await collect_agenda(session, meeting)
    await about.meeting_convened(session, meeting, list(members))
    return meeting


async def collect_agenda(session: AsyncSession, meeting: JointMeeting) -> int:
    """Put every undecided confirmed claim and every objected grant on the agenda."""
    on_open_agenda = (
        select(AgendaItem.claim_id)
        .join(JointMeeting, JointMeeting.id == AgendaItem.meeting_id)
        .where(
            JointMeeting.state == MeetingState.OPEN,
            AgendaItem.claim_id == Claim.id,
        )
    )
    decided = select(AgendaItem.claim_id).where(
        AgendaItem.claim_id == Claim.id,
        AgendaItem.kind == ItemKind.CLAIM,
        AgendaItem.outcome == ItemOutcome.PASSED,
    )
    claims = (
        await session.execute(
            select(Claim, VolunteerOrder.points)
            .join(VolunteerOrder, VolunteerOrder.id == Claim.order_id)
            .where(
                Claim.community_id == meeting.community_id,
                Claim.state == ClaimState.CLAIMED,
                Claim.attendance == Attendance.CONFIRMED,
                ~exists(decided),
                ~exists(on_open_agenda),
            )
            .order_by(Claim.seq)
        )
    ).all()
    objected = (
        await session.scalars(
            select(Grant)
            .where(
                Grant.community_id == meeting.community_id,
                Grant.state == GrantState.OBJECTED,
                ~exists(on_open_agenda.where(AgendaItem.claim_id == Grant.claim_id)),
            )
            .order_by(Grant.created_at)
        )
    ).all()
    position = int(
        await session.scalar(
            select(func.count()).select_from(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
        )
        or 0
    )
    items: list[AgendaItem] = []
    for claim, points in claims:
        position += 1
        items.append(_item(meeting, ItemKind.CLAIM, claim.id, None, points, position))
    for grant in objected:
        position += 1
        items.append(
            _item(meeting, ItemKind.OBJECTION, grant.claim_id, grant.id, grant.points, position)
        )
    session.add_all(items)
    await session.flush()
    return len(items)


def _item(
    meeting: JointMeeting,
    kind: ItemKind,
    claim_id: uuid.UUID,
    grant_id: uuid.UUID | None,
    points: int,
    position: int,
) -> AgendaItem:
    return AgendaItem(
        meeting_id=meeting.id,
        community_id=meeting.community_id,
        kind=kind,
        claim_id=claim_id,
        grant_id=grant_id,
        proposal=Proposal.APPROVE,
        points=points,
        position=position,
        outcome=ItemOutcome.PENDING,
    )


async def agenda_items(session: AsyncSession, meeting_id: uuid.UUID) -> list[AgendaItem]:
    rows = await session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.position)
    )
    return list(rows)


async def open_meeting(
    session: AsyncSession, meeting_id: uuid.UUID, *, for_update: bool = False
) -> JointMeeting:
    stmt = select(JointMeeting).where(JointMeeting.id == meeting_id)
    if for_update:
        stmt = stmt.with_for_update()
    meeting = await session.scalar(stmt)
    if meeting is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="meetingId")
    if meeting.state is not MeetingState.OPEN:
        raise DomainError(ErrorCode.MEETING_CLOSED)
    return meeting


async def require_convener(session: AsyncSession, actor: Actor, meeting: JointMeeting) -> None:
    community = await session.get(OrgUnit, meeting.community_id)
    assert community is not None
    if not allows(actor, Permission.MEETING_CONVENE, community.path):
        raise DomainError(ErrorCode.FORBIDDEN)


async def propose(
    session: AsyncSession,
    actor: Actor,
    *,
    item_id: uuid.UUID,
    proposal: Proposal,
    points: int | None = None,
    reason: str | None = None,
) -> AgendaItem:
    """Set what members vote on for an item, before anyone has voted on it."""
    item = await session.get(AgendaItem, item_id)
    if item is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="itemId")
    meeting = await open_meeting(session, item.meeting_id)
    await require_convener(session, actor, meeting)
    if await session.scalar(select(exists().where(Vote.item_id == item.id))):
        raise DomainError(ErrorCode.INVALID_STATE)
    standard = await _standard_points(session, item)
    if proposal is Proposal.APPROVE:
        item.points, item.reason = standard, None
    else:
        item.reason = validation.text(reason, field="reason", max_length=REASON_MAX, required=True)
        if proposal is Proposal.ADJUST:
            limit = max(1, standard * MAX_ADJUST_FACTOR)
            if points is None or not 0 < points <= limit:
                raise DomainError(
                    ErrorCode.ADJUSTMENT_OUT_OF_RANGE, field="points", min=1, max=limit
                )
            item.points = points
        else:
            item.points = 0
    item.proposal = proposal
    await session.flush()
    return item


async def _standard_points(session: AsyncSession, item: AgendaItem) -> int:
    points = await session.scalar(
        select(VolunteerOrder.points)
        .join(Claim, Claim.order_id == VolunteerOrder.id)
        .where(Claim.id == item.claim_id)
    )
    return int(points or 0)


async def attend(session: AsyncSession, actor: Actor, *, meeting_id: uuid.UUID) -> MeetingMember:
    """A member signs in to the meeting (counts towards the quorum)."""
    await open_meeting(session, meeting_id)
    member = await session.get(MeetingMember, (meeting_id, actor.person_id))
    if member is None:
        raise DomainError(ErrorCode.NOT_A_MEMBER)
    member.present = True
    await session.flush()
    return member


async def vote(session: AsyncSession, actor: Actor, *, item_id: uuid.UUID, choice: Choice) -> Vote:
    """One vote per present member per item; never on one's own or one's household's claim."""
    item = await session.get(AgendaItem, item_id)
    if item is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="itemId")
    await open_meeting(session, item.meeting_id)
    member = await session.get(MeetingMember, (item.meeting_id, actor.person_id))
    if member is None:
        raise DomainError(ErrorCode.NOT_A_MEMBER)
    if not member.present:
        raise DomainError(ErrorCode.NOT_A_MEMBER, field="present")
    if await _is_own(session, actor, item.claim_id):
        raise DomainError(ErrorCode.OWN_CLAIM)
    ballot = Vote(item_id=item.id, person_id=actor.person_id, choice=choice)
    try:
        async with session.begin_nested():
            session.add(ballot)
            await session.flush()
    except IntegrityError as error:
        raise DomainError(ErrorCode.ALREADY_VOTED) from error
    return ballot


async def _is_own(session: AsyncSession, actor: Actor, claim_id: uuid.UUID) -> bool:
    voter_household = select(Person.household_id).where(Person.id == actor.person_id)
    return bool(
        await session.scalar(
            select(
                exists().where(
                    Claim.id == claim_id,
                    or_(
                        Claim.person_id == actor.person_id,
                        and_(
                            Claim.household_id.is_not(None),
                            Claim.household_id.in_(voter_household),
                        ),
                    ),
                )
            )
        )
    )
