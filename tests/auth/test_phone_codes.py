"""Sign in and reset a password with a one-time SMS code (issue 14): the flows.

Each story reads the code where a person trying the demo would: the development gateway's
JSON-lines file (``<data dir>/outbox/sms.jsonl``).
"""

from __future__ import annotations

import hashlib
import hmac
import json

from redis.asyncio import Redis
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.settings import Settings
from services.people.models import Person
from tests.auth.codes_support import (
    ME,
    Outbox,
    ask,
    error_codes,
    reset,
    sign_in,
)
from tests.support import PASSWORD, Api, World


async def test_a_resident_signs_in_with_the_code_sent_by_sms(
    api: Api, world: World, settings: Settings
) -> None:
    # given a resident with a phone on file
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    # when they ask for a sign-in code
    asked = await ask(api, phone)
    # then the request is taken, and one message with a six-digit code is written for them
    assert asked == {"requested": True, "expiresIn": 300, "retryAfter": 60, "errors": []}
    [message] = await outbox.messages(phone)
    code = message["params"]["code"]
    assert len(code) == 6
    assert code.isdigit()
    assert message["template"] == "sign_in_code"
    assert code in message["text"]
    assert message["text"].startswith("【网格积分】")
    assert message["id"].startswith("dev-")
    # and the code signs them in: a session as a password sign-in makes
    signed_in = await sign_in(api, phone, code)
    assert signed_in["errors"] == []
    assert signed_in["me"] == {"phone": phone}
    assert (await api(ME, token=signed_in["token"])).data["me"] == {"phone": phone}
    # and the code is used up
    again = await sign_in(api, phone, code)
    assert again["token"] is None
    assert error_codes(again) == ["CODE_EXPIRED"]


async def test_a_phone_written_another_way_is_the_same_phone(
    api: Api, world: World, settings: Settings
) -> None:
    phone = world.phones["resident_b"]
    outbox = Outbox(settings)
    await ask(api, f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}")
    code = await outbox.code(phone)
    assert (await sign_in(api, phone, code))["errors"] == []


async def test_full_width_digits_of_the_code_are_its_digits(
    api: Api, world: World, settings: Settings
) -> None:
    phone = world.phones["resident_b"]
    outbox = Outbox(settings)
    await ask(api, phone)
    code = await outbox.code(phone)
    wide = "".join(chr(ord(digit) + 0xFEE0) for digit in code)  # what a Chinese IME may type
    assert (await sign_in(api, phone, f" {wide} "))["errors"] == []


async def test_forgot_password_reset_by_code(api: Api, world: World, settings: Settings) -> None:
    # given a resident signed in on another device
    phone = world.phones["resident_a2"]
    old_session = await api.sign_in(phone)
    outbox = Outbox(settings)
    # when they ask for a reset code
    assert (await ask(api, phone, "RESET_PASSWORD"))["requested"] is True
    [message] = await outbox.messages(phone)
    assert message["template"] == "reset_password_code"
    code = message["params"]["code"]
    # a weak new password is refused before the code is tried: the code still works after
    weak = await reset(api, phone, code, "short")
    assert [(e["code"], e["field"]) for e in weak["errors"]] == [("WEAK_PASSWORD", "newPassword")]
    # then the code sets the new password and signs every session out
    done = await reset(api, phone, code, "NewPassw0rd-2026")
    assert done == {"passwordReset": True, "sessionsRevoked": 1, "errors": []}
    assert (await api(ME, token=old_session)).data["me"] is None
    assert await api.sign_in(phone, "NewPassw0rd-2026")
    wrong = await api(
        "mutation($i: SignInInput!) { signIn(input: $i) { errors { code } } }",
        {"i": {"phone": phone, "password": PASSWORD}},
    )
    assert wrong.data["signIn"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    # and the reset code is used up
    assert error_codes(await reset(api, phone, code, "Another0ne-2026")) == ["CODE_EXPIRED"]


async def test_a_code_serves_its_own_purpose_only(
    api: Api, world: World, settings: Settings
) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    await ask(api, phone, "SIGN_IN")
    code = await outbox.code(phone)
    assert error_codes(await reset(api, phone, code, "NewPassw0rd-2026")) == ["CODE_EXPIRED"]
    assert (await sign_in(api, phone, code))["errors"] == []


async def test_a_newcomer_gets_a_registration_code(api: Api, settings: Settings) -> None:
    outbox = Outbox(settings)
    assert (await ask(api, "13912345678", "REGISTER"))["requested"] is True
    [message] = await outbox.messages("13912345678")
    assert message["template"] == "register_code"
    # a registration code is not a way in
    assert error_codes(await sign_in(api, "13912345678", message["params"]["code"])) == [
        "CODE_EXPIRED"
    ]


async def test_redis_keeps_only_a_keyed_hash_for_five_minutes(
    api: Api, world: World, settings: Settings, redis: Redis
) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    await ask(api, phone)
    code = await outbox.code(phone)
    key = f"gp:code:sign_in:{phone}"
    stored = await redis.hgetall(key)
    expected = hmac.new(
        b"test-code-secret", f"sign_in:{phone}:{code}".encode(), hashlib.sha256
    ).hexdigest()
    assert stored == {"h": expected, "tries": "0"}
    assert 290 < await redis.ttl(key) <= 300
    # nowhere in Redis is the code itself
    for name in await redis.keys("*"):
        kind = await redis.type(name)
        value = (
            json.dumps(await redis.hgetall(name))
            if kind == "hash"
            else str(await redis.get(name) if kind == "string" else "")
        )
        assert code not in value


async def test_an_expired_code_is_refused(
    api: Api, world: World, settings: Settings, redis: Redis
) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    await ask(api, phone)
    code = await outbox.code(phone)
    await redis.pexpire(f"gp:code:sign_in:{phone}", 1)  # its five minutes are up
    while await redis.exists(f"gp:code:sign_in:{phone}"):
        pass
    refused = await sign_in(api, phone, code, language="en")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("CODE_EXPIRED", "code")]
    assert refused["errors"][0]["message"] == (
        "The verification code has expired or was used; request a new one."
    )


async def test_a_new_request_replaces_the_previous_code(
    api: Api, world: World, settings: Settings, redis: Redis
) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    await ask(api, phone)
    first = await outbox.code(phone)
    await redis.delete(f"gp:rl:code:minute:{phone}")  # a minute later
    await ask(api, phone)
    second = await outbox.code(phone)
    if first != second:  # one in a million they are equal
        assert error_codes(await sign_in(api, phone, first)) == ["CODE_INVALID"]
    assert (await sign_in(api, phone, second))["errors"] == []


async def test_a_disabled_account_is_sent_no_code(
    api: Api, world: World, settings: Settings, session: AsyncSession
) -> None:
    phone = world.phones["resident_b"]
    await session.execute(update(Person).where(Person.phone == phone).values(is_active=False))
    await session.commit()
    outbox = Outbox(settings)
    assert (await ask(api, phone))["requested"] is True
    assert await outbox.messages() == []
