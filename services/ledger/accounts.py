"""Ledger accounts: one per person per point kind per community, and each community's system
accounts; opened on first use, race-safe."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.chain import lock_head
from services.ledger.models import Account, AccountType, PointKind


async def person_account(
    session: AsyncSession, *, community_id: uuid.UUID, person_id: uuid.UUID, kind: PointKind
) -> Account:
    """The person's account for ``kind`` in the community, created on first use."""
    return await _account(
        session, community_id=community_id, type=AccountType.PERSON, kind=kind, person_id=person_id
    )


async def system_account(
    session: AsyncSession, *, community_id: uuid.UUID, type: AccountType, kind: PointKind
) -> Account:
    """A community's system account (issuance, exchange sink, expiry), created on first use."""
    if type is AccountType.PERSON:
        raise ValueError("a person account belongs to a person: use person_account")
    return await _account(session, community_id=community_id, type=type, kind=kind, person_id=None)


async def _account(
    session: AsyncSession,
    *,
    community_id: uuid.UUID,
    type: AccountType,
    kind: PointKind,
    person_id: uuid.UUID | None,
) -> Account:
    owner = Account.person_id.is_(None) if person_id is None else Account.person_id == person_id
    stmt = (
        select(Account)
        .where(Account.community_id == community_id, Account.type == type, Account.kind == kind)
        .where(owner)
        .execution_options(populate_existing=True)
    )
    account = await session.scalar(stmt)
    if account is None:
        # Created under the community's head lock like every other ledger write (so a first-time
        # insert never waits on a head holder that waits on it); the UNIQUE owner index decides
        # between racers, then everyone reads the one row.
        await lock_head(session, community_id)
        await session.execute(
            insert(Account)
            .values(community_id=community_id, type=type, kind=kind, person_id=person_id)
            .on_conflict_do_nothing()
        )
        account = await session.scalar(stmt)
        assert account is not None
    return account
