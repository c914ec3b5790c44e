"""A household's file (一户一档): its members, the grid's visits to it and its members' demands.

Whoever may read the household may open its file; the demands in it are those the reader may see
anyway (:func:`services.demands.access.readable`), so a resident opening their own household's file
sees their own demands and staff see the demands of their grid.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.authz import Actor
from services.demands import access, visits
from services.demands.models import Demand
from services.errors import DomainError, ErrorCode
from services.orgs import households
from services.orgs.models import Household
from services.people.models import Person

MAX_DEMANDS = 100


@dataclass(frozen=True, slots=True)
class HouseholdFile:
    household: Household
    members: list[Person]
    visits: list[visits.HomeVisit]
    demands: list[Demand]  # latest first, at most MAX_DEMANDS


async def open_file(
    session: AsyncSession, actor: Actor, *, household_id: uuid.UUID
) -> HouseholdFile:
    household = await session.scalar(
        select(Household).where(Household.id == household_id, households.readable(actor))
    )
    if household is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="householdId")
    members = list(
        await session.scalars(
            select(Person)
            .where(Person.household_id == household.id)
            .order_by(Person.created_at, Person.id)
        )
    )
    demands = list(
        await session.scalars(
            select(Demand)
            .where(
                Demand.resident_id.in_([m.id for m in members]),
                access.readable(actor),
            )
            .order_by(Demand.created_at.desc(), Demand.id)
            .limit(MAX_DEMANDS)
        )
    )
    return HouseholdFile(
        household=household,
        members=members,
        visits=await visits.of_household(session, actor, household_id=household.id),
        demands=demands,
    )
