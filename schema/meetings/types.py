"""GraphQL types of joint meetings, agenda items, votes and grants."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.ledger.types import PointKind
from schema.orders.types import Claim
from schema.people.types import SeatType, mask_name
from schema.relay import Node, to_global_id
from services.meetings import decisions, models
from services.meetings import grants as grant_service

MeetingState = strawberry.enum(models.MeetingState, name="MeetingState")
ItemKind = strawberry.enum(models.ItemKind, name="AgendaItemKind")
Proposal = strawberry.enum(models.Proposal, name="Proposal")
Choice = strawberry.enum(models.Choice, name="VoteChoice")
ItemOutcome = strawberry.enum(models.ItemOutcome, name="AgendaItemOutcome")
GrantStatus = strawberry.enum(grant_service.GrantStatus, name="GrantStatus")


@strawberry.type(description="A grant on the public board (公示栏): names are masked.")
class Grant(Node):
    points: int
    point_kind: PointKind  # type: ignore[valid-type]
    status: GrantStatus  # type: ignore[valid-type]
    publicity_ends_at: datetime
    masked_name: str
    order_title: str
    created_at: datetime

    @classmethod
    def from_detail(cls, detail: grant_service.GrantDetail) -> Grant:
        grant = detail.grant
        return cls(
            id=to_global_id("Grant", grant.id),
            points=grant.points,
            point_kind=detail.point_kind,
            status=grant_service.status(grant),
            publicity_ends_at=grant.publicity_ends_at,
            masked_name=mask_name(detail.person_name),
            order_title=detail.order_title,
            created_at=grant.created_at,
        )


@strawberry.type
class MeetingMember:
    person_local_id: strawberry.Private[uuid.UUID]
    seat_type: SeatType  # type: ignore[valid-type]
    present: bool

    @strawberry.field(description="Members hold a public role: their names are shown.")
    async def name(self, info: Info[Context, None]) -> str:
        return await (await info.context.loaders()).name.load(self.person_local_id) or ""


@strawberry.type
class Tally:
    for_: int = strawberry.field(name="for")
    against: int
    abstain: int
    passed: bool


@strawberry.type
class VoteRecord:
    person_local_id: strawberry.Private[uuid.UUID]
    choice: Choice  # type: ignore[valid-type]

    @strawberry.field
    async def voter_name(self, info: Info[Context, None]) -> str:
        return await (await info.context.loaders()).name.load(self.person_local_id) or ""


@strawberry.type(description="One decision on the agenda: what is proposed, and how it went.")
class AgendaItem(Node):
    local_id: strawberry.Private[uuid.UUID]
    claim_local_id: strawberry.Private[uuid.UUID]
    kind: ItemKind  # type: ignore[valid-type]
    position: int
    proposal: Proposal  # type: ignore[valid-type]
    points: int
    reason: str | None
    outcome: ItemOutcome  # type: ignore[valid-type]

    @classmethod
    def from_model(cls, item: models.AgendaItem) -> AgendaItem:
        return cls(
            id=to_global_id("AgendaItem", item.id),
            local_id=item.id,
            claim_local_id=item.claim_id,
            kind=item.kind,
            position=item.position,
            proposal=item.proposal,
            points=item.points,
            reason=item.reason,
            outcome=item.outcome,
        )

    @strawberry.field(description="The claim under evaluation (the evidence: check-in/out, hours).")
    async def claim(self, info: Info[Context, None]) -> Claim | None:
        claim = await (await info.context.loaders()).claim.load(self.claim_local_id)
        return Claim.from_model(claim) if claim else None

    @strawberry.field
    async def votes(self, info: Info[Context, None]) -> list[VoteRecord]:
        ballots = await (await info.context.loaders()).votes.load(self.local_id)
        return [VoteRecord(person_local_id=b.person_id, choice=b.choice) for b in ballots]

    @strawberry.field
    async def tally(self, info: Info[Context, None]) -> Tally:
        ballots = await (await info.context.loaders()).votes.load(self.local_id)
        tally = decisions.Tally.of(ballot.choice for ballot in ballots)
        return Tally(
            for_=tally.for_, against=tally.against, abstain=tally.abstain, passed=tally.passed
        )

    @strawberry.field(description="The grant this decision produced, if any.")
    async def grant(self, info: Info[Context, None]) -> Grant | None:
        loaders = await info.context.loaders()
        grant = await loaders.grant_by_item.load(self.local_id)
        if grant is None:
            return None
        detail = await loaders.grant_detail.load(grant.id)
        return Grant.from_detail(detail) if detail else None


@strawberry.type(description="A joint meeting (联席会议); once closed, this is its minutes.")
class JointMeeting(Node):
    local_id: strawberry.Private[uuid.UUID]
    title: str
    scheduled_at: datetime
    quorum: int
    state: MeetingState  # type: ignore[valid-type]
    closed_at: datetime | None

    @classmethod
    def from_model(cls, meeting: models.JointMeeting) -> JointMeeting:
        return cls(
            id=to_global_id("JointMeeting", meeting.id),
            local_id=meeting.id,
            title=meeting.title,
            scheduled_at=meeting.scheduled_at,
            quorum=meeting.quorum,
            state=meeting.state,
            closed_at=meeting.closed_at,
        )

    @strawberry.field
    async def members(self, info: Info[Context, None]) -> list[MeetingMember]:
        rows = await (await info.context.loaders()).meeting_members.load(self.local_id)
        return [
            MeetingMember(person_local_id=m.person_id, seat_type=m.seat_type, present=m.present)
            for m in rows
        ]

    @strawberry.field
    async def present_count(self, info: Info[Context, None]) -> int:
        rows = await (await info.context.loaders()).meeting_members.load(self.local_id)
        return sum(1 for m in rows if m.present)

    @strawberry.field
    async def agenda(self, info: Info[Context, None]) -> list[AgendaItem]:
        rows = await (await info.context.loaders()).agenda.load(self.local_id)
        return [AgendaItem.from_model(item) for item in rows]
