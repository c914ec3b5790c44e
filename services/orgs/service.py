"""Org units: read the tree, add units to it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services import validation
from services.authz import Actor, Permission, allows
from services.errors import DomainError, ErrorCode
from services.orgs.models import CODE_MAX, NAME_MAX, PARENT_KIND, OrgUnit, UnitKind
from services.pagination import Page, keyset_page


async def get_unit(session: AsyncSession, unit_id: uuid.UUID) -> OrgUnit | None:
    """Org units are public to everyone signed in: the tree's names are no secret."""
    return await session.get(OrgUnit, unit_id)


async def units_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, OrgUnit]:
    rows = await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))
    return {unit.id: unit for unit in rows}


async def get_unit_by_code(session: AsyncSession, code: str) -> OrgUnit | None:
    return await session.scalar(select(OrgUnit).where(OrgUnit.code == code))


async def list_units(
    session: AsyncSession,
    *,
    kind: UnitKind | None = None,
    parent_id: uuid.UUID | None = None,
    first: int,
    after: str | None = None,
) -> Page[OrgUnit]:
    stmt = select(OrgUnit)
    if kind is not None:
        stmt = stmt.where(OrgUnit.kind == kind)
    if parent_id is not None:
        stmt = stmt.where(OrgUnit.parent_id == parent_id)
    return await keyset_page(session, stmt, (OrgUnit.code, OrgUnit.id), first=first, after=after)


async def require_unit(
    session: AsyncSession, unit_id: uuid.UUID, *, kinds: Sequence[UnitKind], field: str
) -> OrgUnit:
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=field)
    if unit.kind not in kinds:
        raise DomainError(ErrorCode.WRONG_UNIT_KIND, field=field, expected=kinds[0].value)
    return unit


async def create_unit(
    session: AsyncSession,
    actor: Actor,
    *,
    kind: UnitKind,
    name: str,
    code: str,
    parent_id: uuid.UUID | None,
) -> OrgUnit:
    """Add a unit under ``parent_id``: the actor must manage the org tree over the parent."""
    name = validation.required_text(name, field="name", max_length=NAME_MAX)
    code = validation.required_text(code, field="code", max_length=CODE_MAX)
    allowed_parents = PARENT_KIND[kind]
    parent: OrgUnit | None = None
    if parent_id is None:
        if None not in allowed_parents or not actor.is_system_admin:
            raise DomainError(ErrorCode.FORBIDDEN, field="parentId")
    else:
        kinds = [k for k in allowed_parents if k is not None]
        if not kinds:
            raise DomainError(ErrorCode.INVALID_VALUE, field="parentId")
        parent = await require_unit(session, parent_id, kinds=kinds, field="parentId")
        if not allows(actor, Permission.ORG_MANAGE, parent.path):
            raise DomainError(ErrorCode.FORBIDDEN, field="parentId")
    unit_id = uuid.uuid4()
    unit = OrgUnit(
        id=unit_id,
        kind=kind,
        name=name,
        code=code,
        parent_id=parent_id,
        path=[*(parent.path if parent else []), unit_id],
        community_id=_community_of(kind, unit_id, parent),
    )
    try:
        async with session.begin_nested():
            session.add(unit)
            await session.flush()
    except IntegrityError as error:
        raise DomainError(ErrorCode.CODE_TAKEN, field="code") from error
    return unit


def _community_of(kind: UnitKind, unit_id: uuid.UUID, parent: OrgUnit | None) -> uuid.UUID | None:
    if kind is UnitKind.COMMUNITY:
        return unit_id
    return parent.community_id if parent is not None else None
