"""Idempotency keys: the first result for a retry, an error for a different request, purging."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.errors import DomainError, ErrorCode
from services.ledger import idempotency
from services.ledger.models import IdempotencyKey
from tests.ledger.conftest import Books


async def test_same_key_same_request_runs_once(session: AsyncSession, books: Books) -> None:
    actor = books.person("community_admin")
    runs: list[int] = []

    async def work() -> dict[str, object]:
        runs.append(1)
        return {"answer": len(runs)}

    def once(request: dict[str, object], key: str = "k-1", operation: str = "test.op") -> object:
        return idempotency.run_once(
            session, actor_id=actor, key=key, operation=operation, request=request, work=work
        )

    request = {"person_id": books.person("resident_a"), "amount": 3}
    assert await once(request) == {"answer": 1}
    assert await once(dict(reversed(request.items()))) == {"answer": 1}  # key order is no matter
    assert runs == [1]
    for changed in ({**request, "amount": 4}, {"amount": 3}):
        with pytest.raises(DomainError) as refused:
            await once(changed)
        assert refused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    with pytest.raises(DomainError) as refused:
        await once(request, operation="test.other")
    assert refused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    other = await idempotency.run_once(
        session,
        actor_id=books.person("street_admin"),
        key="k-1",
        operation="test.op",
        request=request,
        work=work,
    )
    assert other == {"answer": 2}
    for key, code in (
        ("", ErrorCode.REQUIRED),
        (" ", ErrorCode.REQUIRED),
        ("k" * 201, ErrorCode.TOO_LONG),
    ):
        with pytest.raises(DomainError) as refused:
            await once(request, key=key)
        assert (refused.value.code, refused.value.field) == (code, "idempotencyKey")


async def test_keys_are_kept_a_day_then_purged(session: AsyncSession, books: Books) -> None:
    start = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)

    async def work() -> dict[str, object]:
        return {}

    with clock.frozen(start) as move:
        for n in range(3):
            move(start + timedelta(hours=n * 12))
            await idempotency.run_once(
                session,
                actor_id=uuid.uuid4(),
                key=f"k{n}",
                operation="test.op",
                request={},
                work=work,
            )
    now = start + timedelta(hours=36)
    assert await idempotency.purge(session, now=now) == 1  # only the one 36 hours old
    assert await session.scalar(select(func.count()).select_from(IdempotencyKey)) == 2
    with pytest.raises(ValueError, match="at least"):
        await idempotency.purge(session, now=now, keep=timedelta(hours=23))
