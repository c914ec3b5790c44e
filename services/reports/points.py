"""Monthly points statistics (月统计): earned and spent per person, grid and community.

Read from the ledger's posted transfers (single-phase postings and posts of holds): "earned" is
what person accounts were credited, "spent" what they were debited (redemptions, expiry,
reversals of grants). A transfer counts in the month of its ``booked_on`` day (Asia/Shanghai):
the day it was written, or the past day a back-dated correction names. A month its community has
closed takes no more bookings (:mod:`services.ledger.periods`), so its figures no longer change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import BigInteger, Date, DateTime, cast, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services import validation
from services.authz import Actor, Permission, allows
from services.errors import DomainError, ErrorCode
from services.ledger.models import Account, AccountType, PointKind, Transfer, TransferKind
from services.orgs.models import Household, UnitKind
from services.orgs.service import require_unit
from services.people.models import Person


class GroupBy(StrEnum):
    PERSON = "person"
    GRID = "grid"
    COMMUNITY = "community"


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: date
    key: uuid.UUID | None  # person, grid or community id (None: a person without a household)
    kind: PointKind
    earned: int
    spent: int


async def monthly(
    session: AsyncSession,
    actor: Actor,
    *,
    community_id: uuid.UUID,
    year: int,
    group_by: GroupBy,
) -> list[MonthRow]:
    """Earned/spent per month of ``year`` for the community, grouped as asked. Staff who may read
    the community's orders (community admin and above) see it."""
    community = await require_unit(
        session, community_id, kinds=[UnitKind.COMMUNITY], field="communityId"
    )
    if not allows(actor, Permission.LEDGER_READ, community.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="communityId")
    validation.calendar_year(year)
    return await rows(
        session,
        community_id=community.id,
        first=date(year, 1, 1),
        following=date(year + 1, 1, 1),
        group_by=group_by,
    )


async def rows(
    session: AsyncSession,
    *,
    community_id: uuid.UUID,
    first: date,
    following: date,
    group_by: GroupBy,
) -> list[MonthRow]:
    """Earned/spent per month in ``[first, following)``; the caller has checked the reader.

    Each transfer counts once per side: its credit (earned) and its debit (spent), each side
    joined to the community's person accounts on one key. Joining the accounts on "credit or
    debit" instead probes the account index twice per transfer (27 ms against 8 ms in psql for a
    community's year at city scale); the person and household are read only to group by grid."""
    # via timestamp without time zone: the session's time zone must not move a day
    in_range = (
        Transfer.community_id == community_id,
        Transfer.kind.in_([TransferKind.POSTED, TransferKind.POST]),
        Transfer.booked_on >= first,
        Transfer.booked_on < following,
    )
    zero = literal(0, BigInteger)
    sides = union_all(
        select(
            Transfer.booked_on,
            Transfer.credit_account_id.label("account_id"),
            Transfer.amount.label("earned"),
            zero.label("spent"),
        ).where(*in_range),
        select(Transfer.booked_on, Transfer.debit_account_id, zero, Transfer.amount).where(
            *in_range
        ),
    ).subquery("sides")
    month = cast(func.date_trunc("month", cast(sides.c.booked_on, DateTime())), Date).label("month")
    key = {
        GroupBy.PERSON: Account.person_id,
        GroupBy.GRID: Household.grid_id,
        GroupBy.COMMUNITY: Account.community_id,
    }[group_by]
    stmt = (
        select(
            month,
            key.label("key"),
            Account.kind,
            func.sum(sides.c.earned).label("earned"),
            func.sum(sides.c.spent).label("spent"),
        )
        .select_from(sides)
        .join(Account, Account.id == sides.c.account_id)
        .where(Account.type == AccountType.PERSON, Account.community_id == community_id)
        .group_by(month, key, Account.kind)
        .order_by(month, key, Account.kind)
    )
    if group_by is GroupBy.GRID:
        stmt = stmt.join(Person, Person.id == Account.person_id).outerjoin(
            Household, Household.id == Person.household_id
        )
    return [
        MonthRow(row.month, row.key, row.kind, int(row.earned), int(row.spent))
        for row in await session.execute(stmt)
    ]
