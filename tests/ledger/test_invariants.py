"""The database itself holds the ledger's rules, whatever code talks to it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.errors import DomainError, ErrorCode
from services.ledger import check, verify
from services.ledger import service as ledger
from services.ledger.models import AccountType, Cause, PointKind
from tests.ledger.conftest import Books, account_of, grant, kind_sums
from tests.ledger.test_transfers import redeem_hold

GRID = PointKind.GRID


async def test_a_person_account_cannot_go_below_zero_even_by_hand(
    session: AsyncSession, books: Books
) -> None:
    await grant(session, books, "resident_a", 5)
    mine = await account_of(session, books, "resident_a")
    with pytest.raises(IntegrityError, match="available_not_negative"):
        await session.execute(
            text("UPDATE ledger_account SET debits_posted = 6 WHERE id = :id"), {"id": mine}
        )
    await session.rollback()
    # system accounts may: issuance is where points come from
    issuance = books.issuance[GRID]
    await session.execute(
        text("SELECT credits_posted - debits_posted FROM ledger_account WHERE id = :id"),
        {"id": issuance},
    )


async def test_ledger_rows_are_never_updated_or_deleted(
    session: AsyncSession, books: Books
) -> None:
    moved = (await grant(session, books, "resident_a", 5)).id
    for statement in (
        "UPDATE ledger_transfer SET amount = 50 WHERE id = :id",
        "UPDATE ledger_transfer SET reason = 'x' WHERE id = :id",
        "DELETE FROM ledger_transfer WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="never updated or deleted"):
            await session.execute(text(statement), {"id": moved})
        await session.rollback()


async def test_a_hold_has_one_resolution_even_by_hand(session: AsyncSession, books: Books) -> None:
    await grant(session, books, "resident_a", 5)
    held = await redeem_hold(session, books, "resident_a", 3)
    await ledger.void(session, pending_id=held.id, actor_id=None, reason="取消")
    with pytest.raises(IntegrityError, match="uq_ledger_transfer_pending_id"):
        await session.execute(
            text(
                "INSERT INTO ledger_transfer (community_id, kind, point_kind, debit_account_id,"
                " credit_account_id, amount, pending_id, cause, reason, booked_on)"
                " SELECT community_id, 'void', point_kind, debit_account_id, credit_account_id,"
                " amount, id, cause, 'again', booked_on FROM ledger_transfer WHERE id = :id"
            ),
            {"id": held.id},
        )


async def test_input_rules(session: AsyncSession, books: Books) -> None:
    mine = await account_of(session, books, "resident_a")
    other_kind = await account_of(session, books, "resident_b", PointKind.WORK)

    def move(**changes: object) -> dict[str, object]:
        given: dict[str, object] = {
            "community_id": books.community_id,
            "debit_account_id": books.issuance[GRID],
            "credit_account_id": mine,
            "amount": 5,
            "kind": GRID,
            "cause": Cause.ADJUSTMENT,
            "cause_id": None,
            "reason": "调整",
            "actor_id": books.person("community_admin"),
        }
        return given | changes

    cases = [
        (move(amount=0), ErrorCode.INVALID_AMOUNT),
        (move(amount=-3), ErrorCode.INVALID_AMOUNT),
        (move(amount=ledger.MAX_AMOUNT + 1), ErrorCode.INVALID_AMOUNT),
        (move(reason="  "), ErrorCode.REASON_REQUIRED),
        (move(reason="长" * 501), ErrorCode.TOO_LONG),
        (move(credit_account_id=books.issuance[GRID]), ErrorCode.INVALID_VALUE),
        (move(credit_account_id=other_kind), ErrorCode.INVALID_VALUE),
        (move(credit_account_id=uuid.uuid4()), ErrorCode.NOT_FOUND),
        (move(community_id=books.world.units["C2"]), ErrorCode.INVALID_VALUE),
        (move(cause=Cause.REVERSAL), ErrorCode.INVALID_VALUE),
    ]
    for given, code in cases:
        with pytest.raises(DomainError) as refused:
            await ledger.transfer(session, **given)  # type: ignore[arg-type]
        assert refused.value.code is code, given
    assert await kind_sums(session) == {GRID: (0, 0), PointKind.WORK: (0, 0)}


async def test_accounts_are_one_per_owner(session: AsyncSession, books: Books) -> None:
    first = await ledger.person_account(
        session, community_id=books.community_id, person_id=books.person("resident_a"), kind=GRID
    )
    again = await ledger.person_account(
        session, community_id=books.community_id, person_id=books.person("resident_a"), kind=GRID
    )
    issuance = await ledger.system_account(
        session, community_id=books.community_id, type=AccountType.ISSUANCE, kind=GRID
    )
    assert first.id == again.id and issuance.id == books.issuance[GRID]
    with pytest.raises(ValueError, match="person_account"):
        await ledger.system_account(
            session, community_id=books.community_id, type=AccountType.PERSON, kind=GRID
        )


async def test_every_kind_sums_to_zero_and_balances_equal_entries(
    session: AsyncSession, books: Books
) -> None:
    await grant(session, books, "resident_a", 20)
    await grant(session, books, "resident_b", 7, kind=PointKind.WORK)
    held = await redeem_hold(session, books, "resident_a", 6)
    await redeem_hold(session, books, "resident_a", 2)
    await ledger.post(session, pending_id=held.id, actor_id=None, amount=5)
    await session.commit()
    assert await kind_sums(session) == {GRID: (0, 0), PointKind.WORK: (0, 0)}
    assert await check.check(session) == []
    report = await verify.verify_database(session)
    assert report.ok, report
    assert (report.communities, report.transfers) == (1, 5)
