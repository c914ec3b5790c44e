"""Sign in, sign out, change password, and who a session token belongs to."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.auth import codes, passwords, ratelimit, sessions
from services.auth.codes import CodePolicy, CodePurpose
from services.authz import Actor, Grant
from services.errors import DomainError, ErrorCode
from services.people.models import Person, RoleAssignment
from services.validation import phone as normalize_phone
from services.wechat import WechatPolicy


@dataclass(frozen=True, slots=True)
class AuthPolicy:
    session_ttl: int = 7 * 24 * 3600
    attempts_per_phone: int = 10
    attempts_per_client: int = 50
    window: int = 15 * 60
    codes: CodePolicy = field(default_factory=CodePolicy)
    wechat: WechatPolicy = field(default_factory=WechatPolicy)


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    person: Person


async def _count(redis: Redis, policy: AuthPolicy, key: str, limit: int) -> None:
    retry_after = await ratelimit.hit(redis, key, limit=limit, window=policy.window)
    if retry_after is not None:
        raise DomainError(ErrorCode.RATE_LIMITED, retry_after=retry_after)


async def count_client(redis: Redis, policy: AuthPolicy, client: str) -> None:
    """One sign-in attempt from the client address, whatever the way in."""
    await _count(redis, policy, f"signin:client:{client}", policy.attempts_per_client)


async def _count_account(redis: Redis, policy: AuthPolicy, phone: str) -> None:
    """One guess at the password of the account at ``phone`` (normalized: one key per account)."""
    await _count(redis, policy, f"signin:phone:{phone}", policy.attempts_per_phone)


async def sign_in(
    session: AsyncSession,
    redis: Redis,
    policy: AuthPolicy,
    *,
    phone: str,
    password: str,
    client: str,
) -> SignedIn:
    """Every attempt counts (an alias or a batched operation is one more attempt): once for the
    client address, and once for the account, keyed by the normalized phone, so every way of
    typing one number shares its limit. A malformed phone counts for the client only."""
    await _count(redis, policy, f"signin:client:{client}", policy.attempts_per_client)
    phone = normalize_phone(phone)
    await _count_account(redis, policy, phone)
    person = await session.scalar(select(Person).where(Person.phone == phone))
    stored = person.password_hash if person else None
    if not await asyncio.to_thread(passwords.verify, stored, password[:256]):
        raise DomainError(ErrorCode.INVALID_CREDENTIALS)
    assert person is not None
    assert person.password_hash is not None
    if not person.is_active:
        raise DomainError(ErrorCode.ACCOUNT_DISABLED)
    if passwords.needs_rehash(person.password_hash):
        person.password_hash = await asyncio.to_thread(passwords.hash_password, password)
    token = await sessions.create(redis, person.id, ttl=policy.session_ttl)
    return SignedIn(token, person)


async def sign_in_with_code(
    session: AsyncSession,
    redis: Redis,
    policy: AuthPolicy,
    *,
    phone: str,
    code: str,
    client: str,
) -> SignedIn:
    """Sign in with the code sent to ``phone`` (see :mod:`services.auth.codes`): the session is
    made as a password sign-in makes it. Each attempt counts for the client address as a password
    attempt does; the code's own tries are counted on the code."""
    await _count(redis, policy, f"signin:client:{client}", policy.attempts_per_client)
    phone = normalize_phone(phone)
    await codes.check_code(redis, policy.codes, purpose=CodePurpose.SIGN_IN, phone=phone, code=code)
    person = await session.scalar(select(Person).where(Person.phone == phone))
    if person is None:  # removed since the code was sent
        raise DomainError(ErrorCode.CODE_EXPIRED, field="code")
    if not person.is_active:
        raise DomainError(ErrorCode.ACCOUNT_DISABLED)
    token = await sessions.create(redis, person.id, ttl=policy.session_ttl)
    return SignedIn(token, person)


async def reset_password_with_code(
    session: AsyncSession,
    redis: Redis,
    policy: AuthPolicy,
    *,
    phone: str,
    code: str,
    new_password: str,
    client: str,
) -> int:
    """Set a new password with the code sent to ``phone``; every session of the person is
    revoked (returns how many). A weak password is refused before the code is tried."""
    await _count(redis, policy, f"signin:client:{client}", policy.attempts_per_client)
    phone = normalize_phone(phone)
    passwords.check_strength(new_password)
    await codes.check_code(
        redis, policy.codes, purpose=CodePurpose.RESET_PASSWORD, phone=phone, code=code
    )
    person = await session.scalar(select(Person).where(Person.phone == phone))
    if person is None or not person.is_active:  # removed or disabled since the code was sent
        raise DomainError(ErrorCode.CODE_EXPIRED, field="code")
    person.password_hash = await asyncio.to_thread(passwords.hash_password, new_password)
    await session.flush()
    return await sessions.revoke_all(redis, person.id)


async def sign_out(redis: Redis, token: str) -> None:
    await sessions.revoke(redis, token)


async def change_password(
    session: AsyncSession,
    redis: Redis,
    policy: AuthPolicy,
    actor: Actor,
    *,
    current_password: str,
    new_password: str,
    current_token: str | None,
) -> int:
    """Set a new password; every other session of the person is revoked. Returns how many.

    The current password is a guess like a sign-in's: it counts against the account's limit
    (a stolen session must not become an unlimited password oracle)."""
    person = await session.get(Person, actor.person_id)
    assert person is not None
    await _count_account(redis, policy, person.phone)
    if not await asyncio.to_thread(passwords.verify, person.password_hash, current_password[:256]):
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, field="currentPassword")
    passwords.check_strength(new_password)
    person.password_hash = await asyncio.to_thread(passwords.hash_password, new_password)
    await session.flush()
    return await sessions.revoke_all(redis, person.id, keep=current_token)


# Every request loads its actor: built once, as plain columns (no ORM objects: a third of the
# cost of a cached catalog read was building a Person and its RoleAssignments).
_ACTOR = (
    select(
        Person.id,
        Person.name,
        Person.community_id,
        Person.household_id,
        Person.is_party_member,
        RoleAssignment.role,
        RoleAssignment.unit_id,
        RoleAssignment.seat_type,
    )
    .outerjoin(RoleAssignment, RoleAssignment.person_id == Person.id)
    .where(Person.id == bindparam("person_id"), Person.is_active)
    .order_by(RoleAssignment.id)  # one order: equal actors compare equal (sockets, feeds)
)


async def load_actor(session: AsyncSession | AsyncConnection, person_id: uuid.UUID) -> Actor | None:
    """The actor for a person id, with their role grants; None if absent or disabled."""
    rows = (await session.execute(_ACTOR, {"person_id": person_id})).all()
    if not rows:
        return None
    first = rows[0]
    grants = tuple(
        Grant(row.role, row.unit_id, row.seat_type) for row in rows if row.role is not None
    )
    return Actor(
        first.id,
        first.name,
        first.community_id,
        first.household_id,
        grants,
        is_party_member=first.is_party_member,
    )


async def actor_for_token(
    session: AsyncSession | AsyncConnection, redis: Redis, policy: AuthPolicy, token: str
) -> Actor | None:
    person_id = await sessions.resolve(redis, token, ttl=policy.session_ttl)
    return await load_actor(session, person_id) if person_id else None
