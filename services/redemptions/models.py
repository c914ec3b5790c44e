"""Redemptions (兑换), their lines, and venue bookings.

A redemption's stored ``state`` is reserved, fulfilled, cancelled or expired; a reserved one past
its ``deadline`` *reads* as expired (:func:`services.redemptions.service.status`) before the worker
or the next claimant releases it. ``pickup_code`` is unique per community.

A venue is never double-booked: ``venue_booking`` has an exclusion constraint over
(``venue_id`` =, ``blocked`` &&) for active rows (btree_gist for the uuid equality). ``blocked`` is
``[starts_at, ends_at + the venue's buffer)``, so the buffer between bookings is part of the same
guarantee.
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
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import TSTZRANGE, ExcludeConstraint, Range
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, created_at, pg_enum, uuid_pk
from services.ledger.models import PointKind, point_kind_enum

CODE_LENGTH = 8
TITLE_MAX = 100
NO_DOUBLE_BOOKING = "ex_venue_booking_no_overlap"


class RedemptionState(StrEnum):
    RESERVED = "reserved"  # held points, reserved stock/slot/places, waiting for pickup
    FULFILLED = "fulfilled"  # written off (核销): the hold posted
    CANCELLED = "cancelled"  # by the person before pickup: hold voided, everything released
    EXPIRED = "expired"  # not picked up by the deadline: hold voided, everything released


class LineKind(StrEnum):
    GOODS = "goods"
    VENUE = "venue"
    SESSION = "session"


class Redemption(Base):
    __tablename__ = "redemption"

    id: Mapped[uuid.UUID] = uuid_pk()
    # decreasing (-1, -2, ...): ascending order_key is newest first, for keyset pages
    order_key: Mapped[int] = mapped_column(
        BigInteger, Identity(start=-1, increment=-1), unique=True
    )
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    grid_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"))
    point_kind: Mapped[PointKind] = mapped_column(point_kind_enum())
    total: Mapped[int] = mapped_column(Integer)
    hold_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_transfer.id"), unique=True)
    pickup_code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    state: Mapped[RedemptionState] = mapped_column(
        pg_enum(RedemptionState, "redemption_state"),
        server_default=RedemptionState.RESERVED.value,
    )
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fulfilled_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))

    __table_args__ = (
        UniqueConstraint("community_id", "pickup_code", name="uq_redemption_community_code"),
        Index("ix_redemption_person", "person_id", "order_key"),
        Index("ix_redemption_queue", "community_id", "state", "deadline"),
        Index(
            "ix_redemption_due",
            "deadline",
            postgresql_where=text("state = 'reserved'"),
        ),
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint(
            "(state = 'reserved') = (closed_at IS NULL) "
            "AND (state = 'fulfilled') = (fulfilled_by IS NOT NULL)",
            name="closing",
        ),
    )


class RedemptionLine(Base):
    """One basket line: goods (quantity), a venue booking, or places on a service session."""

    __tablename__ = "redemption_line"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    redemption_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("redemption.id"), index=True)
    kind: Mapped[LineKind] = mapped_column(pg_enum(LineKind, "redemption_line_kind"))
    goods_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("goods.id"), index=True)
    venue_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("venue.id"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_session.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    quantity: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("quantity > 0 AND points > 0", name="positive"),
        CheckConstraint(
            "(kind = 'goods') = (goods_id IS NOT NULL) "
            "AND (kind = 'venue') = (venue_id IS NOT NULL) "
            "AND (kind = 'session') = (session_id IS NOT NULL)",
            name="one_item",
        ),
    )


class VenueBooking(Base):
    """A venue reserved from ``starts_at`` to ``ends_at`` for a redemption (while ``active``)."""

    __tablename__ = "venue_booking"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venue.id"))
    # deferred: the booking goes in before its redemption (slot before ledger, see .basket)
    redemption_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("redemption.id", deferrable=True, initially="DEFERRED"), unique=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    blocked: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        ExcludeConstraint(
            ("venue_id", "="),
            ("blocked", "&&"),
            name=NO_DOUBLE_BOOKING,
            using="gist",
            where=text("active"),
        ),
        Index("ix_venue_booking_calendar", "venue_id", "starts_at"),
        Index("ix_venue_booking_person", "person_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="time_window"),
    )
