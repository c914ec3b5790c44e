"""The waitlist of a full service session: join, leave, and your place in the queue.

Joining is refused while places are free (book them instead). When a cancel or an expiry gives
places back, the people waiting are not booked automatically (a booking spends their points, so
it needs their own checkout): the first in line are told (``waitlist.place_free`` on their person
channel), and a freed place is kept for the queue: checkout only lets someone take a place that
nobody ahead of them in the queue is waiting for (:func:`services.redemptions.basket`), so a
newcomer never jumps it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.authz import Actor
from services.catalog.models import ServiceSession, SessionWaitlist
from services.errors import DomainError, ErrorCode


async def position(session: AsyncSession, actor: Actor, session_id: uuid.UUID) -> int | None:
    """1-based place of the actor in the session's queue, or None when not waiting."""
    mine = await session.scalar(
        select(SessionWaitlist.seq).where(
            SessionWaitlist.session_id == session_id, SessionWaitlist.person_id == actor.person_id
        )
    )
    if mine is None:
        return None
    ahead = await session.scalar(
        select(func.count()).where(
            SessionWaitlist.session_id == session_id, SessionWaitlist.seq <= mine
        )
    )
    return int(ahead or 0)


async def join(session: AsyncSession, actor: Actor, *, session_id: uuid.UUID) -> int:
    """Wait for a place on a full session of your community; your position."""
    sitting = await session.get(ServiceSession, session_id)
    if sitting is None or sitting.community_id != actor.community_id:
        raise DomainError(ErrorCode.NOT_FOUND, field="sessionId")
    if sitting.starts_at <= clock.now():
        raise DomainError(ErrorCode.TOO_LATE_TO_BOOK, field="sessionId")
    if sitting.places_taken < sitting.capacity:
        raise DomainError(ErrorCode.INVALID_STATE, field="sessionId")
    await session.execute(
        insert(SessionWaitlist)
        .values(community_id=sitting.community_id, session_id=sitting.id, person_id=actor.person_id)
        .on_conflict_do_nothing()
    )
    found = await position(session, actor, sitting.id)
    assert found is not None
    return found


async def leave(session: AsyncSession, actor: Actor, *, session_id: uuid.UUID) -> None:
    await session.execute(
        delete(SessionWaitlist).where(
            SessionWaitlist.session_id == session_id, SessionWaitlist.person_id == actor.person_id
        )
    )
