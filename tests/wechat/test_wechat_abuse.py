"""Abuse of WeChat sign-in (issue 14): guessing tickets, flooding binds, telling phones apart.

Test settings: 20 sign-in attempts per client in 15 minutes, one code request per phone a
minute, 5 tries per code.
"""

from __future__ import annotations

import asyncio
import re

from redis.asyncio import Redis

from api.settings import Settings
from tests.auth.codes_support import Outbox, ask, error_codes
from tests.support import Api, World
from tests.wechat.standin import WechatStandIn
from tests.wechat.support import bind, sign_in

UNREGISTERED = "13987654321"


async def ticket_for(api: Api, wechat: WechatStandIn, openid: str) -> str:
    answer = await sign_in(api, wechat.login(openid), source="MINI_PROGRAM")
    ticket = answer["bindingTicket"]
    assert isinstance(ticket, str)
    return ticket


async def test_tickets_cannot_be_guessed(api: Api, wechat: WechatStandIn, redis: Redis) -> None:
    tickets = [await ticket_for(api, wechat, f"o-{n}") for n in range(5)]
    # 32 random bytes each (256 bits), URL-safe, all different
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tickets)
    assert len(set(tickets)) == 5
    # Redis holds their SHA-256 only: a dump gives no usable ticket
    stored = [key async for key in redis.scan_iter("gp:wechat:ticket:*")]
    assert len(stored) == 5
    for key in stored:
        held = await redis.get(key)
        assert all(t not in key and t not in held for t in tickets)
    # a guessed ticket is refused before any code is looked at
    near = tickets[0][:-1] + ("A" if tickets[0][-1] != "A" else "B")
    guess = await bind(api, near, "13700000008", "123456")
    assert error_codes(guess) == ["WECHAT_TICKET_INVALID"]


async def test_binds_count_against_the_sign_in_limit(
    api: Api, world: World, wechat: WechatStandIn
) -> None:
    ticket = await ticket_for(api, wechat, "o-flood")  # one attempt
    phone = world.phones["resident_a"]
    answers = [await bind(api, ticket, phone, f"{n:06d}") for n in range(19)]
    assert {error_codes(a)[0] for a in answers} <= {"CODE_EXPIRED", "CODE_INVALID"}
    limited = await bind(api, ticket, phone, "000000")
    assert error_codes(limited) == ["RATE_LIMITED"]
    # WeChat sign-ins share the limit (each costs a call to WeChat)
    assert error_codes(await sign_in(api, wechat.login("o-x"), source="MINI_PROGRAM")) == [
        "RATE_LIMITED"
    ]


async def test_five_wrong_codes_void_the_binding_code(
    api: Api, world: World, settings: Settings, wechat: WechatStandIn
) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    ticket = await ticket_for(api, wechat, "o-guess")
    await ask(api, phone, "BIND_WECHAT")
    code = await outbox.code(phone)
    guesses = [f"{n:06d}" for n in range(20) if f"{n:06d}" != code][:8]
    replies = await asyncio.gather(*(bind(api, ticket, phone, g) for g in guesses))
    assert sum(error_codes(r) == ["CODE_INVALID"] for r in replies) == 4
    assert sum(error_codes(r) == ["CODE_TOO_MANY_TRIES"] for r in replies) == 4
    assert error_codes(await bind(api, ticket, phone, code)) == ["CODE_TOO_MANY_TRIES"]


async def test_binding_codes_share_the_code_limits(
    api: Api, world: World, settings: Settings
) -> None:
    phone = world.phones["resident_a"]
    assert (await ask(api, phone, "SIGN_IN"))["requested"]
    again = await ask(api, phone, "BIND_WECHAT")
    assert again["requested"] is False
    assert error_codes(again) == ["TOO_MANY_CODE_REQUESTS"]


async def test_binding_does_not_tell_whether_a_phone_is_registered(
    api: Api, world: World, settings: Settings, wechat: WechatStandIn
) -> None:
    outbox = Outbox(settings)
    ticket = await ticket_for(api, wechat, "o-probe")
    registered, unregistered = world.phones["resident_a"], UNREGISTERED
    asked = [await ask(api, p, "BIND_WECHAT") for p in (registered, unregistered)]
    assert asked[0] == asked[1]
    sent = await outbox.messages()
    assert [m["phone"] for m in sent] == [registered]
    assert "绑定微信" in sent[0]["text"]
    answers = [await bind(api, ticket, p, "999999") for p in (registered, unregistered)]
    if sent[0]["params"]["code"] == "999999":  # one in a million
        return
    assert answers[0] == answers[1]
    assert error_codes(answers[0]) == ["CODE_INVALID"]


async def test_two_binds_at_once_bind_once(
    api: Api, world: World, settings: Settings, wechat: WechatStandIn
) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    ticket = await ticket_for(api, wechat, "o-race")
    await ask(api, phone, "BIND_WECHAT")
    code = await outbox.code(phone)
    replies = await asyncio.gather(*(bind(api, ticket, phone, code) for _ in range(4)))
    assert sum(r["token"] is not None for r in replies) == 1
