"""Who may see a demand, who may act on it at each level, and the scoped SQL behind both.

Seeing: the resident it is about; staff over its grid (grid workers their grid, community and street
staff their subtree); department staff only when their department was summoned. Acting: the level
holding the demand decides: grid workers of its grid, community admins of its community, street
admins of its street, staff of an assigned department.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.authz import ALL_UNITS, Actor, Permission, allows, scope
from services.demands.models import Demand, DemandAssignment, DemandLevel
from services.errors import DomainError, ErrorCode
from services.orgs.models import OrgUnit

HANDLE = {
    DemandLevel.GRID: Permission.DEMAND_HANDLE_GRID,
    DemandLevel.COMMUNITY: Permission.DEMAND_HANDLE_COMMUNITY,
    DemandLevel.STREET: Permission.DEMAND_HANDLE_STREET,
}


def _within(units: frozenset[uuid.UUID]) -> ColumnElement[bool]:
    within: ColumnElement[bool] = OrgUnit.path.overlap(list(units))
    return within


def readable(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the demands ``actor`` may see."""
    staff = scope(actor, Permission.DEMAND_READ)
    if staff is ALL_UNITS:
        return Demand.id.is_not(None)
    assert isinstance(staff, frozenset)
    conditions: list[ColumnElement[bool]] = [Demand.resident_id == actor.person_id]
    if staff:
        conditions.append(Demand.grid_id.in_(select(OrgUnit.id).where(_within(staff))))
    departments = scope(actor, Permission.DEMAND_DEPARTMENT)
    assert isinstance(departments, frozenset)
    if departments:
        assigned = select(DemandAssignment.demand_id).where(
            DemandAssignment.department_id.in_(select(OrgUnit.id).where(_within(departments)))
        )
        conditions.append(Demand.id.in_(assigned))
    return or_(false(), *conditions)


def department_scope(actor: Actor) -> ColumnElement[bool]:
    """SQL condition on assignments: those of departments ``actor`` serves."""
    units = scope(actor, Permission.DEMAND_DEPARTMENT)
    if units is ALL_UNITS:
        return DemandAssignment.id.is_not(None)
    assert isinstance(units, frozenset)
    if not units:
        return false()
    return DemandAssignment.department_id.in_(select(OrgUnit.id).where(_within(units)))


async def level_unit(session: AsyncSession, demand: Demand, level: DemandLevel) -> OrgUnit:
    """The unit that holds ``demand`` at ``level`` (grid, community or street)."""
    unit = await session.get(OrgUnit, demand.grid_id)
    assert unit is not None
    if level is DemandLevel.GRID:
        return unit
    community = await session.get(OrgUnit, demand.community_id)
    assert community is not None
    if level is DemandLevel.COMMUNITY or community.parent_id is None:
        return community
    street = await session.get(OrgUnit, community.parent_id)
    assert street is not None
    return street


async def may_handle(
    session: AsyncSession, actor: Actor, demand: Demand, level: DemandLevel
) -> bool:
    permission = HANDLE.get(level)
    if permission is None:
        return False
    return allows(actor, permission, (await level_unit(session, demand, level)).path)


async def require_handler(
    session: AsyncSession, actor: Actor, demand: Demand, level: DemandLevel
) -> None:
    if not await may_handle(session, actor, demand, level):
        raise DomainError(ErrorCode.NOT_ASSIGNED)


def serves_department(actor: Actor, department: OrgUnit) -> bool:
    return allows(actor, Permission.DEMAND_DEPARTMENT, department.path)
