"""Closing months (月结): once a month is closed, nothing more is booked into it.

A community admin (LEDGER_ADJUST over the community: community, street and system admins) closes a
month that is over, in Asia/Shanghai time; the current month and later ones cannot be closed, and
a month is closed once (``INVALID_STATE``). Its monthly statistics then stand: a correction found
later is booked today, as a reversal or an adjustment, never back-dated into the closed month (the
write path refuses it with ``PERIOD_CLOSED``, see :mod:`services.ledger.writes`). Months close
independently of each other: closing March leaves February open until it is closed itself.

Closing takes the community's chain head lock (:func:`services.ledger.chain.lock_head`), like
every ledger write of the community, so a back-dated booking running at the same moment is either
committed before the month closes or refused after.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock, validation
from services.authz import Actor, Permission, allows
from services.errors import DomainError, ErrorCode
from services.ledger.chain import lock_head
from services.ledger.models import ClosedMonth
from services.orgs.models import OrgUnit, UnitKind
from services.orgs.service import require_unit

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str, *, field: str = "month") -> date:
    """``"YYYY-MM"`` as the month's first day."""
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1:
        raise DomainError(ErrorCode.INVALID_VALUE, field=field)
    # the calendar's ends (0001-01, 9999-12) overflowed "the next month": issue 13, item 6
    return validation.calendar_day(date(int(found[1]), int(found[2]), 1), field=field)


def month_text(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


async def close_month(
    session: AsyncSession, actor: Actor, *, community_id: uuid.UUID, month: date
) -> ClosedMonth:
    """Close ``month`` (any day of it) of the community, once it is over."""
    first_day = validation.day(month.replace(day=1), field="month")  # not before 2000
    community = await _community(session, actor, community_id, Permission.LEDGER_ADJUST)
    now = clock.now()
    if first_day >= clock.local_date(now).replace(day=1):  # not over yet
        raise DomainError(ErrorCode.INVALID_STATE, field="month")
    await lock_head(session, community.id)
    closed: ClosedMonth | None = await session.scalar(
        select(ClosedMonth).from_statement(
            insert(ClosedMonth)
            .values(
                community_id=community.id, month=first_day, closed_by=actor.person_id, closed_at=now
            )
            .on_conflict_do_nothing()
            .returning(ClosedMonth)
        )
    )
    if closed is None:  # closed already
        raise DomainError(ErrorCode.INVALID_STATE, field="month")
    return closed


async def closed_months(
    session: AsyncSession, actor: Actor, *, community_id: uuid.UUID
) -> list[ClosedMonth]:
    """The community's closed months, latest first: for those who read its ledger."""
    community = await _community(session, actor, community_id, Permission.LEDGER_READ)
    found = await session.scalars(
        select(ClosedMonth)
        .where(ClosedMonth.community_id == community.id)
        .order_by(ClosedMonth.month.desc())
    )
    return list(found)


async def _community(
    session: AsyncSession, actor: Actor, community_id: uuid.UUID, permission: Permission
) -> OrgUnit:
    community = await require_unit(
        session, community_id, kinds=[UnitKind.COMMUNITY], field="communityId"
    )
    if not allows(actor, permission, community.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="communityId")
    return community
