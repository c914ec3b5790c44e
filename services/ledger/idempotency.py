"""Idempotency keys: one effect per client key, whatever the retries and the concurrency.

Any service whose mutation must not apply twice (points, stock) wraps its work in
:func:`run_once`::

    result = await run_once(session, actor_id=..., key=..., operation="ledger.adjust",
                            request={...the input...}, work=do_it)

* The key row is INSERTed first with ``ON CONFLICT DO NOTHING``: the UNIQUE (actor_id, key) index
  decides, not a check-then-insert. A concurrent duplicate blocks on that index until the first
  transaction ends; if it committed, the duplicate reads the stored result, if it rolled back, the
  duplicate's insert succeeds and it does the work itself.
* The row stores the operation, a fingerprint (SHA-256 of the canonical JSON of operation and
  request) and the result (a small JSON object, e.g. ``{"transfer_id": ...}``). Same key and same
  request: the first result. Same key, different request or operation: ``IDEMPOTENCY_KEY_REUSED``.
* The key row is written in the caller's transaction, so it commits or rolls back with the effect:
  a request that failed (a :class:`DomainError`, rolled back by the caller's savepoint, as
  ``schema.mutations.perform`` does) leaves no key and may be retried.
* Keys are per actor (two people may use the same key) and kept at least 24 hours
  (:data:`KEEP_AT_LEAST`); :func:`purge` removes older ones.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.errors import DomainError, ErrorCode
from services.ledger.chain import plain
from services.ledger.models import KEY_MAX, IdempotencyKey

KEEP_AT_LEAST = timedelta(hours=24)
KEY_FIELD = "idempotencyKey"

Result = dict[str, Any]


def check_key(key: str) -> str:
    """A key is any non-blank string of at most :data:`KEY_MAX` characters, kept as sent."""
    if not key or not key.strip():
        raise DomainError(ErrorCode.REQUIRED, field=KEY_FIELD)
    if len(key) > KEY_MAX:
        raise DomainError(ErrorCode.TOO_LONG, field=KEY_FIELD, max=KEY_MAX)
    return key


def fingerprint(operation: str, request: Mapping[str, Any]) -> str:
    body = {"operation": operation, "request": {name: plain(v) for name, v in request.items()}}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def run_once(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID,
    key: str,
    operation: str,
    request: Mapping[str, Any],
    work: Callable[[], Awaitable[Result]],
) -> Result:
    """Run ``work`` once per (actor, key); a retry gets the first result back."""
    key = check_key(key)
    digest = fingerprint(operation, request)
    for _ in range(3):  # a key purged between our insert and our read: insert again
        claimed = await session.scalar(
            insert(IdempotencyKey)
            .values(
                actor_id=actor_id,
                key=key,
                operation=operation,
                fingerprint=digest,
                created_at=clock.now(),
            )
            .on_conflict_do_nothing()
            .returning(IdempotencyKey.actor_id)
        )
        if claimed is not None:
            result = await work()
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.actor_id == actor_id, IdempotencyKey.key == key)
                .values(result=result)
            )
            return result
        first = (
            await session.execute(
                select(
                    IdempotencyKey.operation, IdempotencyKey.fingerprint, IdempotencyKey.result
                ).where(IdempotencyKey.actor_id == actor_id, IdempotencyKey.key == key)
            )
        ).one_or_none()
        if first is None:
            continue
        if first.operation != operation or first.fingerprint != digest:
            raise DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, field=KEY_FIELD)
        if first.result is None:  # the first use committed without its result: a caller bug
            raise RuntimeError(f"idempotency key {key!r} of {actor_id} has no stored result")
        stored: Result = first.result
        return stored
    raise RuntimeError(f"idempotency key {key!r} of {actor_id} keeps vanishing")


async def purge(
    session: AsyncSession, *, now: datetime | None = None, keep: timedelta = KEEP_AT_LEAST
) -> int:
    """Delete keys older than ``keep`` (never less than 24 hours); the number deleted."""
    if keep < KEEP_AT_LEAST:
        raise ValueError(f"idempotency keys are kept at least {KEEP_AT_LEAST}")
    cutoff = (now or clock.now()) - keep
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
