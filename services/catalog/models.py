"""The exchange catalog of a community: goods, venues, services with sessions, windows, settings.

Every table carries ``community_id`` (the distribution key). Counters that must never oversell are
changed only by guarded ``UPDATE ... WHERE <enough> RETURNING`` statements
(:mod:`services.redemptions.reserve`), with a CHECK constraint behind each guard:
``goods.stock >= 0`` and ``0 <= service_session.places_taken <= capacity``.

Point kinds an item accepts are a ``varchar[]`` of :class:`PointKind` values (``{grid,work}``).

**Exchange windows** (:class:`ExchangeWindow`): a community with no window rows is always open.
With rows, the exchange is open on a local (Asia/Shanghai) day when any row matches it:

==============  ==================================================  ====================
``kind``        open on                                             e.g.
==============  ==================================================  ====================
``weekday``     every week on ISO ``weekday`` (1 = Monday)          every Friday: 5
``month_end``   the last ``days`` days of each month                last 3 days: 3
``quarter_end`` the last ``days`` days of each quarter              last week: 7
``dates``       every day from ``starts_on`` to ``ends_on``         a one-off fair
==============  ==================================================  ====================
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, created_at, pg_enum, uuid_pk

NAME_MAX = 100
DESCRIPTION_MAX = 2000
URL_MAX = 500
REASON_MAX = 200
KINDS_CHECK = "cardinality(point_kinds) > 0 AND point_kinds <@ ARRAY['work', 'grid']::varchar[]"


class LimitPeriod(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class WindowKind(StrEnum):
    WEEKDAY = "weekday"
    MONTH_END = "month_end"
    QUARTER_END = "quarter_end"
    DATES = "dates"


def _kinds() -> Mapped[list[str]]:
    return mapped_column(ARRAY(String(10)), server_default=text("'{grid,work}'"))


class Goods(Base):
    """A points-supermarket article (积分超市商品)."""

    __tablename__ = "goods"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str] = mapped_column(Text, server_default="")
    picture_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    price: Mapped[int] = mapped_column(Integer)
    point_kinds: Mapped[list[str]] = _kinds()
    stock: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    low_stock_at: Mapped[int] = mapped_column(Integer, server_default=text("5"))
    limit_per_person: Mapped[int | None] = mapped_column(Integer)
    limit_period: Mapped[LimitPeriod | None] = mapped_column(pg_enum(LimitPeriod, "limit_period"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index("ix_goods_listing", "community_id", "active", "name", "id"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint(KINDS_CHECK, name="point_kinds"),
        CheckConstraint(
            "(limit_per_person IS NULL) = (limit_period IS NULL) "
            "AND (limit_per_person IS NULL OR limit_per_person > 0)",
            name="limit",
        ),
    )


class StockMovement(Base):
    """A restock or an adjustment of a goods' stock, with its reason (the history)."""

    __tablename__ = "goods_stock_movement"

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    goods_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("goods.id"), index=True)
    delta: Mapped[int] = mapped_column(Integer)
    stock_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    actor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (CheckConstraint("delta <> 0", name="delta_not_zero"),)


class Venue(Base):
    """A bookable room (场地): booked in whole slots within its opening hours."""

    __tablename__ = "venue"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str] = mapped_column(Text, server_default="")
    picture_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    capacity: Mapped[int] = mapped_column(Integer)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    max_booking_minutes: Mapped[int] = mapped_column(Integer)
    buffer_minutes: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    weekly_quota: Mapped[int | None] = mapped_column(Integer)
    price_per_slot: Mapped[int] = mapped_column(Integer)
    point_kinds: Mapped[list[str]] = _kinds()
    blackout_dates: Mapped[list[date]] = mapped_column(ARRAY(Date), server_default=text("'{}'"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "slot_minutes BETWEEN 5 AND 1440 AND max_booking_minutes >= slot_minutes",
            name="slots",
        ),
        CheckConstraint("min_notice_minutes >= 0 AND buffer_minutes >= 0", name="notice_buffer"),
        CheckConstraint("weekly_quota IS NULL OR weekly_quota > 0", name="quota_positive"),
        CheckConstraint("price_per_slot > 0", name="price_positive"),
        CheckConstraint(KINDS_CHECK, name="point_kinds"),
    )


class VenueOpening(Base):
    """A venue's opening hours on one ISO weekday (1 = Monday), local time. No row: closed."""

    __tablename__ = "venue_opening"

    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venue.id"), primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday"),
        CheckConstraint("closes > opens", name="hours"),
    )


class Service(Base):
    """A service (服务) such as free dining or infant childcare, offered as sessions."""

    __tablename__ = "service"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str] = mapped_column(Text, server_default="")
    picture_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    point_kinds: Mapped[list[str]] = _kinds()
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (CheckConstraint(KINDS_CHECK, name="point_kinds"),)


class ServiceSession(Base):
    """One sitting of a service (场次) with its places; ``places_taken`` never exceeds them."""

    __tablename__ = "service_session"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int] = mapped_column(Integer)
    places_taken: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    price: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index("ix_service_session_listing", "service_id", "starts_at", "id"),
        Index("ix_service_session_community", "community_id", "starts_at"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("places_taken >= 0 AND places_taken <= capacity", name="never_overbooked"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("ends_at > starts_at", name="time_window"),
    )


class SessionWaitlist(Base):
    """A person waiting for a place on a full session (in ``seq`` order)."""

    __tablename__ = "service_session_waitlist"

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_session.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("session_id", "person_id", name="uq_service_session_waitlist_person"),
    )


class ExchangeSettings(Base):
    """A community's exchange policy (absent: the defaults)."""

    __tablename__ = "exchange_settings"

    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    pickup_days: Mapped[int] = mapped_column(Integer, server_default=text("3"))
    grace_minutes: Mapped[int] = mapped_column(Integer, server_default=text("30"))

    __table_args__ = (
        CheckConstraint("pickup_days BETWEEN 1 AND 60", name="pickup_days"),
        CheckConstraint("grace_minutes BETWEEN 0 AND 1440", name="grace_minutes"),
    )


class ExchangeWindow(Base):
    """One rule of when a community's exchange is open (see the module docstring)."""

    __tablename__ = "exchange_window"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), index=True)
    kind: Mapped[WindowKind] = mapped_column(pg_enum(WindowKind, "exchange_window_kind"))
    weekday: Mapped[int | None] = mapped_column(Integer)
    days: Mapped[int | None] = mapped_column(Integer)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint(
            "CASE kind WHEN 'weekday' THEN weekday BETWEEN 1 AND 7 "
            "WHEN 'dates' THEN starts_on <= ends_on "
            "ELSE days BETWEEN 1 AND 31 END",
            name="rule",
        ),
    )
