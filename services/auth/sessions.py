"""Opaque session tokens kept in Redis.

The client holds a random token; Redis holds only its SHA-256, so a Redis dump reveals no usable
token. Each session slides: every use pushes its expiry ``ttl`` seconds out. A person's sessions are
indexed so a password change can revoke them all. A revocation is told to every replica (the
event hub's control channel), which closes the live sockets opened with it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from redis.asyncio import Redis

from services.events.hub import publish_control

_SESSION = "gp:session:"
_PERSON = "gp:person-sessions:"
REVOKED = "sessions.revoked"  # control message: these sessions ended


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(redis: Redis, person_id: uuid.UUID, *, ttl: int) -> str:
    token = secrets.token_urlsafe(32)
    key = digest(token)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(_SESSION + key, str(person_id), ex=ttl)
        pipe.sadd(_PERSON + str(person_id), key)
        pipe.expire(_PERSON + str(person_id), ttl)
        await pipe.execute()
    return token


async def resolve(redis: Redis, token: str, *, ttl: int) -> uuid.UUID | None:
    """The person a live token belongs to (and push its expiry out), or None."""
    if not token or len(token) > 128:
        return None
    value = await redis.getex(_SESSION + digest(token), ex=ttl)
    if value is None:
        return None
    return uuid.UUID(value if isinstance(value, str) else value.decode())


async def revoke(redis: Redis, token: str) -> None:
    key = digest(token)
    value = await redis.getdel(_SESSION + key)
    if value is not None:
        person = value if isinstance(value, str) else value.decode()
        await redis.srem(_PERSON + person, key)
    await _told(redis, [key])


async def revoke_all(redis: Redis, person_id: uuid.UUID, *, keep: str | None = None) -> int:
    """Revoke every session of ``person_id`` except the token ``keep``; returns how many."""
    index = _PERSON + str(person_id)
    digests = {d if isinstance(d, str) else d.decode() for d in await redis.smembers(index)}
    if keep is not None:
        digests.discard(digest(keep))
    if not digests:
        return 0
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(*(_SESSION + d for d in digests))
        pipe.srem(index, *digests)
        results = await pipe.execute()
    await _told(redis, sorted(digests))
    return int(results[0])


async def alive(redis: Redis, digests: list[str]) -> set[str]:
    """Which of the sessions (by digest) still exist."""
    async with redis.pipeline(transaction=False) as pipe:
        for value in digests:
            pipe.exists(_SESSION + value)
        found = await pipe.execute()
    return {value for value, exists in zip(digests, found, strict=True) if exists}


async def _told(redis: Redis, digests: list[str]) -> None:
    """Every replica closes the live sockets of these sessions (each sweep also checks)."""
    await publish_control(redis, {"id": 0, "topic": REVOKED, "payload": {"sessions": digests}})
