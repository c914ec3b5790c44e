"""Emit events inside the change's transaction; relay them to Redis after it commits.

:func:`emit` only inserts a row, so an event exists exactly when its change does. :func:`relay`
publishes unpublished rows in id order and marks them, taking them with ``FOR UPDATE SKIP
LOCKED`` so several relays (every API replica runs one) never publish the same batch at once.
A crash between PUBLISH and the mark publishes again on the next pass: delivery is at least once,
and every message carries the event id.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.events import hub, versions
from services.events.models import OutboxEvent

PREFIX = "gp:events:"
EMITTED = "gridpoints.outbox.emitted"
BATCH = 200


class Topic(StrEnum):
    ORDER_PUBLISHED = "order.published"
    ORDER_CANCELLED = "order.cancelled"
    CLAIM_CHANGED = "claim.changed"
    GRANT_POSTED = "grant.posted"
    DEMAND_CHANGED = "demand.changed"
    REDEMPTION_CHANGED = "redemption.changed"
    STOCK_CHANGED = "stock.changed"
    WAITLIST_PLACE_FREE = "waitlist.place_free"
    NOTIFICATION_ADDED = "notification.added"
    AUTHORITY_CHANGED = "person.authority_changed"  # on the control channel: sockets reconnect


def community_channel(community_id: uuid.UUID) -> str:
    return f"{PREFIX}community:{community_id}"


def grid_channel(grid_id: uuid.UUID) -> str:
    return f"{PREFIX}grid:{grid_id}"


def unit_channel(unit_id: uuid.UUID) -> str:
    """Everything under one org unit (a grid, community, street or department) that its staff
    follow; an event goes to every unit on its path."""
    return f"{PREFIX}unit:{unit_id}"


PERSON_PREFIX = f"{PREFIX}person:"


def person_channel(person_id: uuid.UUID) -> str:
    return f"{PERSON_PREFIX}{person_id}"


def authority_changed(session: AsyncSession, person_id: uuid.UUID) -> None:
    """The person's roles changed: after the commit, their live sockets on every replica close
    with "reconnect", so their subscriptions follow the person as they now are."""
    emit(
        session,
        Topic.AUTHORITY_CHANGED,
        channels=[hub.CONTROL],
        payload={"personId": str(person_id)},
    )


def emit(
    session: AsyncSession,
    topic: Topic,
    *,
    channels: Iterable[str],
    payload: dict[str, Any],
    community_id: uuid.UUID | None = None,
) -> None:
    """Add the event to the caller's transaction (and mark the session: it has events to relay)."""
    session.info[EMITTED] = True
    session.add(
        OutboxEvent(
            topic=topic.value,
            channels=sorted(set(channels)),
            payload=payload,
            community_id=community_id,
        )
    )


def message(event: OutboxEvent) -> str:
    return json.dumps(
        {"id": event.id, "topic": event.topic, "payload": event.payload}, ensure_ascii=False
    )


def stale(events: Iterable[OutboxEvent]) -> set[str]:
    """What the events' changes made stale in the response cache (:mod:`versions`)."""
    return {
        versions.catalog(event.community_id)
        for event in events
        if event.topic == Topic.STOCK_CHANGED and event.community_id is not None
    }


async def relay(session: AsyncSession, redis: Redis) -> int:
    """Publish one batch of unpublished events; returns how many. Commit after it.

    It also bumps the versions the events name (:func:`stale`): a writer that died
    between its commit and its own bump leaves the response cache stale only until this runs."""
    events = list(
        await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.published_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    if not events:
        return 0
    async with redis.pipeline(transaction=False) as pipe:
        for event in events:
            for channel in event.channels:
                pipe.publish(channel, message(event))
        await pipe.execute()
    await versions.bump(redis, stale(events))
    await session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_([e.id for e in events]))
        .values(published_at=func.now())
    )
    return len(events)
