"""Ledger accounts: one per person per point kind per community, and each community's system
accounts; opened on first use, race-safe."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Select, bindparam, select
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
    stmt = _OWNED_BY_SYSTEM if person_id is None else _OWNED_BY_PERSON
    params = {"the_community": community_id, "the_type": type, "the_kind": kind}
    if person_id is not None:
        params["the_person"] = person_id
    account = await session.scalar(stmt, params)
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
        account = await session.scalar(stmt, params)
        assert account is not None
    return account


def _owned_by(owner: ColumnElement[bool]) -> Select[Account]:
    """Built once, values bound per call: every checkout, grant and posting looks up two
    accounts, and building the statement and its cache key each time cost more CPU than
    PostgreSQL spends answering it."""
    return (
        select(Account)
        .where(
            Account.community_id == bindparam("the_community"),
            Account.type == bindparam("the_type"),
            Account.kind == bindparam("the_kind"),
            owner,
        )
        .execution_options(populate_existing=True)
    )


_OWNED_BY_PERSON = _owned_by(Account.person_id == bindparam("the_person"))
_OWNED_BY_SYSTEM = _owned_by(Account.person_id.is_(None))
