"""党员中心户: a party member who looks after the nearby households linked to them (~15)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.authz import Actor, Permission, allows
from services.errors import DomainError, ErrorCode
from services.orgs.households import households_by_ids
from services.orgs.models import CenterHousehold, Household, OrgUnit
from services.people.models import Person

MAX_SERVED = 50  # a center household serves ~15; anything far above is a mistake


@dataclass(frozen=True, slots=True)
class CenterHouseholdView:
    """A center household as a household sees it: the party member shows their identity (亮身份)."""

    id: uuid.UUID
    name: str
    phone: str
    party_branch: str | None


async def link(
    session: AsyncSession,
    actor: Actor,
    *,
    person_id: uuid.UUID,
    household_ids: Sequence[uuid.UUID],
) -> CenterHousehold:
    """Make ``person_id`` (a party member) the center household of ``household_ids``.

    The actor must manage every one of those households; they must all be in the party member's
    community. Households keep one center household: linking moves them.
    """
    ids = list(dict.fromkeys(household_ids))
    if not ids:
        raise DomainError(ErrorCode.REQUIRED, field="householdIds")
    if len(ids) > MAX_SERVED:
        raise DomainError(ErrorCode.INVALID_VALUE, field="householdIds")
    person = await session.get(Person, person_id)
    if person is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="personId")
    if not person.is_party_member:
        raise DomainError(ErrorCode.NOT_A_PARTY_MEMBER, field="personId")
    households = await households_by_ids(session, actor, ids)
    if len(households) != len(ids):
        raise DomainError(ErrorCode.NOT_FOUND, field="householdIds")
    grids = {
        unit.id: unit
        for unit in await session.scalars(
            select(OrgUnit).where(OrgUnit.id.in_({h.grid_id for h in households.values()}))
        )
    }
    for household in households.values():
        if not allows(actor, Permission.HOUSEHOLD_MANAGE, grids[household.grid_id].path):
            raise DomainError(ErrorCode.FORBIDDEN, field="householdIds")
        if household.community_id != person.community_id:
            raise DomainError(ErrorCode.WRONG_COMMUNITY, field="householdIds")
    assert person.community_id is not None
    center = await session.scalar(
        select(CenterHousehold).where(CenterHousehold.person_id == person.id)
    )
    if center is None:
        center = CenterHousehold(community_id=person.community_id, person_id=person.id)
        session.add(center)
        await session.flush()
    await session.execute(
        update(Household).where(Household.id.in_(ids)).values(center_household_id=center.id)
    )
    return center


async def views_by_ids(
    session: AsyncSession, center_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CenterHouseholdView]:
    """The party member behind each center household (shown to the households it serves)."""
    rows = await session.execute(
        select(CenterHousehold.id, Person.name, Person.phone, Person.party_branch)
        .join(Person, Person.id == CenterHousehold.person_id)
        .where(CenterHousehold.id.in_(center_ids))
    )
    return {row.id: CenterHouseholdView(*row) for row in rows}
