"""Grants after the meeting: publicity (公示), objections, posting, the public board, rankings.

Status is judged from the clock on every read: a publicized grant whose period is over shows as
posted even before :func:`settle_due` has written the ledger posting, and :func:`settle_due`
(run by the worker, and before reading balances) makes the ledger agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock, validation
from services.authz import Actor
from services.errors import DomainError, ErrorCode
from services.events import outbox
from services.events.outbox import Topic
from services.ledger import service as ledger
from services.ledger.models import PointKind
from services.meetings.models import REASON_MAX, Grant, GrantState, Objection
from services.notices import about
from services.orders.models import Claim, VolunteerOrder
from services.pagination import Page, keyset_page
from services.people.models import Person


class GrantStatus(StrEnum):
    IN_PUBLICITY = "in_publicity"
    UNDER_REVIEW = "under_review"
    POSTED = "posted"
    VOIDED = "voided"


def status(grant: Grant, now: datetime | None = None) -> GrantStatus:
    if grant.state is GrantState.POSTED:
        return GrantStatus.POSTED
    if grant.state is GrantState.VOIDED:
        return GrantStatus.VOIDED
    if grant.state is GrantState.OBJECTED:
        return GrantStatus.UNDER_REVIEW
    moment = now or clock.now()
    return GrantStatus.POSTED if moment >= grant.publicity_ends_at else GrantStatus.IN_PUBLICITY


async def object_to(
    session: AsyncSession, actor: Actor, *, grant_id: uuid.UUID, reason: str
) -> Objection:
    """Anyone in the grant's community may object during publicity; the grant goes back to the
    next meeting."""
    grant = await session.scalar(select(Grant).where(Grant.id == grant_id).with_for_update())
    if grant is None or grant.community_id != actor.community_id:
        raise DomainError(ErrorCode.NOT_FOUND, field="grantId")
    if status(grant) not in (GrantStatus.IN_PUBLICITY, GrantStatus.UNDER_REVIEW):
        raise DomainError(ErrorCode.PUBLICITY_OVER)
    text = validation.required_text(reason, field="reason", max_length=REASON_MAX)
    objection = Objection(grant_id=grant.id, person_id=actor.person_id, reason=text)
    try:
        async with session.begin_nested():
            session.add(objection)
            await session.flush()
    except IntegrityError as error:
        raise DomainError(ErrorCode.ALREADY_OBJECTED) from error
    grant.state = GrantState.OBJECTED
    await session.flush()
    return objection


async def settle_due(
    session: AsyncSession, *, now: datetime | None = None, community_id: uuid.UUID | None = None
) -> int:
    """Post every grant whose publicity is over without an open objection. Safe to run anywhere,
    any number of times: rows are locked and skipped when another settler has them."""
    moment = now or clock.now()
    stmt = (
        select(Grant)
        .where(Grant.state == GrantState.PUBLICIZED, Grant.publicity_ends_at <= moment)
        .with_for_update(skip_locked=True)
    )
    if community_id is not None:
        stmt = stmt.where(Grant.community_id == community_id)
    due = list(await session.scalars(stmt))
    for grant in due:
        await ledger.post(session, pending_id=grant.hold_id, actor_id=None, reason="公示期满")
        grant.state = GrantState.POSTED
        grant.settled_at = moment
        outbox.emit(
            session,
            Topic.GRANT_POSTED,
            channels=[outbox.person_channel(grant.person_id)],
            payload={"grantId": str(grant.id), "points": grant.points},
            community_id=grant.community_id,
        )
    await session.flush()
    await about.grants_posted(session, [(g.id, g.claim_id, g.person_id, g.points) for g in due])
    return len(due)


async def board(
    session: AsyncSession,
    *,
    community_id: uuid.UUID,
    first: int,
    after: str | None = None,
) -> Page[Grant]:
    """The public board (公示栏): the community's grants, newest first by creation."""
    stmt = select(Grant).where(Grant.community_id == community_id)
    return await keyset_page(
        session, stmt, (Grant.publicity_ends_at, Grant.id), first=first, after=after
    )


@dataclass(frozen=True, slots=True)
class GrantDetail:
    grant: Grant
    person_name: str
    order_title: str
    point_kind: PointKind


async def details_by_ids(
    session: AsyncSession, grant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, GrantDetail]:
    rows = await session.execute(
        select(Grant, Person.name, VolunteerOrder.title, VolunteerOrder.point_kind)
        .join(Person, Person.id == Grant.person_id)
        .join(Claim, Claim.id == Grant.claim_id)
        .join(VolunteerOrder, VolunteerOrder.id == Claim.order_id)
        .where(Grant.id.in_(grant_ids))
    )
    return {grant.id: GrantDetail(grant, name, title, kind) for grant, name, title, kind in rows}
