"""Volunteer orders and claims.

An order's stored ``state`` is draft, published, completed or cancelled; "full" and "in progress"
are read off the places and the clock (:func:`services.orders.service.status`), so no background
job has to flip them. ``places_taken`` counts claimed places and never exceeds ``places``: the
claim path increments it with one guarded UPDATE, and a CHECK constraint backs that up.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, created_at, pg_enum, uuid_pk
from services.ledger.models import PointKind, point_kind_enum


class OrderState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class OrderScope(StrEnum):
    COMMUNITY = "community"
    GRID = "grid"


class ClaimState(StrEnum):
    CLAIMED = "claimed"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


class Attendance(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    NO_SHOW = "no_show"


TITLE_MAX = 100
CONTENT_MAX = 2000
CATEGORY_MAX = 40
LOCATION_MAX = 200
REASON_MAX = 500


class VolunteerOrder(Base):
    __tablename__ = "volunteer_order"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), index=True)
    scope: Mapped[OrderScope] = mapped_column(pg_enum(OrderScope, "order_scope"))
    grid_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    content: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(CATEGORY_MAX))
    location: Mapped[str] = mapped_column(String(LOCATION_MAX))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claim_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    places: Mapped[int] = mapped_column(Integer)
    places_taken: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    points: Mapped[int] = mapped_column(Integer)
    point_kind: Mapped[PointKind] = mapped_column(point_kind_enum())
    party_first_hours: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    state: Mapped[OrderState] = mapped_column(
        pg_enum(OrderState, "order_state"),
        server_default=OrderState.DRAFT.value,
    )
    publisher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        CheckConstraint("places > 0", name="places_positive"),
        CheckConstraint("places_taken >= 0 AND places_taken <= places", name="never_overbooked"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        CheckConstraint("ends_at > starts_at AND claim_deadline <= starts_at", name="time_window"),
        CheckConstraint("(scope = 'grid') = (grid_id IS NOT NULL)", name="grid_iff_grid_scope"),
        Index("ix_volunteer_order_listing", "community_id", "state", "starts_at", "id"),
    )


class Claim(Base):
    """A person's place (or waitlist spot) on an order, and what happened on the day."""

    __tablename__ = "order_claim"

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)  # waitlist order
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("volunteer_order.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("household.id"))
    state: Mapped[ClaimState] = mapped_column(pg_enum(ClaimState, "claim_state"))
    as_party_member: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attendance: Mapped[Attendance] = mapped_column(
        pg_enum(Attendance, "attendance"),
        server_default=Attendance.PENDING.value,
    )
    minutes: Mapped[int | None] = mapped_column(Integer)
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    correction_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        # one live claim per person per order; a withdrawn claim may be made again
        Index(
            "uq_order_claim_live",
            "order_id",
            "person_id",
            unique=True,
            postgresql_where=text("state IN ('claimed', 'waitlisted')"),
        ),
        Index("ix_order_claim_waitlist", "order_id", "state", "seq"),
        CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes_not_negative"),
    )
