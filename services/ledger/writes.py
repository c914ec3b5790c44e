"""How the ledger writes: the guarded counter update, the transfer row and its chain link.

Each function here is one SQL statement (see :mod:`services.ledger.service` for how an operation
puts them together). Counters move only inside these statements, never read-modify-write.

**Closed months.** A transfer is booked on a day (``booked_on``, Asia/Shanghai): today, or an
earlier day for a back-dated correction, never a later one. Nothing is booked into a month its
community has closed (:mod:`services.ledger.periods`). :func:`check_booking` says so with
``PERIOD_CLOSED`` before anything is written; it runs under the community's head lock, which
closing a month takes too, so a close and a booking cannot pass each other. It reads the closed
months only for a booking before the current month: the current month can never be closed yet,
so the hot path (every booking dated today) costs no extra round trip.

The database holds the rule as well: a trigger on ``ledger_transfer`` (migration 0008) refuses a
row booked into a closed month. A trigger, not a CHECK, because the rule looks at another table.
It is the backstop for what this module cannot see: a replica whose clock is still in last month
while another has closed it, and any writer that bypasses these functions. :func:`write` turns its
refusal into ``PERIOD_CLOSED`` too (the transaction is then aborted: callers use a savepoint).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, Literal, cast

from sqlalchemy import (
    CompoundSelect,
    Executable,
    Table,
    bindparam,
    exists,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock, validation
from services.errors import DomainError, ErrorCode
from services.ledger.chain import Head, chain_hash
from services.ledger.models import (
    CHAINED_KINDS,
    REASON_MAX,
    Account,
    AccountType,
    Cause,
    ChainHead,
    ClosedMonth,
    PointKind,
    Transfer,
    TransferKind,
)

MAX_AMOUNT = 1_000_000  # points in one transfer; goods cost 5–85
PERIOD_CLOSED_MARK = "ledger_period_closed"  # in the message of the trigger's refusal
BOOKED_ON_FIELD = "bookedOn"

ACCOUNTS = cast(Table, Account.__table__)
TRANSFERS = cast(Table, Transfer.__table__)
HEADS = cast(Table, ChainHead.__table__)


async def debit_and_credit(
    session: AsyncSession,
    *,
    community_id: uuid.UUID,
    point_kind: PointKind,
    debit_id: uuid.UUID,
    credit_id: uuid.UUID,
    amount: int,
    side: Literal["posted", "pending"],
    not_reversed: uuid.UUID | None,
) -> bool:
    """One statement: the guarded debit, then the credit only if the debit matched."""
    statement = _debit_and_credit_statement(side, guard_reversal=not_reversed is not None)
    moved = await session.scalars(
        statement,
        {
            "the_community": community_id,
            "the_kind": point_kind,
            "debit_account": debit_id,
            "credit_account": credit_id,
            "the_amount": amount,
            "reversal_of": not_reversed,
        },
    )
    return len(moved.all()) == 2


@cache
def _debit_and_credit_statement(
    side: Literal["posted", "pending"], *, guard_reversal: bool
) -> CompoundSelect[tuple[uuid.UUID]]:
    """Built once per shape, values as bound parameters: every posting and hold runs it, and
    building it (two aliases of wide tables, two CTEs) and its cache key took ~3 ms of CPU a
    redeem, more than PostgreSQL takes to run it. The parameters' names are no column's: an
    UPDATE takes a parameter named like a column as a value to SET."""
    other = ACCOUNTS.alias("credit_side")
    earlier = TRANSFERS.alias("earlier")
    community_id = bindparam("the_community", type_=ACCOUNTS.c.community_id.type)
    point_kind = bindparam("the_kind", type_=ACCOUNTS.c.kind.type)
    credit_id = bindparam("credit_account", type_=ACCOUNTS.c.id.type)
    amount = bindparam("the_amount", type_=ACCOUNTS.c.credits_posted.type)
    guards = [
        ACCOUNTS.c.id == bindparam("debit_account", type_=ACCOUNTS.c.id.type),
        ACCOUNTS.c.community_id == community_id,
        ACCOUNTS.c.kind == point_kind,
        or_(
            ACCOUNTS.c.type != AccountType.PERSON,
            ACCOUNTS.c.credits_posted - ACCOUNTS.c.debits_posted - ACCOUNTS.c.debits_pending
            >= amount,
        ),
        exists().where(
            other.c.id == credit_id,
            other.c.community_id == community_id,
            other.c.kind == point_kind,
        ),
    ]
    if guard_reversal:
        reversed_id = bindparam("reversal_of", type_=TRANSFERS.c.reverses_id.type)
        guards.append(~exists().where(earlier.c.reverses_id == reversed_id))
    debits, credits = f"debits_{side}", f"credits_{side}"
    debited = (
        update(ACCOUNTS)
        .where(*guards)
        .values({debits: ACCOUNTS.c[debits] + amount})
        .returning(ACCOUNTS.c.id)
        .cte("debited")
    )
    credited = (
        update(ACCOUNTS)
        .where(ACCOUNTS.c.id == credit_id, exists(select(debited.c.id)))
        .values({credits: ACCOUNTS.c[credits] + amount})
        .returning(ACCOUNTS.c.id)
        .cte("credited")
    )
    return select(debited.c.id).union_all(select(credited.c.id))


# rows -------------------------------------------------------------------------------------------


def build_row(
    head: Head,
    kind: TransferKind,
    *,
    now: datetime,
    point_kind: PointKind,
    debit_id: uuid.UUID,
    credit_id: uuid.UUID,
    amount: int,
    cause: Cause,
    cause_id: uuid.UUID | None,
    reason: str,
    actor_id: uuid.UUID | None,
    pending_id: uuid.UUID | None = None,
    reverses_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
    booked_on: date | None = None,
) -> dict[str, Any]:
    """The transfer's row, chained when it is a posting; booked today unless ``booked_on``."""
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "community_id": head.community_id,
        "kind": kind,
        "point_kind": point_kind,
        "debit_account_id": debit_id,
        "credit_account_id": credit_id,
        "amount": amount,
        "pending_id": pending_id,
        "reverses_id": reverses_id,
        "expires_at": expires_at,
        "cause": cause,
        "cause_id": cause_id,
        "reason": reason,
        "actor_id": actor_id,
        "created_at": now,
        "booked_on": booked_on or clock.local_date(now),
        "seq": None,
        "prev_hash": None,
        "hash": None,
    }
    if kind in CHAINED_KINDS:
        row["seq"] = head.seq + 1
        row["prev_hash"] = head.hash
        row["hash"] = chain_hash(row)
    return row


async def write(
    session: AsyncSession,
    row: dict[str, Any],
    *,
    conflict_on: str | None = None,
    then: Sequence[tuple[uuid.UUID, dict[str, int]]] = (),
) -> Transfer | None:
    """INSERT the transfer; in the same statement, only if it went in, move the chain head (for a
    posting) and apply the counter changes ``then``. None if ``conflict_on`` stopped it."""
    moves = [(account_id, {n: d for n, d in changes.items() if d}) for account_id, changes in then]
    shape = (
        tuple(row),
        conflict_on,
        row["seq"] is not None,
        tuple(tuple(sorted(c)) for _, c in moves),
    )
    params = {f"row_{name}": value for name, value in row.items()}
    for number, (account_id, changes) in enumerate(moves):
        params[f"then_{number}"] = account_id
        params.update({f"then_{number}_{name}": delta for name, delta in changes.items()})
    try:
        written_row: Transfer | None = await session.scalar(_write_statement(*shape), params)
    except IntegrityError as error:
        if PERIOD_CLOSED_MARK in str(error.orig):
            raise DomainError(ErrorCode.PERIOD_CLOSED, field=BOOKED_ON_FIELD) from error
        raise
    return written_row


@cache
def _write_statement(
    columns: tuple[str, ...],
    conflict_on: str | None,
    chained: bool,
    moves: tuple[tuple[str, ...], ...],
) -> Executable:
    """:func:`write`'s statement, built once per shape with the values as bound parameters
    (named ``row_<column>`` and ``then_<n>[_<counter>]``: no column's name, so that no UPDATE or
    INSERT takes one for a value of its own)."""
    inserted = insert(TRANSFERS).values(
        {name: bindparam(f"row_{name}", type_=TRANSFERS.c[name].type) for name in columns}
    )
    if conflict_on is not None:
        inserted = inserted.on_conflict_do_nothing(index_elements=[conflict_on])
    written = inserted.returning(*TRANSFERS.c).cte("written")
    went_in = exists(select(literal(1)).select_from(written))
    followers = []
    if chained:
        followers.append(
            update(HEADS)
            .where(HEADS.c.community_id == bindparam("row_community_id"), went_in)
            .values(seq=bindparam("row_seq"), hash=bindparam("row_hash"))
            .cte("head")
        )
    for number, names in enumerate(moves):
        deltas = {name: ACCOUNTS.c[name] + bindparam(f"then_{number}_{name}") for name in names}
        followers.append(
            update(ACCOUNTS)
            .where(ACCOUNTS.c.id == bindparam(f"then_{number}"), went_in)
            .values(deltas)
            .cte(f"account_{number}")
        )
    stmt = select(written)
    if followers:
        stmt = stmt.add_cte(*followers)
    return select(Transfer).from_statement(stmt)


async def check_booking(
    session: AsyncSession, community_id: uuid.UUID, booked_on: date, *, now: datetime
) -> None:
    """Refuse a day after today (``INVALID_VALUE``) or in a closed month (``PERIOD_CLOSED``).

    Call it holding the community's head lock (see the module docstring)."""
    today = clock.local_date(now)
    if booked_on > today:
        raise DomainError(ErrorCode.INVALID_VALUE, field=BOOKED_ON_FIELD)
    validation.day(booked_on, field=BOOKED_ON_FIELD, past=True)  # not before 2000
    if (booked_on.year, booked_on.month) == (today.year, today.month):
        return
    closed = await session.scalar(
        select(
            exists().where(
                ClosedMonth.community_id == community_id,
                ClosedMonth.month == booked_on.replace(day=1),
            )
        )
    )
    if closed:
        raise DomainError(ErrorCode.PERIOD_CLOSED, field=BOOKED_ON_FIELD)


# input checks -----------------------------------------------------------------------------------


def check_amount(amount: int, *, field: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise DomainError(ErrorCode.INVALID_AMOUNT, field=field)
    return amount


def check_reason(reason: str | None, *, field: str = "reason") -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise DomainError(ErrorCode.REASON_REQUIRED, field=field)
    if len(cleaned) > REASON_MAX:
        raise DomainError(ErrorCode.TOO_LONG, field=field, max=REASON_MAX)
    return cleaned
