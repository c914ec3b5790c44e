"""Reading meetings, their members, agenda and votes (the minutes are these, once closed).

Meetings are open to the community (a joint meeting's decisions are public): anyone whose home
community it is, and staff who read the community's orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.authz import ALL_UNITS, Actor, Permission, scope
from services.meetings.models import AgendaItem, Grant, JointMeeting, MeetingMember, Vote
from services.orgs.models import OrgUnit
from services.pagination import Page, keyset_page


def readable(actor: Actor) -> ColumnElement[bool]:
    units = scope(actor, Permission.ORDER_READ)
    if units is ALL_UNITS:
        return JointMeeting.id.is_not(None)
    assert isinstance(units, frozenset)
    conditions: list[ColumnElement[bool]] = []
    if actor.community_id is not None:
        conditions.append(JointMeeting.community_id == actor.community_id)
    if units:
        conditions.append(
            JointMeeting.community_id.in_(
                select(OrgUnit.id).where(OrgUnit.path.overlap(list(units)))
            )
        )
    return or_(false(), *conditions)


async def get_meeting(
    session: AsyncSession, actor: Actor, meeting_id: uuid.UUID
) -> JointMeeting | None:
    return await session.scalar(
        select(JointMeeting).where(JointMeeting.id == meeting_id, readable(actor))
    )


async def list_meetings(
    session: AsyncSession,
    actor: Actor,
    *,
    community_id: uuid.UUID | None,
    first: int,
    after: str | None = None,
) -> Page[JointMeeting]:
    stmt = select(JointMeeting).where(readable(actor))
    if community_id is not None:
        stmt = stmt.where(JointMeeting.community_id == community_id)
    return await keyset_page(
        session, stmt, (JointMeeting.scheduled_at, JointMeeting.id), first=first, after=after
    )


async def members_of(
    session: AsyncSession, meeting_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[MeetingMember]]:
    grouped: dict[uuid.UUID, list[MeetingMember]] = {m: [] for m in meeting_ids}
    for member in await session.scalars(
        select(MeetingMember).where(MeetingMember.meeting_id.in_(meeting_ids))
    ):
        grouped[member.meeting_id].append(member)
    return grouped


async def agenda_of(
    session: AsyncSession, meeting_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AgendaItem]]:
    grouped: dict[uuid.UUID, list[AgendaItem]] = {m: [] for m in meeting_ids}
    for item in await session.scalars(
        select(AgendaItem)
        .where(AgendaItem.meeting_id.in_(meeting_ids))
        .order_by(AgendaItem.position)
    ):
        grouped[item.meeting_id].append(item)
    return grouped


async def votes_of(
    session: AsyncSession, item_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Vote]]:
    grouped: dict[uuid.UUID, list[Vote]] = {i: [] for i in item_ids}
    for ballot in await session.scalars(
        select(Vote).where(Vote.item_id.in_(item_ids)).order_by(Vote.created_at)
    ):
        grouped[ballot.item_id].append(ballot)
    return grouped


async def grants_by_items(
    session: AsyncSession, item_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Grant]:
    """The grant each passed claim item produced (matched by meeting and claim)."""
    rows = await session.execute(
        select(AgendaItem.id, Grant)
        .join(
            Grant,
            (Grant.meeting_id == AgendaItem.meeting_id) & (Grant.claim_id == AgendaItem.claim_id),
        )
        .where(AgendaItem.id.in_(item_ids))
    )
    return {item_id: grant for item_id, grant in rows}
