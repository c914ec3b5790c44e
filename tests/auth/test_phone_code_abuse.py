"""Abuse of the SMS codes (issue 14): guessing, flooding, and telling registered phones apart.

Test settings: 3 code requests per phone a day, 8 per client address a day, one per phone a
minute, 5 tries per code, 20 sign-in attempts per client in 15 minutes.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette

from api.settings import Settings
from tests.auth.codes_support import Outbox, ask, error_codes, sign_in
from tests.support import Api, World

UNREGISTERED = "13987654321"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.fixture
async def elsewhere(app: Starlette, api: Api) -> AsyncIterator[Api]:
    """A second client, from another address."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.23", 41000)),
        base_url="http://gridpoints.test",
    ) as client:
        yield Api(client, api.redis)


# --- brute force --------------------------------------------------------------------------------


async def test_five_wrong_tries_void_the_code(api: Api, world: World, settings: Settings) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    await ask(api, phone)
    code = await outbox.code(phone)
    for left in (4, 3, 2, 1):
        refused = await sign_in(api, phone, wrong(code))
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [("CODE_INVALID", "code")]
        assert refused["errors"][0]["message"] == f"验证码不正确，还可再试 {left} 次。"
    fifth = await sign_in(api, phone, wrong(code))
    assert error_codes(fifth) == ["CODE_TOO_MANY_TRIES"]
    # the right code is of no use now
    late = await sign_in(api, phone, code)
    assert late["token"] is None
    assert error_codes(late) == ["CODE_TOO_MANY_TRIES"]


async def test_a_concurrent_burst_of_guesses_gets_five_comparisons(
    api: Api, world: World, settings: Settings
) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    await ask(api, phone)
    code = await outbox.code(phone)
    guesses = [f"{n:06d}" for n in range(1000) if f"{n:06d}" != code][:12]
    # when 12 wrong guesses arrive at once
    replies = await asyncio.gather(*(sign_in(api, phone, guess) for guess in guesses))
    # then four are told how many tries are left (each a different count), the rest that the
    # code is void: five comparisons in all, and nobody got in
    messages = sorted(
        r["errors"][0]["message"] for r in replies if r["errors"][0]["code"] == "CODE_INVALID"
    )
    assert messages == [f"验证码不正确，还可再试 {n} 次。" for n in (1, 2, 3, 4)]
    assert sum(error_codes(r) == ["CODE_TOO_MANY_TRIES"] for r in replies) == 8
    assert all(r["token"] is None for r in replies)
    assert error_codes(await sign_in(api, phone, code)) == ["CODE_TOO_MANY_TRIES"]


async def test_two_correct_submissions_at_once_sign_in_once(
    api: Api, world: World, settings: Settings
) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    await ask(api, phone)
    code = await outbox.code(phone)
    # five at once: each gets one of the code's five tries and finds it right; one uses it
    replies = await asyncio.gather(*(sign_in(api, phone, code) for _ in range(5)))
    tokens = [r["token"] for r in replies if r["token"]]
    assert len(tokens) == 1
    assert sorted(error_codes(r)[0] for r in replies if not r["token"]) == ["CODE_EXPIRED"] * 4


async def test_code_guesses_count_against_the_clients_sign_in_limit(
    api: Api, elsewhere: Api, world: World, settings: Settings
) -> None:
    """20 sign-in attempts per client (test setting), password and code alike."""
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    await ask(api, phone)
    code = await outbox.code(phone)
    for _ in range(20):
        await sign_in(api, UNREGISTERED, "000000")
    assert error_codes(await sign_in(api, phone, code)) == ["RATE_LIMITED"]
    assert (await sign_in(elsewhere, phone, code))["errors"] == []


# --- request flooding ---------------------------------------------------------------------------


async def test_one_code_request_per_phone_a_minute(
    api: Api, elsewhere: Api, world: World, settings: Settings
) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    await ask(api, phone)
    # a second request within the minute, from anywhere and for any purpose, is refused
    for client, purpose in ((api, "SIGN_IN"), (elsewhere, "RESET_PASSWORD")):
        refused = await ask(client, phone, purpose, language="en")
        assert refused["requested"] is False
        assert [e["code"] for e in refused["errors"]] == ["TOO_MANY_CODE_REQUESTS"]
        assert 0 < refused["retryAfter"] <= 60
        assert refused["errors"][0]["message"] == (
            f"Too many verification codes requested; try again in {refused['retryAfter']} seconds."
        )
    # and only the first was sent
    code = await outbox.code(phone)
    assert (await sign_in(api, phone, code))["errors"] == []


async def test_a_phone_gets_a_few_codes_a_day(
    api: Api, elsewhere: Api, world: World, redis: Redis
) -> None:
    phone = world.phones["resident_a"]
    spelled = (phone, f"+86{phone}", f"{phone[:3]} {phone[3:7]} {phone[7:]}")
    for client, written in zip((api, elsewhere, api), spelled, strict=True):
        assert (await ask(client, written))["requested"] is True
        await redis.delete(f"gp:rl:code:minute:{phone}")  # a minute later
    refused = await ask(elsewhere, f"{phone[:3]}-{phone[3:]}")
    assert [e["code"] for e in refused["errors"]] == ["TOO_MANY_CODE_REQUESTS"]
    assert 60 < refused["retryAfter"] <= 24 * 3600  # until the day's window ends


async def test_a_client_gets_a_few_codes_a_day(
    api: Api, elsewhere: Api, world: World, settings: Settings
) -> None:
    outbox = Outbox(settings)
    phones = [world.phones[k] for k in ("resident_a", "resident_a2", "resident_b", "worker_a")]
    phones += [f"1398765432{n}" for n in range(4)]
    for phone in phones:  # 8 a day from one address (test setting), registered or not
        assert (await ask(api, phone))["requested"] is True
    refused = await ask(api, "13911112222")
    assert [e["code"] for e in refused["errors"]] == ["TOO_MANY_CODE_REQUESTS"]
    assert refused["retryAfter"] > 60
    # a malformed phone counts for the client as well
    assert [e["code"] for e in (await ask(api, "12"))["errors"]] == ["TOO_MANY_CODE_REQUESTS"]
    # another address is not held back
    assert (await ask(elsewhere, "13911112222"))["requested"] is True
    assert len(await outbox.messages()) == 4  # the registered phones only


# --- enumeration --------------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["SIGN_IN", "RESET_PASSWORD"])
@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_registered_and_unregistered_phones_get_the_same_answers(
    api: Api, world: World, settings: Settings, redis: Redis, purpose: str, language: str
) -> None:
    registered = world.phones["resident_a"]
    outbox = Outbox(settings)
    answers: dict[str, list[object]] = {}
    for phone in (registered, UNREGISTERED):
        replies: list[object] = []
        for _ in range(2):  # the request, and one too soon
            reply = await api(
                "mutation($i: PhoneCodeRequestInput!) { phoneCodeRequest(input: $i) {"
                " requested expiresIn retryAfter errors { code message field } } }",
                {"i": {"phone": phone, "purpose": purpose}},
                language=language,
            )
            replies.append((reply.status, reply.body))
        guess = await sign_in(api, phone, "000000", language=language)
        replies.append(guess)  # CODE_INVALID, 4 tries left (unless the code was 000000)
        key = f"gp:code:{purpose.lower()}:{phone}"
        replies.append((sorted(await redis.hgetall(key)), await redis.ttl(key) > 0))
        answers[phone] = replies
    # the minute's retry-after may tick between the two phones
    for replies in answers.values():
        _, body = replies[1]  # type: ignore[misc]
        body["data"]["phoneCodeRequest"]["retryAfter"] = min(
            59, body["data"]["phoneCodeRequest"]["retryAfter"]
        )
        body["data"]["phoneCodeRequest"]["errors"][0]["message"] = "<retry message>"
    assert answers[registered] == answers[UNREGISTERED]
    # only the registered phone was sent anything
    sent = await outbox.messages()
    assert [m["phone"] for m in sent] == [registered]


async def test_a_wrong_code_reads_the_same_for_any_phone(
    api: Api, world: World, settings: Settings
) -> None:
    registered = world.phones["resident_a"]
    await ask(api, registered)
    await ask(api, UNREGISTERED)
    for_registered = await sign_in(api, registered, "123123")
    for_unregistered = await sign_in(api, UNREGISTERED, "123123")
    # (a one-in-a-million chance the registered phone's code is 123123)
    assert for_registered == for_unregistered
    assert error_codes(for_registered) == ["CODE_INVALID"]
    # and a phone that asked for nothing reads like an expired code, registered or not
    never = await sign_in(api, world.phones["resident_b"], "123123")
    assert never == await sign_in(api, "13900001111", "123123")


async def test_requests_take_the_same_time_for_registered_and_unregistered_phones(
    api: Api, world: World, redis: Redis
) -> None:
    """Medians of 15 requests each, interleaved; the limits are reset between requests."""
    registered = world.phones["resident_a"]
    times: dict[str, list[float]] = {registered: [], UNREGISTERED: []}
    for _ in range(15):
        for phone in times:
            for key in await redis.keys("gp:rl:code:*"):
                await redis.delete(key)
            started = time.perf_counter()
            assert (await ask(api, phone))["requested"] is True
            times[phone].append(time.perf_counter() - started)
    medians = {phone: statistics.median(spent) for phone, spent in times.items()}
    fast, slow = sorted(medians.values())
    assert slow - fast < max(0.005, 0.5 * fast), medians
