"""Versions of read-mostly data, for the response cache (:mod:`schema.cache`).

A change names what it made stale (:func:`touch`, inside its transaction); once the transaction
has committed, the names get new versions in Redis (:func:`bump`) before the response goes out,
so the writer's next read, on any replica, misses the cache. A cached answer is stored under the
versions read before it was computed, so an answer computed from data older than a bump is
stored under a version nobody reads any more.

If a process dies between its commit and its bump, the outbox relay bumps for it: the change's
event (``stock.changed``) names the same data (``services.events.outbox.stale``). A version is an
opaque random token, never a counter: a Redis that restarted without its keys must not hand out
a version an old cache entry is stored under.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection, Sequence

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

PREFIX = "gp:version:"
TOUCHED = "gridpoints.versions.touched"


def catalog(community_id: uuid.UUID) -> str:
    """A community's goods as a customer sees them."""
    return f"catalog:{community_id}"


def touch(session: AsyncSession, *names: str) -> None:
    """Note, in the change's transaction, what it makes stale."""
    touched: set[str] = session.info.setdefault(TOUCHED, set())
    touched.update(names)


def touched(session: AsyncSession) -> set[str]:
    """What the session's work made stale (and forget it)."""
    names: set[str] = session.info.pop(TOUCHED, set())
    return names


def _token() -> str:
    return secrets.token_hex(8)


async def bump(redis: Redis, names: Collection[str]) -> None:
    """New versions for ``names`` (after the commit that changed them)."""
    if not names:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for name in sorted(names):
            pipe.set(PREFIX + name, _token())
        await pipe.execute()


async def current(redis: Redis, names: Sequence[str]) -> list[str]:
    """The versions of ``names``; a name without one gets one."""
    found: list[bytes | str | None] = await redis.mget([PREFIX + name for name in names])
    missing = [i for i, version in enumerate(found) if version is None]
    if missing:
        async with redis.pipeline(transaction=False) as pipe:
            for i in missing:
                pipe.set(PREFIX + names[i], _token(), nx=True)
                pipe.get(PREFIX + names[i])
            answers = await pipe.execute()
        for i, version in zip(missing, answers[1::2], strict=True):
            found[i] = version
    return [version.decode() if isinstance(version, bytes) else str(version) for version in found]
