"""Reads: the public list of communities and grids for the form, and the staff's queue."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.authz import ALL_UNITS, Actor, Permission, scope
from services.orgs.models import OrgUnit, UnitKind
from services.pagination import Page, keyset_page
from services.registration.models import ApplicationStatus, RegistrationApplication

UNITS_MAX = 1000  # far above a street's communities or a community's grids


async def registration_units(
    session: AsyncSession, *, community_id: uuid.UUID | None
) -> list[OrgUnit]:
    """No sign-in needed: the communities (``community_id`` None), or one community's grids,
    by code. The caller shows ids and names only: the tree's names are no secret."""
    if community_id is None:
        stmt = select(OrgUnit).where(OrgUnit.kind == UnitKind.COMMUNITY)
    else:
        stmt = select(OrgUnit).where(
            OrgUnit.kind == UnitKind.GRID, OrgUnit.parent_id == community_id
        )
    rows = await session.scalars(stmt.order_by(OrgUnit.code).limit(UNITS_MAX))
    return list(rows)


def decidable(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the applications ``actor`` may see and decide (their grids' and
    communities' applications: REGISTRATION_DECIDE over the grid's path)."""
    units = scope(actor, Permission.REGISTRATION_DECIDE)
    if units is ALL_UNITS:
        return true()
    assert isinstance(units, frozenset)
    if not units:
        return false()
    within = select(OrgUnit.id).where(OrgUnit.path.overlap(list(units)))
    return RegistrationApplication.grid_id.in_(within)


async def list_applications(
    session: AsyncSession,
    actor: Actor,
    *,
    status: ApplicationStatus | None = ApplicationStatus.PENDING,
    first: int,
    after: str | None = None,
) -> Page[RegistrationApplication]:
    """The applications waiting for ``actor`` (or of one status, or all), oldest first."""
    stmt = select(RegistrationApplication).where(decidable(actor))
    if status is not None:
        stmt = stmt.where(RegistrationApplication.status == status)
    order = (RegistrationApplication.submitted_at, RegistrationApplication.id)
    return await keyset_page(session, stmt, order, first=first, after=after)


async def applications_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RegistrationApplication]:
    rows = await session.scalars(
        select(RegistrationApplication).where(RegistrationApplication.id.in_(ids), decidable(actor))
    )
    return {row.id: row for row in rows}
