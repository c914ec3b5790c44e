"""One-time SMS codes: ask for one, then sign in or reset the password with it.

* A code is six digits from :mod:`secrets`. Redis keeps only its HMAC-SHA256 under the server's
  secret (``GRIDPOINTS_CODE_SECRET``), with the purpose and the phone, for ``ttl`` seconds (5 min);
  a new request replaces the previous code of that phone and purpose.
* Every submission takes one try first, atomically (``HINCRBY`` in one script), and only then
  compares, in constant time (:func:`hmac.compare_digest`): a burst of guesses, however
  concurrent, gets at most ``tries`` (5) comparisons; the fifth wrong one voids the code. A match
  is used by a compare-and-delete script, so of two concurrent correct submissions one signs in.
* Requests are limited per normalized phone (one a minute, ``daily_per_phone`` a day, whatever
  the purpose) and per client address (``daily_per_client`` a day).
* The answer never tells whether a phone is registered: every request does the same work (the
  limits, one person lookup, a code stored) and answers alike; only the sending differs, and it
  happens after the answer, in the background (:func:`drain` waits for it). A sign-in, reset or
  WeChat binding code for a phone with no active account is stored but sent to nobody, so
  checking it fails exactly as a wrong guess at a sent code does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.auth import ratelimit
from services.errors import DomainError, ErrorCode
from services.people.models import Person
from services.sms import SmsGateway, SmsTemplate, sending
from services.validation import phone as normalize_phone

DAY = 24 * 3600


class CodePurpose(StrEnum):
    SIGN_IN = "sign_in"
    REGISTER = "register"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a password)
    BIND_WECHAT = "bind_wechat"  # the first WeChat sign-in binds the WeChat identity to a person


TEMPLATES = {
    CodePurpose.SIGN_IN: SmsTemplate.SIGN_IN_CODE,
    CodePurpose.REGISTER: SmsTemplate.REGISTER_CODE,
    CodePurpose.RESET_PASSWORD: SmsTemplate.RESET_PASSWORD_CODE,
    CodePurpose.BIND_WECHAT: SmsTemplate.BIND_WECHAT_CODE,
}


@dataclass(frozen=True, slots=True)
class CodePolicy:
    gateway: SmsGateway | None = None  # None: codes are stored, never sent (logged as an error)
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    ttl: int = 5 * 60
    tries: int = 5
    interval: int = 60  # seconds between two requests for one phone
    daily_per_phone: int = 10
    daily_per_client: int = 50


def _key(purpose: CodePurpose, phone: str) -> str:
    return f"gp:code:{purpose.value}:{phone}"


def digest(policy: CodePolicy, purpose: CodePurpose, phone: str, code: str) -> str:
    message = f"{purpose.value}:{phone}:{code}".encode()
    return hmac.new(policy.secret, message, hashlib.sha256).hexdigest()


def _too_many(retry_after: int) -> DomainError:
    return DomainError(ErrorCode.TOO_MANY_CODE_REQUESTS, retry_after=max(retry_after, 1))


async def request_code(
    session: AsyncSession,
    redis: Redis,
    policy: CodePolicy,
    *,
    phone: str,
    purpose: CodePurpose,
    client: str,
) -> None:
    """Make a code for ``phone`` and send it if the phone may use it; answers alike either way."""
    wait = await ratelimit.hit(
        redis, f"code:client:{client}", limit=policy.daily_per_client, window=DAY
    )
    if wait is not None:
        raise _too_many(wait)
    phone = normalize_phone(phone)
    minute = f"gp:rl:code:minute:{phone}"
    if not await redis.set(minute, "1", nx=True, ex=policy.interval):
        raise _too_many(int(await redis.ttl(minute)))
    wait = await ratelimit.hit(
        redis, f"code:phone:{phone}", limit=policy.daily_per_phone, window=DAY
    )
    if wait is not None:
        raise _too_many(wait)
    active = await session.scalar(select(Person.is_active).where(Person.phone == phone))
    code = f"{secrets.randbelow(10**6):06d}"
    key = _key(purpose, phone)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.hset(key, mapping={"h": digest(policy, purpose, phone, code), "tries": 0})
        pipe.expire(key, policy.ttl)
        await pipe.execute()
    if purpose is CodePurpose.REGISTER or active:
        params = {"code": code, "minutes": str(max(policy.ttl // 60, 1))}
        sending.send_later(policy.gateway, phone, TEMPLATES[purpose], params)


# --- sending, after the answer (services/sms/sending.py) ---------------------------------------


async def drain() -> None:
    """Wait for the codes being sent (tests; a server's shutdown)."""
    await sending.drain()


# --- checking -----------------------------------------------------------------------------------

# One try is taken before any comparison: {tries so far, the stored digest}; 0 when there is no
# code; over the limit, the digest is withheld (the code is void until it expires).
_TAKE_TRY = """
local stored = redis.call('HGET', KEYS[1], 'h')
if not stored then return {0, ''} end
local tries = redis.call('HINCRBY', KEYS[1], 'tries', 1)
if tries > tonumber(ARGV[1]) then return {tries, ''} end
return {tries, stored}
"""
# The code is used once: only the submission that still finds its digest deletes it.
_USE = """
if redis.call('HGET', KEYS[1], 'h') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""


def _clean(code: str) -> str:
    return unicodedata.normalize("NFKC", code[:32]).strip()


async def check_code(
    redis: Redis, policy: CodePolicy, *, purpose: CodePurpose, phone: str, code: str
) -> None:
    """Use the code ``phone`` was sent for ``purpose``, or raise why not (field ``code``)."""
    key = _key(purpose, phone)
    tries, stored = await redis.eval(_TAKE_TRY, 1, key, policy.tries)
    tries = int(tries)
    if tries == 0:
        raise DomainError(ErrorCode.CODE_EXPIRED, field="code")
    if not stored:
        raise DomainError(ErrorCode.CODE_TOO_MANY_TRIES, field="code")
    offered = digest(policy, purpose, phone, _clean(code))
    if not hmac.compare_digest(offered, str(stored)):
        if tries >= policy.tries:
            raise DomainError(ErrorCode.CODE_TOO_MANY_TRIES, field="code")
        raise DomainError(ErrorCode.CODE_INVALID, field="code", remaining=policy.tries - tries)
    if not await redis.eval(_USE, 1, key, offered):
        raise DomainError(ErrorCode.CODE_EXPIRED, field="code")  # used meanwhile, or replaced
