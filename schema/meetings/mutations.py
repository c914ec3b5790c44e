"""Mutations of joint meetings: convene, attend, propose, vote, close; object to a grant."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error
from schema.meetings.types import AgendaItem, Choice, JointMeeting, Proposal
from schema.mutations import perform
from schema.relay import decode_id
from services.authz import Actor
from services.meetings import decisions
from services.meetings import grants as grant_service
from services.meetings import service as meeting_service
from services.meetings.models import AgendaItem as AgendaItemModel
from services.meetings.models import JointMeeting as JointMeetingModel


@strawberry.input
class MeetingConveneInput:
    community_id: strawberry.ID
    title: str
    scheduled_at: datetime
    quorum: int = strawberry.field(description="Members who must be present to decide.")
    member_ids: list[strawberry.ID] = strawberry.field(
        description="People holding a joint-meeting seat in the community."
    )


@strawberry.input
class MeetingInput:
    meeting_id: strawberry.ID


@strawberry.type
class MeetingPayload:
    meeting: JointMeeting | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class AgendaItemProposeInput:
    item_id: strawberry.ID
    proposal: Proposal  # type: ignore[valid-type]
    points: int | None = strawberry.field(default=None, description="For ADJUST.")
    reason: str | None = strawberry.field(default=None, description="For ADJUST and REJECT.")


@strawberry.type
class AgendaItemPayload:
    item: AgendaItem | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class MeetingVoteInput:
    item_id: strawberry.ID
    choice: Choice  # type: ignore[valid-type]


@strawberry.type
class MeetingVotePayload:
    item: AgendaItem | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class GrantObjectInput:
    grant_id: strawberry.ID
    reason: str


@strawberry.type
class GrantObjectPayload:
    objected: bool = False
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class MeetingMutation:
    @strawberry.mutation(description="Convene a joint meeting; its agenda collects itself.")
    async def meeting_convene(
        self, info: Info[Context, None], input: MeetingConveneInput
    ) -> MeetingPayload:
        meeting, errors = await perform(
            info,
            lambda s, actor: meeting_service.convene(
                s,
                actor,
                community_id=decode_id(input.community_id, "OrgUnit", field="communityId"),
                title=input.title,
                scheduled_at=input.scheduled_at,
                quorum=input.quorum,
                member_ids=[decode_id(m, "Person", field="memberIds") for m in input.member_ids],
            ),
        )
        return MeetingPayload(
            meeting=JointMeeting.from_model(meeting) if meeting else None, errors=list(errors)
        )

    @strawberry.mutation(description="Sign in to a meeting you are a member of.")
    async def meeting_attend(
        self, info: Info[Context, None], input: MeetingInput
    ) -> MeetingPayload:
        async def work(session: AsyncSession, actor: Actor) -> JointMeetingModel:
            meeting_id = decode_id(input.meeting_id, "JointMeeting", field="meetingId")
            await meeting_service.attend(session, actor, meeting_id=meeting_id)
            return await meeting_service.open_meeting(session, meeting_id)

        meeting, errors = await perform(info, work)
        return MeetingPayload(
            meeting=JointMeeting.from_model(meeting) if meeting else None, errors=list(errors)
        )

    @strawberry.mutation(description="Set what members vote on for an item.")
    async def agenda_item_propose(
        self, info: Info[Context, None], input: AgendaItemProposeInput
    ) -> AgendaItemPayload:
        item, errors = await perform(
            info,
            lambda s, actor: meeting_service.propose(
                s,
                actor,
                item_id=decode_id(input.item_id, "AgendaItem", field="itemId"),
                proposal=input.proposal,
                points=input.points,
                reason=input.reason,
            ),
        )
        return AgendaItemPayload(
            item=AgendaItem.from_model(item) if item else None, errors=list(errors)
        )

    @strawberry.mutation(description="Vote on an agenda item (once; never on your own claim).")
    async def meeting_vote(
        self, info: Info[Context, None], input: MeetingVoteInput
    ) -> MeetingVotePayload:
        async def work(session: AsyncSession, actor: Actor) -> AgendaItemModel | None:
            item_id = decode_id(input.item_id, "AgendaItem", field="itemId")
            await meeting_service.vote(session, actor, item_id=item_id, choice=input.choice)
            return await session.get(AgendaItemModel, item_id)

        item, errors = await perform(info, work)
        return MeetingVotePayload(
            item=AgendaItem.from_model(item) if item else None, errors=list(errors)
        )

    @strawberry.mutation(description="Close the meeting: decisions take effect, grants are held.")
    async def meeting_close(self, info: Info[Context, None], input: MeetingInput) -> MeetingPayload:
        meeting, errors = await perform(
            info,
            lambda s, actor: decisions.close(
                s, actor, meeting_id=decode_id(input.meeting_id, "JointMeeting", field="meetingId")
            ),
        )
        return MeetingPayload(
            meeting=JointMeeting.from_model(meeting) if meeting else None, errors=list(errors)
        )

    @strawberry.mutation(description="Object (异议) to a grant during its publicity period.")
    async def grant_object(
        self, info: Info[Context, None], input: GrantObjectInput
    ) -> GrantObjectPayload:
        objection, errors = await perform(
            info,
            lambda s, actor: grant_service.object_to(
                s,
                actor,
                grant_id=decode_id(input.grant_id, "Grant", field="grantId"),
                reason=input.reason,
            ),
        )
        return GrantObjectPayload(objected=objection is not None, errors=list(errors))
