"""Reporting demands, and each community's catalogue of categories and service levels."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock, validation
from services.authz import Actor, Permission, require
from services.demands import access, timeline
from services.demands.models import (
    ADDRESS_MAX,
    DEFAULT_CATEGORIES,
    DESCRIPTION_MAX,
    NAME_MAX,
    RECOVERY_MINUTES,
    RESOLVE_MINUTES,
    RESPOND_MINUTES,
    Demand,
    DemandCategory,
    DemandLevel,
    DemandState,
    DemandType,
    EventKind,
    ServiceLevel,
    Urgency,
)
from services.errors import DomainError, ErrorCode
from services.orgs.models import Household, OrgUnit, UnitKind
from services.orgs.service import require_unit
from services.people.models import Person

MAX_MINUTES = 60 * 24 * 30


def _default(community_id: uuid.UUID, name: str) -> DemandCategory:
    """A default category; its id is derived from the community and name, so the catalogue can
    be shown before it is written (reads never write) and written by the first report."""
    return DemandCategory(id=uuid.uuid5(community_id, name), community_id=community_id, name=name)


async def categories(session: AsyncSession, community_id: uuid.UUID) -> list[DemandCategory]:
    """The community's catalogue: the defaults until the community has one of its own."""
    rows = list(
        await session.scalars(
            select(DemandCategory)
            .where(DemandCategory.community_id == community_id)
            .order_by(DemandCategory.created_at, DemandCategory.name)
        )
    )
    return rows or [_default(community_id, name) for name in DEFAULT_CATEGORIES]


async def _seed(session: AsyncSession, community_id: uuid.UUID) -> None:
    count = await session.scalar(
        select(func.count()).where(DemandCategory.community_id == community_id)
    )
    if count:
        return
    await session.execute(
        insert(DemandCategory)
        .values(
            [
                {"id": uuid.uuid5(community_id, name), "community_id": community_id, "name": name}
                for name in DEFAULT_CATEGORIES
            ]
        )
        .on_conflict_do_nothing()
    )


async def category_create(
    session: AsyncSession, actor: Actor, *, community_id: uuid.UUID, name: str
) -> DemandCategory:
    community = await require_unit(
        session, community_id, kinds=(UnitKind.COMMUNITY,), field="communityId"
    )
    require(actor, Permission.DEMAND_CATEGORY_MANAGE, community.path)
    await _seed(session, community.id)
    cleaned = validation.required_text(name, field="name", max_length=NAME_MAX)
    category: DemandCategory | None = await session.scalar(
        insert(DemandCategory)
        .values(community_id=community.id, name=cleaned)
        .on_conflict_do_nothing(constraint="uq_demand_category_community_name")
        .returning(DemandCategory)
    )
    if category is None:
        raise DomainError(ErrorCode.NAME_TAKEN, field="name")
    return category


async def _stored(session: AsyncSession, category_id: uuid.UUID) -> DemandCategory:
    """The category, writing its community's default catalogue first if ``category_id`` is one
    of the defaults shown before anything was written."""
    category = await session.get(DemandCategory, category_id)
    if category is not None:
        return category
    for community_id in await session.scalars(
        select(OrgUnit.id).where(OrgUnit.kind == UnitKind.COMMUNITY)
    ):
        if any(uuid.uuid5(community_id, name) == category_id for name in DEFAULT_CATEGORIES):
            await _seed(session, community_id)
            seeded = await session.get(DemandCategory, category_id)
            assert seeded is not None
            return seeded
    raise DomainError(ErrorCode.NOT_FOUND, field="categoryId")


async def service_level_set(
    session: AsyncSession,
    actor: Actor,
    *,
    category_id: uuid.UUID,
    urgency: Urgency,
    respond_minutes: int,
    resolve_minutes: int,
    recovery_minutes: int,
) -> ServiceLevel:
    category = await _stored(session, category_id)
    community = await session.get(OrgUnit, category.community_id)
    assert community is not None
    require(actor, Permission.DEMAND_CATEGORY_MANAGE, community.path)
    for field, value in (
        ("respondMinutes", respond_minutes),
        ("resolveMinutes", resolve_minutes),
        ("recoveryMinutes", recovery_minutes),
    ):
        if not 0 < value <= MAX_MINUTES:
            raise DomainError(ErrorCode.INVALID_VALUE, field=field)
    values = {
        "respond_minutes": respond_minutes,
        "resolve_minutes": resolve_minutes,
        "recovery_minutes": recovery_minutes,
    }
    level = await session.scalar(
        insert(ServiceLevel)
        .values(category_id=category.id, urgency=urgency, community_id=community.id, **values)
        .on_conflict_do_update(index_elements=["category_id", "urgency"], set_=values)
        .returning(ServiceLevel)
        .execution_options(populate_existing=True)
    )
    assert level is not None
    return level


async def service_levels_of(
    session: AsyncSession, category_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ServiceLevel]]:
    """Each category's levels for both urgencies: its own where set, else the "3 1" defaults
    (unsaved rows, shown as such)."""
    own: dict[tuple[uuid.UUID, Urgency], ServiceLevel] = {
        (row.category_id, row.urgency): row
        for row in await session.scalars(
            select(ServiceLevel).where(ServiceLevel.category_id.in_(category_ids))
        )
    }
    return {
        category_id: [
            own.get((category_id, urgency))
            or ServiceLevel(
                category_id=category_id,
                urgency=urgency,
                respond_minutes=RESPOND_MINUTES,
                resolve_minutes=RESOLVE_MINUTES,
                recovery_minutes=RECOVERY_MINUTES,
            )
            for urgency in Urgency
        ]
        for category_id in category_ids
    }


async def minutes_for(
    session: AsyncSession, category_id: uuid.UUID, urgency: Urgency
) -> tuple[int, int, int]:
    level = await session.get(ServiceLevel, (category_id, urgency))
    if level is None:
        return RESPOND_MINUTES, RESOLVE_MINUTES, RECOVERY_MINUTES
    return level.respond_minutes, level.resolve_minutes, level.recovery_minutes


async def _grid_of(session: AsyncSession, resident: Person, grid_id: uuid.UUID | None) -> OrgUnit:
    """The grid a demand lands with: the one named as its location, else the resident's own."""
    if grid_id is not None:
        grid = await require_unit(session, grid_id, kinds=(UnitKind.GRID,), field="gridId")
        home = resident.community_id
        if resident.household_id is not None:
            home = await session.scalar(
                select(Household.community_id).where(Household.id == resident.household_id)
            )
        if grid.community_id != home:
            raise DomainError(ErrorCode.DEMAND_OUTSIDE_HOME_COMMUNITY, field="gridId")
        return grid
    if resident.household_id is None:
        raise DomainError(ErrorCode.REQUIRED, field="gridId")
    home_grid = await session.scalar(
        select(OrgUnit)
        .join(Household, Household.grid_id == OrgUnit.id)
        .where(Household.id == resident.household_id)
    )
    assert home_grid is not None
    return home_grid


async def report(
    session: AsyncSession,
    actor: Actor,
    *,
    type: DemandType,
    category_id: uuid.UUID,
    description: str,
    urgency: Urgency = Urgency.NORMAL,
    address: str | None = None,
    grid_id: uuid.UUID | None = None,
    photo_ids: Sequence[uuid.UUID] = (),
    on_behalf_of: uuid.UUID | None = None,
) -> Demand:
    """A resident reports a demand; or a grid worker of the resident's grid reports it for them
    (recorded as ``reported_by``). It lands, waiting, with the grid's workers."""
    resident = await session.get(Person, on_behalf_of or actor.person_id)
    if resident is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="onBehalfOf")
    grid = await _grid_of(session, resident, grid_id)
    assert grid.community_id is not None
    cleaned = validation.required_text(description, field="description", max_length=DESCRIPTION_MAX)
    where = validation.text(address, field="address", max_length=ADDRESS_MAX, required=False)
    await _seed(session, grid.community_id)
    category = await session.get(DemandCategory, category_id)
    if category is None or category.community_id != grid.community_id:
        raise DomainError(ErrorCode.NOT_FOUND, field="categoryId")
    respond, resolve, recovery = await minutes_for(session, category.id, urgency)
    now = clock.now()
    demand = Demand(
        id=uuid.uuid4(),
        community_id=grid.community_id,
        grid_id=grid.id,
        resident_id=resident.id,
        reported_by=actor.person_id,
        type=type,
        category_id=category.id,
        description=cleaned,
        address=where,
        urgency=urgency,
        respond_minutes=respond,
        resolve_minutes=resolve,
        recovery_minutes=recovery,
        level=DemandLevel.GRID,
        state=DemandState.ACTIVE,
        stage_started_at=now,
        created_at=now,  # the clock's time, as every deadline and report reads it
    )
    if on_behalf_of is not None:
        await access.require_handler(session, actor, demand, DemandLevel.GRID)
    session.add(demand)
    await session.flush()
    note = None if on_behalf_of is None else "on_behalf"
    await timeline.record(
        session,
        demand,
        EventKind.REPORTED,
        at=now,
        actor_id=actor.person_id,
        unit_id=grid.id,
        note=note,
        photo_ids=photo_ids,
    )
    await session.flush()
    return demand
