"""Closing a meeting: tally the votes, turn passed decisions into held grants, and write minutes.

An item passes by a majority of the votes cast (for > against; abstentions are not votes cast),
and only with the quorum present when the meeting closes. A passed approve/adjust on a claim
becomes a :class:`Grant` whose points are held on the ledger (community issuance → the person)
for the publicity period; a passed reject records the decision and grants nothing. A failed item
leaves its claim for the next meeting. For an objection item, "approve" dismisses the objection
(the grant resumes its publicity), "adjust" voids the hold and grants the new amount with a new
publicity period, and "reject" upholds the objection and voids the hold.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.authz import Actor
from services.errors import DomainError, ErrorCode
from services.ledger import service as ledger
from services.ledger.models import AccountType, Cause
from services.meetings.models import (
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
from services.meetings.service import open_meeting, require_convener
from services.notices import about
from services.orders.models import Claim, VolunteerOrder
from services.orgs.models import DEFAULT_PUBLICITY_DAYS, CommunitySettings


@dataclass(frozen=True, slots=True)
class Tally:
    for_: int
    against: int
    abstain: int

    @property
    def passed(self) -> bool:
        return self.for_ > self.against

    @classmethod
    def of(cls, choices: Iterable[Choice]) -> Tally:
        counts = Counter(choices)
        return cls(counts[Choice.FOR], counts[Choice.AGAINST], counts[Choice.ABSTAIN])


async def tallies(session: AsyncSession, item_ids: list[uuid.UUID]) -> dict[uuid.UUID, Tally]:
    choices: dict[uuid.UUID, list[Choice]] = {item: [] for item in item_ids}
    for item_id, choice in await session.execute(
        select(Vote.item_id, Vote.choice).where(Vote.item_id.in_(item_ids))
    ):
        choices[item_id].append(choice)
    return {item: Tally.of(votes) for item, votes in choices.items()}


async def publicity_days(session: AsyncSession, community_id: uuid.UUID) -> int:
    days = await session.scalar(
        select(CommunitySettings.publicity_days).where(
            CommunitySettings.community_id == community_id
        )
    )
    return int(days or DEFAULT_PUBLICITY_DAYS)


async def close(session: AsyncSession, actor: Actor, *, meeting_id: uuid.UUID) -> JointMeeting:
    meeting = await open_meeting(session, meeting_id, for_update=True)
    await require_convener(session, actor, meeting)
    present = len(
        (
            await session.scalars(
                select(MeetingMember.person_id).where(
                    MeetingMember.meeting_id == meeting.id, MeetingMember.present
                )
            )
        ).all()
    )
    if present < meeting.quorum:
        raise DomainError(ErrorCode.QUORUM_NOT_MET, required=meeting.quorum, present=present)
    now = clock.now()
    ends = now + timedelta(days=await publicity_days(session, meeting.community_id))
    items = list(
        await session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position)
        )
    )
    votes = await tallies(session, [item.id for item in items])
    for item in items:
        item.outcome = ItemOutcome.PASSED if votes[item.id].passed else ItemOutcome.FAILED
        if item.outcome is ItemOutcome.PASSED:
            await _apply(session, actor, meeting, item, ends)
    meeting.state = MeetingState.CLOSED
    meeting.closed_at = now
    await session.flush()
    return meeting


async def _apply(
    session: AsyncSession,
    actor: Actor,
    meeting: JointMeeting,
    item: AgendaItem,
    publicity_ends_at: datetime,
) -> None:
    if item.kind is ItemKind.CLAIM:
        if item.proposal is not Proposal.REJECT and item.points > 0:
            await _grant(session, actor, meeting, item, publicity_ends_at)
        return
    grant = await session.get(Grant, item.grant_id, with_for_update=True)
    assert grant is not None
    if item.proposal is Proposal.APPROVE:  # objection dismissed
        grant.state = GrantState.PUBLICIZED
        return
    await ledger.void(
        session, pending_id=grant.hold_id, actor_id=actor.person_id, reason=item.reason or ""
    )
    grant.state = GrantState.VOIDED
    grant.settled_at = clock.now()
    if item.proposal is Proposal.ADJUST and item.points > 0:
        await _grant(session, actor, meeting, item, publicity_ends_at)


async def _grant(
    session: AsyncSession,
    actor: Actor,
    meeting: JointMeeting,
    item: AgendaItem,
    publicity_ends_at: datetime,
) -> Grant:
    row = (
        await session.execute(
            select(Claim, VolunteerOrder)
            .join(VolunteerOrder, VolunteerOrder.id == Claim.order_id)
            .where(Claim.id == item.claim_id)
        )
    ).one()
    claim, order = row
    grant_id = uuid.uuid4()
    issuance = await ledger.system_account(
        session, community_id=meeting.community_id, type=AccountType.ISSUANCE, kind=order.point_kind
    )
    account = await ledger.person_account(
        session, community_id=meeting.community_id, person_id=claim.person_id, kind=order.point_kind
    )
    hold = await ledger.hold(
        session,
        community_id=meeting.community_id,
        debit_account_id=issuance.id,
        credit_account_id=account.id,
        amount=item.points,
        kind=order.point_kind,
        cause=Cause.MEETING_DECISION,
        cause_id=grant_id,
        reason=f"{meeting.title}: {order.title}" + (f" ({item.reason})" if item.reason else ""),
        actor_id=actor.person_id,
    )
    grant = Grant(
        id=grant_id,
        community_id=meeting.community_id,
        claim_id=claim.id,
        person_id=claim.person_id,
        meeting_id=meeting.id,
        points=item.points,
        hold_id=hold.id,
        state=GrantState.PUBLICIZED,
        publicity_ends_at=publicity_ends_at,
    )
    session.add(grant)
    await session.flush()
    await about.grant_publicized(session, grant)
    return grant
