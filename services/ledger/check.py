"""The quick in-database check: every account's counters equal the sums of its transfers, and
every point kind of every community sums to zero. A few aggregate queries, no hashing: cheap
enough for a cron job (``gridpoints ledger check``); :mod:`services.ledger.verify` does the rest.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, exists, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from services.ledger.models import Account, Transfer, TransferKind

COUNTERS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")


async def check(session: AsyncSession, *, community_id: uuid.UUID | None = None) -> list[str]:
    """Balances equal entries and every point kind sums to zero, computed in SQL."""
    t = Transfer
    resolution = aliased(Transfer, name="resolution")
    # NOT EXISTS, an anti-join: NOT IN (subquery) falls back to a subplan per row once the ids
    # outgrow work_mem, quadratic on a city's ledger
    resolved = exists().where(resolution.pending_id == t.id)
    counted = {
        "posted": t.kind.in_([TransferKind.POSTED, TransferKind.POST]),
        "pending": (t.kind == TransferKind.PENDING) & ~resolved,
    }
    parts = [
        select(
            column.label("account_id"),
            literal(f"{direction}_{side}").label("counter"),
            t.amount.label("amount"),
        ).where(condition, *_in_community(t.community_id, community_id))
        for side, condition in counted.items()
        for direction, column in (("debits", t.debit_account_id), ("credits", t.credit_account_id))
    ]
    moves = union_all(*parts).subquery("moves")
    found: dict[tuple[uuid.UUID, str], int] = {
        (row.account_id, row.counter): int(row.total)
        for row in await session.execute(
            select(
                moves.c.account_id, moves.c.counter, func.sum(moves.c.amount).label("total")
            ).group_by(moves.c.account_id, moves.c.counter)
        )
    }
    problems: list[str] = []
    accounts = await session.scalars(
        select(Account)
        .where(*_in_community(Account.community_id, community_id))
        .order_by(Account.id)
        .execution_options(populate_existing=True)
    )
    for account in accounts:
        for name in COUNTERS:
            expected = found.get((account.id, name), 0)
            if getattr(account, name) != expected:
                problems.append(
                    f"account {account.id}: {name} is {getattr(account, name)}, "
                    f"its transfers sum to {expected}"
                )
    totals = await session.execute(
        select(
            Account.community_id,
            Account.kind,
            func.sum(Account.credits_posted - Account.debits_posted),
            func.sum(Account.credits_pending - Account.debits_pending),
        )
        .where(*_in_community(Account.community_id, community_id))
        .group_by(Account.community_id, Account.kind)
    )
    for community, kind, posted_sum, pending_sum in totals:
        if posted_sum or pending_sum:
            problems.append(
                f"community {community}: {kind.value} points sum to {posted_sum} posted, "
                f"{pending_sum} pending, not zero"
            )
    return problems


def _in_community(
    column: InstrumentedAttribute[uuid.UUID], community_id: uuid.UUID | None
) -> list[ColumnElement[bool]]:
    return [] if community_id is None else [column == community_id]
