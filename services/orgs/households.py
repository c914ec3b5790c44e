"""Households: who may see and change them, and the scoped queries that enforce it.

Staff see the households inside the units where they hold HOUSEHOLD_READ; a resident sees their own
household; a party-member center household (党员中心户) sees the households it looks after.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services import validation
from services.authz import ALL_UNITS, Actor, Permission, allows, scope
from services.errors import DomainError, ErrorCode
from services.orgs.models import ADDRESS_MAX, CenterHousehold, Household, OrgUnit, UnitKind
from services.orgs.service import require_unit
from services.pagination import Page, keyset_page


def _units_within(units: frozenset[uuid.UUID]) -> Select[uuid.UUID]:
    return select(OrgUnit.id).where(OrgUnit.path.overlap(list(units)))


def readable(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the households ``actor`` may read."""
    units = scope(actor, Permission.HOUSEHOLD_READ)
    if units is ALL_UNITS:
        return Household.id.is_not(None)
    assert isinstance(units, frozenset)
    served = select(CenterHousehold.id).where(CenterHousehold.person_id == actor.person_id)
    conditions: list[ColumnElement[bool]] = [Household.center_household_id.in_(served)]
    if actor.household_id is not None:
        conditions.append(Household.id == actor.household_id)
    if units:
        conditions.append(Household.grid_id.in_(_units_within(units)))
    return or_(false(), *conditions)


async def get_household(
    session: AsyncSession, actor: Actor, household_id: uuid.UUID
) -> Household | None:
    """The household, or None when it does not exist or ``actor`` may not see it."""
    stmt = select(Household).where(Household.id == household_id, readable(actor))
    return await session.scalar(stmt)


async def households_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Household]:
    rows = await session.scalars(select(Household).where(Household.id.in_(ids), readable(actor)))
    return {row.id: row for row in rows}


async def list_households(
    session: AsyncSession,
    actor: Actor,
    *,
    unit_id: uuid.UUID | None = None,
    first: int,
    after: str | None = None,
) -> Page[Household]:
    """Readable households, optionally only those inside ``unit_id``, by address."""
    stmt = select(Household).where(readable(actor))
    if unit_id is not None:
        stmt = stmt.where(
            or_(
                Household.grid_id.in_(select(OrgUnit.id).where(OrgUnit.path.contains([unit_id]))),
                Household.micro_grid_id == unit_id,
            )
        )
    return await keyset_page(
        session, stmt, (Household.address, Household.id), first=first, after=after
    )


async def _require_manageable_grid(
    session: AsyncSession, actor: Actor, grid_id: uuid.UUID, *, field: str
) -> OrgUnit:
    grid = await require_unit(session, grid_id, kinds=[UnitKind.GRID], field=field)
    if not allows(actor, Permission.HOUSEHOLD_MANAGE, grid.path):
        raise DomainError(ErrorCode.FORBIDDEN, field=field)
    return grid


async def _micro_grid_in(
    session: AsyncSession, grid: OrgUnit, micro_grid_id: uuid.UUID | None
) -> uuid.UUID | None:
    if micro_grid_id is None:
        return None
    micro = await require_unit(
        session, micro_grid_id, kinds=[UnitKind.MICRO_GRID], field="microGridId"
    )
    if micro.parent_id != grid.id:
        raise DomainError(ErrorCode.INVALID_VALUE, field="microGridId")
    return micro.id


async def create_household(
    session: AsyncSession,
    actor: Actor,
    *,
    grid_id: uuid.UUID,
    address: str,
    micro_grid_id: uuid.UUID | None = None,
) -> Household:
    address = validation.required_text(address, field="address", max_length=ADDRESS_MAX)
    grid = await _require_manageable_grid(session, actor, grid_id, field="gridId")
    assert grid.community_id is not None
    household = Household(
        community_id=grid.community_id,
        grid_id=grid.id,
        micro_grid_id=await _micro_grid_in(session, grid, micro_grid_id),
        address=address,
    )
    await _flush_unique(session, household)
    return household


async def update_household(
    session: AsyncSession,
    actor: Actor,
    *,
    household_id: uuid.UUID,
    address: str | None = None,
    micro_grid_id: uuid.UUID | None = None,
) -> Household:
    """Change a household's address or micro-grid (staff managing its grid only)."""
    household = await get_household(session, actor, household_id)
    if household is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="id")
    grid = await _require_manageable_grid(session, actor, household.grid_id, field="id")
    if address is not None:
        household.address = validation.required_text(
            address, field="address", max_length=ADDRESS_MAX
        )
    if micro_grid_id is not None:
        household.micro_grid_id = await _micro_grid_in(session, grid, micro_grid_id)
    await _flush_unique(session, household)
    return household


async def _flush_unique(session: AsyncSession, household: Household) -> None:
    try:
        async with session.begin_nested():
            session.add(household)
            await session.flush()
    except IntegrityError as error:
        raise DomainError(ErrorCode.ADDRESS_TAKEN, field="address") from error
