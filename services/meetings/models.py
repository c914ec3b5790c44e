"""Joint meetings, their agenda and votes; the grants they decide and objections to them.

A grant is held on the ledger when the meeting closes (issuance → the person, pending) and is
posted when its publicity period (公示) ends without an open objection, or voided when a later
meeting upholds an objection. Its displayed status is read off the clock as well
(:func:`services.meetings.grants.status`), so a stopped worker delays posting but never shows a
wrong state.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, created_at, pg_enum, uuid_pk
from services.people.models import SeatType

TITLE_MAX = 100
REASON_MAX = 500


class MeetingState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ItemKind(StrEnum):
    CLAIM = "claim"  # evaluate a completed, confirmed claim
    OBJECTION = "objection"  # review a grant someone objected to during publicity


class Proposal(StrEnum):
    APPROVE = "approve"
    ADJUST = "adjust"
    REJECT = "reject"


class Choice(StrEnum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"


class ItemOutcome(StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


class GrantState(StrEnum):
    PUBLICIZED = "publicized"
    OBJECTED = "objected"
    POSTED = "posted"
    VOIDED = "voided"


class JointMeeting(Base):
    __tablename__ = "joint_meeting"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    quorum: Mapped[int] = mapped_column(Integer)
    state: Mapped[MeetingState] = mapped_column(
        pg_enum(MeetingState, "meeting_state"),
        server_default=MeetingState.OPEN.value,
    )
    convened_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (CheckConstraint("quorum > 0", name="quorum_positive"),)


class MeetingMember(Base):
    __tablename__ = "meeting_member"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("joint_meeting.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), primary_key=True)
    seat_type: Mapped[SeatType] = mapped_column(pg_enum(SeatType, "seat_type"))
    present: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class AgendaItem(Base):
    __tablename__ = "agenda_item"

    id: Mapped[uuid.UUID] = uuid_pk()
    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("joint_meeting.id", ondelete="CASCADE"), index=True
    )
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    kind: Mapped[ItemKind] = mapped_column(pg_enum(ItemKind, "agenda_item_kind"))
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order_claim.id"), index=True)
    grant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("point_grant.id"))
    proposal: Mapped[Proposal] = mapped_column(pg_enum(Proposal, "proposal"))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    outcome: Mapped[ItemOutcome] = mapped_column(
        pg_enum(ItemOutcome, "item_outcome"),
        server_default=ItemOutcome.PENDING.value,
    )
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("meeting_id", "claim_id", name="uq_agenda_item_meeting_claim"),
        CheckConstraint("points >= 0", name="points_not_negative"),
    )


class Vote(Base):
    """One vote per member per item: the primary key makes a double vote impossible."""

    __tablename__ = "meeting_vote"

    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), primary_key=True)
    choice: Mapped[Choice] = mapped_column(pg_enum(Choice, "vote_choice"))
    created_at: Mapped[datetime] = created_at()


class Grant(Base):
    """Points a meeting decided to grant for a claim; held, publicized, then posted or voided."""

    __tablename__ = "point_grant"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), index=True)
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order_claim.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("joint_meeting.id"))
    points: Mapped[int] = mapped_column(Integer)
    hold_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_transfer.id"), unique=True)
    state: Mapped[GrantState] = mapped_column(
        pg_enum(GrantState, "grant_state"),
        server_default=GrantState.PUBLICIZED.value,
    )
    publicity_ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_point_grant_due", "state", "publicity_ends_at"),
    )


class Objection(Base):
    __tablename__ = "grant_objection"

    id: Mapped[uuid.UUID] = uuid_pk()
    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("point_grant.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("grant_id", "person_id", name="uq_grant_objection_grant_person"),
    )
