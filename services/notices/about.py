"""The entries the volunteer flows write: one helper per cause, called by the change itself."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notices.inbox import Entry, notify
from services.notices.kinds import Kind
from services.orders.models import Claim, VolunteerOrder


async def _titles(
    session: AsyncSession, claim_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    rows = await session.execute(
        select(Claim.id, VolunteerOrder.id, VolunteerOrder.title)
        .join(VolunteerOrder, VolunteerOrder.id == Claim.order_id)
        .where(Claim.id.in_(list(claim_ids)))
    )
    return {claim: (order, title) for claim, order, title in rows}


async def claims(session: AsyncSession, kind: Kind, claims: Sequence[Claim]) -> int:
    """``kind`` (claim confirmed, promoted, attendance confirmed) for each claimant; once per
    claim and kind."""
    if not claims:
        return 0
    titles = await _titles(session, [c.id for c in claims])
    entries = [
        Entry(
            c.person_id,
            f"{kind.value}:{c.id}",
            titles[c.id][0],
            {"title": titles[c.id][1]},
        )
        for c in claims
    ]
    return await notify(session, kind, entries, subject_type="VolunteerOrder")


async def grants_posted(
    session: AsyncSession, grants: Sequence[tuple[uuid.UUID, uuid.UUID, uuid.UUID, int]]
) -> int:
    """Points posted: ``(grant id, claim id, person id, points)`` each."""
    if not grants:
        return 0
    titles = await _titles(session, [claim for _, claim, _, _ in grants])
    entries = [
        Entry(person, f"grant_posted:{grant}", grant, {"title": titles[claim][1], "points": points})
        for grant, claim, person, points in grants
    ]
    return await notify(session, Kind.GRANT_POSTED, entries, subject_type="Grant")
