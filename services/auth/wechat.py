"""WeChat sign-in: a WeChat identity is a way in to a person, bound once by an SMS code.

* :func:`authorize` gives the official account's authorize URL with a ``state`` the server
  signed (HMAC under the code secret, with the time it was made: valid ``state_ttl`` seconds);
  the web app keeps it too and compares it on return (CSRF), and :func:`sign_in` checks it was
  ours and is fresh. Only hex digits: WeChat allows ``[a-zA-Z0-9]`` in ``state``.
* :func:`sign_in` exchanges the code at WeChat (:mod:`services.wechat`) for the openid of the
  app. Bound to a person: a session, as any sign-in makes one. Not bound: a **binding ticket**,
  32 random bytes (256 bits) that Redis keeps only as a SHA-256, with the app, openid, unionid and
  source, for ``ticket_ttl`` seconds (10 minutes). Every call counts against the client's
  sign-in limit, as a password or code sign-in does (each one costs a call to WeChat).
* :func:`bind` takes the ticket, a phone and its code (``phoneCodeRequest(BIND_WECHAT)``, the
  limits of every code): a right code uses the ticket (once) and binds the identity to the
  phone's person, then signs in. A wrong code leaves the ticket for the next try and binds
  nothing; the answers tell no more about the phone than a code sign-in does. One openid binds
  one person and a person one openid per app (unique constraints, so two binds at once cannot
  both win).
* WeChat's refusals (40029 an invalid code, 40163 a used one, 45011 too many calls) and a WeChat
  out of reach are typed errors; nothing is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.auth import codes, sessions
from services.auth.codes import CodePurpose
from services.auth.models import OPENID_MAX, WechatIdentity
from services.auth.service import AuthPolicy, SignedIn, count_client
from services.authz import Actor
from services.errors import DomainError, ErrorCode
from services.people.models import Person
from services.validation import phone as normalize_phone
from services.wechat import WechatApp, WechatError, WechatPolicy, WechatSource, WechatUser

log = logging.getLogger("gridpoints.wechat")

TICKET_BYTES = 32
REDIRECT_URI_MAX = 1000
CODE_MAX = 128  # WeChat's codes are 32 characters
INVALID_CODE, CODE_USED, MINUTE_QUOTA, DAILY_QUOTA = 40029, 40163, 45011, 45009


@dataclass(frozen=True, slots=True)
class Authorization:
    url: str
    state: str


@dataclass(frozen=True, slots=True)
class WechatSignIn:
    """Signed in (``signed_in``), or a ticket to bind the WeChat identity first."""

    signed_in: SignedIn | None = None
    ticket: str | None = None


def _app(policy: WechatPolicy, source: WechatSource) -> WechatApp:
    app = policy.app(source)
    if app is None:
        raise DomainError(ErrorCode.WECHAT_NOT_CONFIGURED)
    return app


# --- the official account's redirect and its state ---------------------------------------------


def _state_mac(secret: bytes, issued: str, nonce: str) -> str:
    message = f"wechat-state:{issued}:{nonce}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def make_state(secret: bytes, *, now: float | None = None) -> str:
    issued = f"{int(time.time() if now is None else now):010d}"
    nonce = secrets.token_hex(8)
    return issued + nonce + _state_mac(secret, issued, nonce)


def check_state(secret: bytes, state: str | None, *, ttl: int, now: float | None = None) -> None:
    state = state or ""
    issued, nonce, mac = state[:10], state[10:26], state[26:]
    fresh = (
        len(state) == 58
        and issued.isdigit()
        and 0 <= (time.time() if now is None else now) - int(issued) <= ttl
    )
    if not fresh or not hmac.compare_digest(mac, _state_mac(secret, issued, nonce)):
        raise DomainError(ErrorCode.WECHAT_STATE_INVALID, field="state")


def authorize(policy: AuthPolicy, *, redirect_uri: str) -> Authorization:
    """The official account's authorize URL (scope ``snsapi_base``) back to ``redirect_uri``."""
    app = _app(policy.wechat, WechatSource.OFFICIAL_ACCOUNT)
    if len(redirect_uri) > REDIRECT_URI_MAX or not redirect_uri.startswith(("https://", "http://")):
        raise DomainError(ErrorCode.INVALID_VALUE, field="redirectUri")
    state = make_state(policy.codes.secret)
    assert policy.wechat.gateway is not None
    return Authorization(policy.wechat.gateway.authorize_url(app, redirect_uri, state), state)


# --- sign-in ------------------------------------------------------------------------------------


def _refusal(error: WechatError, source: WechatSource) -> DomainError:
    if error.errcode == INVALID_CODE:
        return DomainError(ErrorCode.WECHAT_CODE_INVALID, field="code")
    if error.errcode == CODE_USED:
        return DomainError(ErrorCode.WECHAT_CODE_USED, field="code")
    if error.errcode in (MINUTE_QUOTA, DAILY_QUOTA):
        log.warning("WeChat's call quota reached (%s, %s)", source.value, error.errcode)
        return DomainError(ErrorCode.WECHAT_RATE_LIMITED)
    # out of reach, or a refusal of our credentials (40013 app id, 40125 secret): ours to fix
    log.warning("WeChat sign-in failed (%s): %s %s", source.value, error.errcode, error.message)
    return DomainError(ErrorCode.WECHAT_UNAVAILABLE)


def _ticket_key(ticket: str) -> str:
    return "gp:wechat:ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


async def _issue_ticket(
    redis: Redis, policy: WechatPolicy, source: WechatSource, user: WechatUser
) -> str:
    ticket = secrets.token_urlsafe(TICKET_BYTES)
    held = {
        "source": source.value,
        "app_id": user.app_id,
        "openid": user.openid,
        "unionid": user.unionid,
    }
    await redis.set(_ticket_key(ticket), json.dumps(held), ex=policy.ticket_ttl)
    return ticket


async def sign_in(
    session: AsyncSession,
    redis: Redis,
    policy: AuthPolicy,
    *,
    source: WechatSource,
    code: str,
    state: str | None,
    client: str,
) -> WechatSignIn:
    """Sign in with a WeChat code: signed in when bound, else a binding ticket."""
    await count_client(redis, policy, client)
    app = _app(policy.wechat, source)
    if source is WechatSource.OFFICIAL_ACCOUNT:
        check_state(policy.codes.secret, state, ttl=policy.wechat.state_ttl)
    code = code.strip()
    if not code or len(code) > CODE_MAX:
        raise DomainError(ErrorCode.WECHAT_CODE_INVALID, field="code")
    assert policy.wechat.gateway is not None
    try:
        user = await policy.wechat.gateway.identify(app, source, code)
    except WechatError as error:
        raise _refusal(error, source) from error
    if len(user.openid) > OPENID_MAX or len(user.unionid or "") > OPENID_MAX:
        raise _refusal(WechatError(None, "an openid longer than any WeChat gives"), source)
    person = await session.scalar(
        select(Person)
        .join(WechatIdentity, WechatIdentity.person_id == Person.id)
        .where(WechatIdentity.app_id == user.app_id, WechatIdentity.openid == user.openid)
    )
    if person is None:
        return WechatSignIn(ticket=await _issue_ticket(redis, policy.wechat, source, user))
    if not person.is_active:
        raise DomainError(ErrorCode.ACCOUNT_DISABLED)
    token = await sessions.create(redis, person.id, ttl=policy.session_ttl)
    return WechatSignIn(signed_in=SignedIn(token, person))


# --- binding ------------------------------------------------------------------------------------


async def bind(
    session: AsyncSession,
    redis: Redis,
    policy: AuthPolicy,
    *,
    ticket: str,
    phone: str,
    code: str,
    client: str,
) -> SignedIn:
    """Bind the ticket's WeChat identity to the person at ``phone`` (by the code sent there with
    ``BIND_WECHAT``) and sign in. Counts against the client's sign-in limit."""
    await count_client(redis, policy, client)
    phone = normalize_phone(phone)
    key = _ticket_key(ticket[:128])
    held = await redis.get(key)
    if held is None:
        raise DomainError(ErrorCode.WECHAT_TICKET_INVALID, field="ticket")
    await codes.check_code(
        redis, policy.codes, purpose=CodePurpose.BIND_WECHAT, phone=phone, code=code
    )
    if not await redis.delete(key):  # used meanwhile by a concurrent bind
        raise DomainError(ErrorCode.WECHAT_TICKET_INVALID, field="ticket")
    identity = json.loads(held)
    person = await session.scalar(select(Person).where(Person.phone == phone))
    if person is None:  # removed since the code was sent
        raise DomainError(ErrorCode.CODE_EXPIRED, field="code")
    if not person.is_active:
        raise DomainError(ErrorCode.ACCOUNT_DISABLED)
    await _bind(session, person.id, identity)
    token = await sessions.create(redis, person.id, ttl=policy.session_ttl)
    return SignedIn(token, person)


async def _bind(session: AsyncSession, person_id: uuid.UUID, identity: dict[str, str]) -> None:
    app_id, openid = identity["app_id"], identity["openid"]
    added = await session.scalar(
        insert(WechatIdentity)
        .values(
            person_id=person_id,
            source=WechatSource(identity["source"]),
            app_id=app_id,
            openid=openid,
            unionid=identity.get("unionid"),
        )
        .on_conflict_do_nothing()
        .returning(WechatIdentity.id)
    )
    if added is not None:
        return
    owner = await session.scalar(
        select(WechatIdentity.person_id).where(
            WechatIdentity.app_id == app_id, WechatIdentity.openid == openid
        )
    )
    if owner == person_id:  # bound already (a second ticket of the same user)
        return
    if owner is not None:
        raise DomainError(ErrorCode.WECHAT_BOUND_ELSEWHERE, field="ticket")
    raise DomainError(ErrorCode.WECHAT_ALREADY_BOUND, field="phone")


async def unbind(session: AsyncSession, actor: Actor) -> int:
    """Remove the actor's WeChat bindings (every app); returns how many."""
    removed = await session.scalars(
        delete(WechatIdentity)
        .where(WechatIdentity.person_id == actor.person_id)
        .returning(WechatIdentity.id)
    )
    return len(removed.all())


async def bindings(session: AsyncSession, person_id: uuid.UUID) -> Sequence[WechatIdentity]:
    found = await session.scalars(
        select(WechatIdentity)
        .where(WechatIdentity.person_id == person_id)
        .order_by(WechatIdentity.created_at)
    )
    return found.all()
