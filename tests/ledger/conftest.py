"""Ledger fixtures: a world with accounts, and helpers that read balances and sums back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.state import AppState
from services.ledger import service as ledger
from services.ledger.models import Account, AccountType, Cause, PointKind, Transfer
from tests.support import World

LEDGER_TABLES = ("idempotency_key", "ledger_transfer", "ledger_account", "ledger_chain_head")


async def truncate_ledger(state: AppState) -> None:
    async with state.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {', '.join(LEDGER_TABLES)} CASCADE"))


@dataclass
class Books:
    """World W's community C1 with an issuance and a sink account per point kind."""

    world: World
    community_id: uuid.UUID
    issuance: dict[PointKind, uuid.UUID]
    sink: dict[PointKind, uuid.UUID]

    def person(self, key: str) -> uuid.UUID:
        return self.world.people[key]


@pytest.fixture
async def books(world: World, session: AsyncSession) -> Books:
    community = world.units["C1"]
    issuance = {}
    sink = {}
    for kind in PointKind:
        issuance[kind] = (
            await ledger.system_account(
                session, community_id=community, type=AccountType.ISSUANCE, kind=kind
            )
        ).id
        sink[kind] = (
            await ledger.system_account(
                session, community_id=community, type=AccountType.EXCHANGE_SINK, kind=kind
            )
        ).id
    await session.commit()
    return Books(world, community, issuance, sink)


async def account_of(
    session: AsyncSession, books: Books, key: str, kind: PointKind = PointKind.GRID
) -> uuid.UUID:
    account = await ledger.person_account(
        session, community_id=books.community_id, person_id=books.person(key), kind=kind
    )
    return account.id


async def grant(
    session: AsyncSession,
    books: Books,
    key: str,
    amount: int,
    kind: PointKind = PointKind.GRID,
    actor: str = "community_admin",
) -> Transfer:
    """Points to a person straight from issuance (an adjustment), committed."""
    account = await account_of(session, books, key, kind)
    moved = await ledger.transfer(
        session,
        community_id=books.community_id,
        debit_account_id=books.issuance[kind],
        credit_account_id=account,
        amount=amount,
        kind=kind,
        cause=Cause.ADJUSTMENT,
        cause_id=None,
        reason="测试发放",
        actor_id=books.person(actor),
    )
    await session.commit()
    return moved


async def counters(session: AsyncSession, account_id: uuid.UUID) -> tuple[int, int, int, int]:
    """(debits_posted, credits_posted, debits_pending, credits_pending), fresh from the table."""
    row = (
        await session.execute(
            select(
                Account.debits_posted,
                Account.credits_posted,
                Account.debits_pending,
                Account.credits_pending,
            ).where(Account.id == account_id)
        )
    ).one()
    return (row[0], row[1], row[2], row[3])


async def kind_sums(session: AsyncSession) -> dict[PointKind, tuple[int, int]]:
    """Per point kind: (sum of posted balances, sum of pending balances); both must be 0."""
    rows = await session.execute(
        select(
            Account.kind,
            func.sum(Account.credits_posted - Account.debits_posted),
            func.sum(Account.credits_pending - Account.debits_pending),
        ).group_by(Account.kind)
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


@pytest.fixture
async def many_connections(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A separate engine with room for 60 concurrent connections."""
    engine: AsyncEngine = create_async_engine(database_url, pool_size=60, max_overflow=0)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()
