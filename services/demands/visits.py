"""Home visits (入户走访): a grid worker logs a visit to a household of their grid (the day, notes,
issues found); each household's file lists its visits; a visit a month per household is the
target, so the households of a grid not visited in a month (Asia/Shanghai) are listed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services import clock, validation
from services.authz import Actor, Permission, allows
from services.db import Base, created_at, uuid_pk
from services.errors import DomainError, ErrorCode
from services.orgs import households
from services.orgs.models import Household, OrgUnit, UnitKind
from services.orgs.service import require_unit

NOTES_MAX = 2000
ISSUES_MAX = 1000


class HomeVisit(Base):
    __tablename__ = "home_visit"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    grid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    visitor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text)
    issues: Mapped[str | None] = mapped_column(String(ISSUES_MAX))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index("ix_home_visit_household", "household_id", "visited_on"),
        Index("ix_home_visit_grid", "grid_id", "visited_on"),
    )


async def log(
    session: AsyncSession,
    actor: Actor,
    *,
    household_id: uuid.UUID,
    visited_on: date,
    notes: str,
    issues: str | None = None,
) -> HomeVisit:
    if visited_on > clock.local_date(clock.now()):
        raise DomainError(ErrorCode.INVALID_VALUE, field="visitedOn")
    validation.day(visited_on, field="visitedOn", past=True)  # not before 2000
    household = await session.get(Household, household_id)
    if household is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="householdId")
    grid = await session.get(OrgUnit, household.grid_id)
    assert grid is not None
    if not allows(actor, Permission.DEMAND_HANDLE_GRID, grid.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="householdId")
    if visited_on > clock.local_date(clock.now()):
        raise DomainError(ErrorCode.INVALID_VALUE, field="visitedOn")
    visit = HomeVisit(
        community_id=household.community_id,
        grid_id=household.grid_id,
        household_id=household.id,
        visitor_id=actor.person_id,
        visited_on=visited_on,
        notes=validation.required_text(notes, field="notes", max_length=NOTES_MAX),
        issues=validation.text(issues, field="issues", max_length=ISSUES_MAX, required=False),
    )
    session.add(visit)
    await session.flush()
    return visit


async def of_household(
    session: AsyncSession, actor: Actor, *, household_id: uuid.UUID
) -> list[HomeVisit]:
    """A household's visits, latest first, for those who may read the household."""
    found = await session.scalar(
        select(Household.id).where(Household.id == household_id, households.readable(actor))
    )
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="householdId")
    return list(
        await session.scalars(
            select(HomeVisit)
            .where(HomeVisit.household_id == household_id)
            .order_by(HomeVisit.visited_on.desc(), HomeVisit.created_at.desc())
        )
    )


async def not_visited(
    session: AsyncSession, actor: Actor, *, grid_id: uuid.UUID, month: date | None = None
) -> list[Household]:
    """The grid's households with no visit in ``month`` (default: this month)."""
    grid = await require_unit(session, grid_id, kinds=[UnitKind.GRID], field="gridId")
    if not allows(actor, Permission.HOUSEHOLD_READ, grid.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="gridId")
    first, following = clock.month_days(month or clock.local_date(clock.now()))
    visited = select(HomeVisit.household_id).where(
        HomeVisit.grid_id == grid.id,
        HomeVisit.visited_on >= first,
        HomeVisit.visited_on < following,
    )
    return list(
        await session.scalars(
            select(Household)
            .where(Household.grid_id == grid.id, Household.id.not_in(visited))
            .order_by(Household.address, Household.id)
        )
    )
