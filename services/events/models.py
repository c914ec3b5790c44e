"""The transactional outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, String, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, created_at

TOPIC_MAX = 60


class OutboxEvent(Base):
    """An event waiting to be (or already) published. ``channels`` are the Redis channels it goes
    to: a community's, a grid's, a person's. Publishing is at least once; ``id`` orders events
    and lets subscribers drop a repeat."""

    __tablename__ = "outbox_event"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"))
    topic: Mapped[str] = mapped_column(String(TOPIC_MAX))
    channels: Mapped[list[str]] = mapped_column(ARRAY(String(80)))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_outbox_event_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )
