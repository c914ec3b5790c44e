"""Write entries into people's inboxes, read and mark them.

:func:`notify` is called by the change that causes the entries, inside its transaction: the
entries, their deliveries (per the kind's channels, less each person's opt-outs, held to the end
of their quiet hours unless urgent), the delivery jobs (procrastinate's, deferred by its own SQL
function, so a rolled-back change sends nothing and a committed one loses nothing) and one outbox
event per recipient (the live ``myNotification`` subscription) are one SQL statement, whatever the
number of recipients.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.errors import DomainError, ErrorCode
from services.events import outbox
from services.notices.kinds import POLICIES, Kind
from services.notices.models import Notification
from services.pagination import Page, check_first

QUIET_START = time(22, 0)
QUIET_END = time(7, 0)
QUEUE = "notices"
IN_APP_ONLY = "gridpoints.notices.in_app_only"  # session.info: write entries, send nothing out
DELIVER_TASK = "deliver"


@dataclass(frozen=True, slots=True)
class Entry:
    person_id: uuid.UUID
    dedupe_key: str  # the cause: one entry per person and cause
    subject_id: uuid.UUID | None = None
    params: dict[str, Any] = field(default_factory=dict)


def quiet_until(moment: datetime) -> datetime | None:
    """The end of the quiet hours ``moment`` falls in (22:00-07:00 Asia/Shanghai), else None."""
    local = moment.astimezone(clock.LOCAL)
    if QUIET_END <= local.time() < QUIET_START:
        return None
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=clock.LOCAL)


_NOTIFY = text(
    """
WITH e AS (
    SELECT * FROM unnest(
        CAST(:people AS uuid[]), CAST(:subjects AS uuid[]),
        CAST(:params AS jsonb[]), CAST(:keys AS text[])
    ) AS e(person_id, subject_id, params, dedupe_key)
), n AS (
    INSERT INTO notification
        (person_id, community_id, kind, subject_type, subject_id, params, urgent, dedupe_key)
    SELECT e.person_id, p.community_id, :kind, :subject_type, e.subject_id, e.params, :urgent,
           e.dedupe_key
    FROM e JOIN person p ON p.id = e.person_id AND p.is_active
    ON CONFLICT (person_id, dedupe_key) DO NOTHING
    RETURNING id, person_id, community_id
), d AS (
    INSERT INTO delivery (notification_id, person_id, community_id, channel, not_before)
    SELECT n.id, n.person_id, n.community_id, CAST(c.channel AS delivery_channel),
           CASE WHEN coalesce(s.quiet_hours, true) THEN CAST(:quiet_until AS timestamptz) END
    FROM n
    CROSS JOIN unnest(CAST(:channels AS text[])) AS c(channel)
    LEFT JOIN notice_settings s ON s.person_id = n.person_id
    WHERE NOT EXISTS (
        SELECT 1 FROM notice_preference np
        WHERE np.person_id = n.person_id AND np.kind = :kind
          AND np.channel = CAST(c.channel AS delivery_channel)
    )
    RETURNING id, not_before
), j AS (
    SELECT procrastinate_defer_jobs_v1(array_agg(ROW(
        :queue, :task, 0, NULL, NULL,
        jsonb_build_object('delivery_id', d.id), now()
    )::procrastinate_job_to_defer_v1)) AS ids
    FROM d HAVING count(*) > 0
), o AS (
    INSERT INTO outbox_event (topic, channels, payload, community_id)
    SELECT :topic, ARRAY[:person_prefix || n.person_id::text],
           jsonb_build_object('notificationId', n.id::text), n.community_id
    FROM n
    RETURNING 1
)
SELECT (SELECT count(*) FROM n) AS entries, (SELECT count(*) FROM o) AS events,
       (SELECT coalesce(cardinality(ids), 0) FROM j) AS jobs
"""
)


async def notify(
    session: AsyncSession,
    kind: Kind,
    entries: Sequence[Entry],
    *,
    subject_type: str | None = None,
) -> int:
    """Write the entries (and their deliveries and jobs); returns how many were new. An entry
    whose person already has one for the same cause is skipped, so calling twice is harmless."""
    if not entries:
        return 0
    policy = POLICIES[kind]
    channels = [] if session.info.get(IN_APP_ONLY) else sorted(c.value for c in policy.channels)
    hold = None if policy.urgent else quiet_until(clock.now())
    row = (
        await session.execute(
            _NOTIFY,
            {
                "people": [e.person_id for e in entries],
                "subjects": [e.subject_id for e in entries],
                "params": [json.dumps(e.params, ensure_ascii=False) for e in entries],
                "keys": [e.dedupe_key for e in entries],
                "kind": kind.value,
                "subject_type": subject_type,
                "urgent": policy.urgent,
                "quiet_until": hold,
                "channels": channels,
                "queue": QUEUE,
                "task": DELIVER_TASK,
                "topic": outbox.Topic.NOTIFICATION_ADDED.value,
                "person_prefix": outbox.PERSON_PREFIX,
            },
        )
    ).one()
    if row.entries:
        session.info[outbox.EMITTED] = True
    return int(row.entries)


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(str(seq).encode()).decode().rstrip("=")


def _seq(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except (ValueError, binascii.Error) as error:
        raise DomainError(ErrorCode.INVALID_CURSOR, field="after") from error


async def page(
    session: AsyncSession,
    person_id: uuid.UUID,
    *,
    first: int,
    after: str | None,
    unread_only: bool,
) -> Page[Notification]:
    """The person's entries, newest first."""
    check_first(first)
    stmt = select(Notification).where(Notification.person_id == person_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if after is not None:
        stmt = stmt.where(Notification.seq < _seq(after))
    rows = list(
        (await session.scalars(stmt.order_by(Notification.seq.desc()).limit(first + 1))).all()
    )
    has_next = len(rows) > first
    rows = rows[:first]
    return Page(rows, [_cursor(r.seq) for r in rows], has_next, after is not None)


async def get(
    session: AsyncSession, person_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    """The entry, only for its own person."""
    return await session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.person_id == person_id
        )
    )


async def unread_count(session: AsyncSession, person_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.person_id == person_id, Notification.read_at.is_(None))
        )
        or 0
    )


MARK_MAX = 100


async def mark_read(
    session: AsyncSession, person_id: uuid.UUID, ids: Sequence[uuid.UUID] | None
) -> int:
    """Mark the person's entries read (``None``: all of them); others' ids are ignored, so the
    answer never tells whether someone else's entry exists. Returns the unread count after."""
    if ids is not None and len(ids) > MARK_MAX:
        raise DomainError(ErrorCode.TOO_MANY_ITEMS, field="ids", max=MARK_MAX)
    stmt = update(Notification).where(
        Notification.person_id == person_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    await session.execute(stmt.values(read_at=func.now()))
    return await unread_count(session, person_id)
