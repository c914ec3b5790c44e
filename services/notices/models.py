"""Inbox entries, their deliveries per channel, people's preferences and the SMS budget.

A notification is one person's entry about one thing (``subject_type`` + ``subject_id``), with
the parameters of its localized text. ``dedupe_key`` is unique per person: the cause of an entry
(an event, a reminder's due moment) names it, so a job that runs twice, or two workers that scan
for the same reminder, write one entry. A delivery is one channel's attempt to carry an entry
out; ``UNIQUE (notification_id, channel)`` keeps it to one per entry and channel.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

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
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, created_at, pg_enum, uuid_pk

KIND_MAX = 40
DEDUPE_MAX = 160
ERROR_MAX = 500


class Channel(StrEnum):
    SMS = "sms"
    WECHAT = "wechat"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its job (maybe a retry, maybe the end of quiet hours)
    SENT = "sent"
    FAILED = "failed"  # the last attempt failed; another is scheduled
    GIVEN_UP = "given_up"  # no more attempts: ``error`` says why


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"))
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[uuid.UUID | None] = mapped_column()
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    urgent: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    dedupe_key: Mapped[str] = mapped_column(String(DEDUPE_MAX))
    created_at: Mapped[datetime] = created_at()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("person_id", "dedupe_key", name="uq_notification_cause"),
        Index("ix_notification_inbox", "person_id", "seq"),
        Index("ix_notification_unread", "person_id", postgresql_where=text("read_at IS NULL")),
    )


class Delivery(Base):
    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE")
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"))
    channel: Mapped[Channel] = mapped_column(pg_enum(Channel, "delivery_channel"))
    status: Mapped[DeliveryStatus] = mapped_column(
        pg_enum(DeliveryStatus, "delivery_status"), server_default=DeliveryStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    provider_id: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(String(ERROR_MAX))
    cost: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = created_at()
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_delivery_channel"),
        Index("ix_delivery_person", "person_id", "id"),
        Index("ix_delivery_community", "community_id", "created_at"),
        Index(
            "ix_delivery_open",
            "id",
            postgresql_where=text("status IN ('pending', 'failed')"),
        ),
    )


class NoticePreference(Base):
    """An opt-out: the person does not want ``kind`` by ``channel`` (in-app is always on)."""

    __tablename__ = "notice_preference"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(KIND_MAX), primary_key=True)
    channel: Mapped[Channel] = mapped_column(pg_enum(Channel, "delivery_channel"), primary_key=True)


class NoticeSettings(Base):
    """A person's quiet hours (22:00-07:00 Asia/Shanghai, on unless turned off)."""

    __tablename__ = "notice_settings"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    quiet_hours: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class SmsBudgetUse(Base):
    """SMS sent (or being sent) by a community on one Asia/Shanghai day: taken one at a time with
    a guarded UPDATE (``used < budget``), so two workers never overspend."""

    __tablename__ = "sms_budget_use"

    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    __table_args__ = (CheckConstraint("used >= 0", name="used"),)


__all__ = [
    "ERROR_MAX",
    "Channel",
    "Delivery",
    "DeliveryStatus",
    "NoticePreference",
    "NoticeSettings",
    "Notification",
    "SmsBudgetUse",
]
