"""Inspection rounds (网格巡查): a grid worker walks the grid (when, which route) and writes down
what they found; a finding that needs handling becomes a demand reported in the round's name.

A round is logged after it ends (not in the future, at most 12 hours long). The grid's rounds are
listed latest first, for staff over the grid.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import ARRAY, DateTime, ForeignKey, Index, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services import clock, validation
from services.authz import Actor, Permission, allows
from services.db import Base, created_at, uuid_pk
from services.errors import DomainError, ErrorCode
from services.orgs.models import OrgUnit, UnitKind
from services.orgs.service import require_unit

ROUTE_MAX = 300
NOTES_MAX = 2000
FINDING_MAX = 300
MAX_FINDINGS = 20
MAX_LENGTH = timedelta(hours=12)


class InspectionRound(Base):
    __tablename__ = "inspection_round"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    grid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    route: Mapped[str] = mapped_column(String(ROUTE_MAX))
    notes: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[list[str]] = mapped_column(ARRAY(String(FINDING_MAX)))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (Index("ix_inspection_round_grid", "grid_id", "started_at"),)


async def log(
    session: AsyncSession,
    actor: Actor,
    *,
    grid_id: uuid.UUID,
    started_at: datetime,
    ended_at: datetime,
    route: str,
    notes: str | None = None,
    findings: Sequence[str] = (),
) -> InspectionRound:
    if ended_at > clock.now():
        raise DomainError(ErrorCode.INVALID_VALUE, field="endedAt")
    validation.moment(started_at, field="startedAt", past=True)  # not before 2000
    validation.moment(ended_at, field="endedAt", past=True)
    grid = await require_unit(session, grid_id, kinds=[UnitKind.GRID], field="gridId")
    if not allows(actor, Permission.DEMAND_HANDLE_GRID, grid.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="gridId")
    if ended_at > clock.now():
        raise DomainError(ErrorCode.INVALID_VALUE, field="endedAt")
    if not started_at < ended_at:
        raise DomainError(ErrorCode.INVALID_TIME_WINDOW, field="endedAt")
    if ended_at - started_at > MAX_LENGTH:
        hours = MAX_LENGTH // timedelta(hours=1)
        raise DomainError(ErrorCode.DURATION_TOO_LONG, field="endedAt", hours=hours)
    if len(findings) > MAX_FINDINGS:
        raise DomainError(ErrorCode.INVALID_VALUE, field="findings")
    assert grid.community_id is not None
    inspection = InspectionRound(
        community_id=grid.community_id,
        grid_id=grid.id,
        inspector_id=actor.person_id,
        started_at=started_at,
        ended_at=ended_at,
        route=validation.required_text(route, field="route", max_length=ROUTE_MAX),
        notes=validation.text(notes, field="notes", max_length=NOTES_MAX, required=False),
        findings=[
            validation.required_text(f, field="findings", max_length=FINDING_MAX) for f in findings
        ],
    )
    session.add(inspection)
    await session.flush()
    return inspection


async def of_grid(
    session: AsyncSession, actor: Actor, *, grid_id: uuid.UUID, month: date | None = None
) -> list[InspectionRound]:
    """A grid's rounds in a month (default: this month, Asia/Shanghai), latest first."""
    grid: OrgUnit = await require_unit(session, grid_id, kinds=[UnitKind.GRID], field="gridId")
    if not allows(actor, Permission.DEMAND_READ, grid.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="gridId")
    start, end = clock.month_bounds(month or clock.local_date(clock.now()))
    return list(
        await session.scalars(
            select(InspectionRound)
            .where(
                InspectionRound.grid_id == grid.id,
                InspectionRound.started_at >= start,
                InspectionRound.started_at < end,
            )
            .order_by(InspectionRound.started_at.desc(), InspectionRound.id)
        )
    )
