"""Two-way scoring (双向评价): communities score the departments of their street, departments
score the communities' party organizations; each on style, performance and management (1-5), with
a comment.

One score per scorer unit, scored unit and month (Asia/Shanghai), given by someone who acts for the
scorer: a community admin for a community (``SCORE_DEPARTMENT``), department staff for a department
(``SCORE_COMMUNITY``). Both units must sit under the same street. A month not yet begun cannot be
scored; a second score for the same month is ``ALREADY_SCORED``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services import clock, validation
from services.authz import Actor, Permission, allows
from services.db import Base, created_at, uuid_pk
from services.errors import DomainError, ErrorCode
from services.orgs.models import OrgUnit, UnitKind
from services.orgs.service import require_unit

COMMENT_MAX = 500
DIMENSIONS = ("style", "performance", "management")


class EvaluationScore(Base):
    __tablename__ = "evaluation_score"

    id: Mapped[uuid.UUID] = uuid_pk()
    scorer_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    scored_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), index=True)
    month: Mapped[date] = mapped_column(Date)
    style: Mapped[int] = mapped_column(Integer)
    performance: Mapped[int] = mapped_column(Integer)
    management: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(COMMENT_MAX))
    scored_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        UniqueConstraint(
            "scorer_unit_id", "scored_unit_id", "month", name="uq_evaluation_score_once"
        ),
        CheckConstraint(
            "style BETWEEN 1 AND 5 AND performance BETWEEN 1 AND 5 AND management BETWEEN 1 AND 5",
            name="scores_range",
        ),
        CheckConstraint("EXTRACT(DAY FROM month) = 1", name="month_first_day"),
    )


async def _pair(
    session: AsyncSession, actor: Actor, scorer_id: uuid.UUID, scored_id: uuid.UUID
) -> tuple[OrgUnit, OrgUnit]:
    scorer = await require_unit(
        session,
        scorer_id,
        kinds=[UnitKind.COMMUNITY, UnitKind.DEPARTMENT],
        field="scorerUnitId",
    )
    other = UnitKind.DEPARTMENT if scorer.kind is UnitKind.COMMUNITY else UnitKind.COMMUNITY
    scored = await require_unit(session, scored_id, kinds=[other], field="scoredUnitId")
    permission = (
        Permission.SCORE_DEPARTMENT
        if scorer.kind is UnitKind.COMMUNITY
        else Permission.SCORE_COMMUNITY
    )
    if not allows(actor, permission, scorer.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="scorerUnitId")
    if scorer.parent_id is None or scorer.parent_id != scored.parent_id:
        raise DomainError(ErrorCode.NOT_SAME_STREET, field="scoredUnitId")
    return scorer, scored


async def give(
    session: AsyncSession,
    actor: Actor,
    *,
    scorer_unit_id: uuid.UUID,
    scored_unit_id: uuid.UUID,
    month: date,
    style: int,
    performance: int,
    management: int,
    comment: str | None = None,
) -> EvaluationScore:
    validation.day(month.replace(day=1), field="month")  # not before 2000 (issue 13, item 6)
    scorer, scored = await _pair(session, actor, scorer_unit_id, scored_unit_id)
    for field, value in zip(DIMENSIONS, (style, performance, management), strict=True):
        if not 1 <= value <= 5:
            raise DomainError(ErrorCode.INVALID_VALUE, field=field)
    first_day = month.replace(day=1)
    if first_day > clock.local_date(clock.now()).replace(day=1):
        raise DomainError(ErrorCode.INVALID_VALUE, field="month")
    cleaned = validation.text(comment, field="comment", max_length=COMMENT_MAX, required=False)
    score: EvaluationScore | None = await session.scalar(
        insert(EvaluationScore)
        .values(
            scorer_unit_id=scorer.id,
            scored_unit_id=scored.id,
            month=first_day,
            style=style,
            performance=performance,
            management=management,
            comment=cleaned,
            scored_by=actor.person_id,
        )
        .on_conflict_do_nothing(constraint="uq_evaluation_score_once")
        .returning(EvaluationScore)
    )
    if score is None:
        raise DomainError(ErrorCode.ALREADY_SCORED, field="month")
    return score


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    count: int
    style: float | None
    performance: float | None
    management: float | None


async def received(
    session: AsyncSession, actor: Actor, *, unit_id: uuid.UUID, month: date
) -> tuple[list[EvaluationScore], ScoreSummary]:
    """The scores a community or department received for a month, and their means. Seen by
    those who read the unit's evaluation (its own staff, the street) and by its scorers' staff
    for the scores they gave."""
    unit = await require_unit(
        session, unit_id, kinds=[UnitKind.COMMUNITY, UnitKind.DEPARTMENT], field="unitId"
    )
    stmt = select(EvaluationScore).where(
        EvaluationScore.scored_unit_id == unit.id,
        EvaluationScore.month == month.replace(day=1),
    )
    if not allows(actor, Permission.EVALUATION_READ, unit.path):
        permission = (
            Permission.SCORE_DEPARTMENT
            if unit.kind is UnitKind.DEPARTMENT
            else Permission.SCORE_COMMUNITY
        )
        mine = [
            u
            for u in await session.scalars(
                select(OrgUnit).where(OrgUnit.parent_id == unit.parent_id)
            )
            if allows(actor, permission, u.path)
        ]
        if not mine:
            raise DomainError(ErrorCode.FORBIDDEN, field="unitId")
        stmt = stmt.where(or_(*[EvaluationScore.scorer_unit_id == u.id for u in mine]))
    scores = list(await session.scalars(stmt.order_by(EvaluationScore.created_at)))
    means = (
        await session.execute(
            select(
                func.avg(EvaluationScore.style),
                func.avg(EvaluationScore.performance),
                func.avg(EvaluationScore.management),
            ).where(EvaluationScore.id.in_([s.id for s in scores]))
        )
    ).one()
    return scores, ScoreSummary(
        len(scores), *(None if m is None else round(float(m), 2) for m in means)
    )
