"""WeChat sign-in (issue 14): the official account's web pages and the mini program, bound to a
person once by an SMS code, through a stand-in of WeChat's API (tests/wechat/standin.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.settings import Settings
from services.auth.models import WechatIdentity
from services.auth.wechat import check_state, make_state
from services.errors import DomainError, ErrorCode
from services.people.models import Person
from tests.auth.codes_support import ME, Outbox, ask, error_codes
from tests.support import Api, World, gid
from tests.wechat.standin import MP_APP_ID, OA_APP_ID, WechatStandIn
from tests.wechat.support import (
    BINDINGS,
    OPTIONS,
    REDIRECT,
    UNBIND,
    authorize,
    bind,
    sign_in,
)


async def first_visit(api: Api, wechat: WechatStandIn, openid: str) -> str:
    """The official account's page: redirect to WeChat, come back, sign in: a binding ticket."""
    url, state = await authorize(api)
    code, returned = wechat.authorize(url, openid)
    assert returned == state
    answer = await sign_in(api, code, state=state)
    assert answer["token"] is None and answer["errors"] == []
    ticket = answer["bindingTicket"]
    assert isinstance(ticket, str)
    return ticket


async def bind_by_code(api: Api, outbox: Outbox, ticket: str, phone: str) -> dict[str, object]:
    requested = await ask(api, phone, "BIND_WECHAT")
    assert requested["requested"] is True
    return await bind(api, ticket, phone, await outbox.code(phone))


async def identities(session: AsyncSession) -> list[tuple[str, str, str | None]]:
    rows = await session.execute(
        select(WechatIdentity.app_id, WechatIdentity.openid, WechatIdentity.unionid)
    )
    return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_options_name_both_apps(api: Api) -> None:
    reply = await api(OPTIONS)
    assert reply.data["wechatSignIn"] == {
        "officialAccount": True,
        "miniProgram": True,
        "officialAccountAppId": OA_APP_ID,
    }


async def test_the_authorize_url_is_wechats_with_our_redirect(api: Api) -> None:
    url, state = await authorize(api)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.netloc == "open.weixin.qq.com"
    assert query == {
        "appid": OA_APP_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "snsapi_base",
        "state": state,
    }
    assert state.isalnum() and len(state) <= 128  # what WeChat allows in state
    refused = await api('query { wechatAuthorizeUrl(redirectUri: "javascript:alert(1)") { url } }')
    assert refused.error_codes == ["INVALID_VALUE"]


async def test_first_sign_in_binds_by_code_and_the_second_signs_in_directly(
    api: Api, world: World, settings: Settings, wechat: WechatStandIn, session: AsyncSession
) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    # given a resident whose WeChat is not bound: the first visit gives a binding ticket
    ticket = await first_visit(api, wechat, "o-resident-a")
    assert await identities(session) == []
    # when they bind it with the code sent to their phone
    bound = await bind_by_code(api, outbox, ticket, phone)
    # then they are signed in with a session like any other
    assert bound["errors"] == [] and bound["me"] == {"phone": phone}
    token = bound["token"]
    assert isinstance(token, str)
    assert (await api(ME, token=token)).data["me"] == {"phone": phone}
    assert await identities(session) == [(OA_APP_ID, "o-resident-a", None)]
    mine = (await api(BINDINGS, token=token)).data["me"]["wechatBindings"]
    assert [b["source"] for b in mine] == ["OFFICIAL_ACCOUNT"]
    # and the next visit signs in straight away: no ticket, no code
    url, state = await authorize(api)
    code, _ = wechat.authorize(url, "o-resident-a")
    again = await sign_in(api, code, state=state)
    assert again["bindingTicket"] is None and again["me"] == {"phone": phone}
    assert (await api(ME, token=again["token"])).data["me"] == {"phone": phone}


async def test_the_mini_program_signs_in_by_code2session(
    api: Api, world: World, settings: Settings, wechat: WechatStandIn, session: AsyncSession
) -> None:
    phone = world.phones["resident_b"]
    outbox = Outbox(settings)
    first = await sign_in(api, wechat.login("o-mp-b", "u-b"), source="MINI_PROGRAM")
    assert first["token"] is None and first["bindingTicketExpiresIn"] == 600
    bound = await bind_by_code(api, outbox, first["bindingTicket"], phone)
    assert bound["me"] == {"phone": phone}
    assert await identities(session) == [(MP_APP_ID, "o-mp-b", "u-b")]
    again = await sign_in(api, wechat.login("o-mp-b", "u-b"), source="MINI_PROGRAM")
    assert again["me"] == {"phone": phone}
    # code2Session needs no access token: none fetched, none sent
    assert [path for path, _ in wechat.calls] == ["/sns/jscode2session"] * 2
    assert all("access_token" not in query for _, query in wechat.calls)
    # the same WeChat user in the official account has another openid: not bound there
    url, state = await authorize(api)
    code, _ = wechat.authorize(url, "o-oa-b", "u-b")
    assert (await sign_in(api, code, state=state))["bindingTicket"]


async def test_a_ticket_is_used_once(
    api: Api, world: World, settings: Settings, wechat: WechatStandIn
) -> None:
    outbox = Outbox(settings)
    ticket = await first_visit(api, wechat, "o-once")
    assert (await bind_by_code(api, outbox, ticket, world.phones["resident_a"]))["token"]
    replay = await bind_by_code(api, outbox, ticket, world.phones["resident_a2"])
    assert replay["token"] is None
    assert [(e["code"], e["field"]) for e in replay["errors"]] == [
        ("WECHAT_TICKET_INVALID", "ticket")
    ]
    assert replay["errors"][0]["message"] == "绑定已过期或已完成，请重新微信登录。"


async def test_a_ticket_lives_ten_minutes(
    api: Api, world: World, settings: Settings, wechat: WechatStandIn, redis: Redis
) -> None:
    outbox = Outbox(settings)
    await first_visit(api, wechat, "o-late")
    keys = [key async for key in redis.scan_iter("gp:wechat:ticket:*")]
    assert len(keys) == 1
    assert 590 < await redis.ttl(keys[0]) <= 600
    ticket = await first_visit(api, wechat, "o-late-2")
    async for key in redis.scan_iter("gp:wechat:ticket:*"):
        await redis.pexpire(key, 1)  # ten minutes later
    await redis.ping()
    late = await bind_by_code(api, outbox, ticket, world.phones["resident_a"])
    assert error_codes(late) == ["WECHAT_TICKET_INVALID"]


async def test_a_wrong_code_binds_nothing_and_the_ticket_stays(
    api: Api, world: World, settings: Settings, wechat: WechatStandIn, session: AsyncSession
) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    ticket = await first_visit(api, wechat, "o-wrong")
    await ask(api, phone, "BIND_WECHAT")
    code = await outbox.code(phone)
    wrong = await bind(api, ticket, phone, f"{(int(code) + 1) % 10**6:06d}")
    assert wrong["token"] is None
    assert [(e["code"], e["field"]) for e in wrong["errors"]] == [("CODE_INVALID", "code")]
    assert await identities(session) == []
    # a sign-in code is not a binding code
    assert error_codes(await bind(api, ticket, phone, "123456")) == ["CODE_INVALID"]
    # the ticket is still good for the right code
    assert (await bind(api, ticket, phone, code))["me"] == {"phone": phone}


async def test_an_openid_bound_elsewhere_is_refused(
    api: Api, world: World, settings: Settings, wechat: WechatStandIn, session: AsyncSession
) -> None:
    outbox = Outbox(settings)
    # two tickets of one WeChat user (two visits before binding)
    first = await first_visit(api, wechat, "o-shared")
    second = await first_visit(api, wechat, "o-shared")
    assert (await bind_by_code(api, outbox, first, world.phones["resident_a"]))["token"]
    other = await bind_by_code(api, outbox, second, world.phones["resident_b"])
    assert other["token"] is None
    assert other["errors"][0]["code"] == "WECHAT_BOUND_ELSEWHERE"
    assert other["errors"][0]["message"] == "该微信已绑定其他账号。"
    owners = await session.scalars(select(WechatIdentity.person_id))
    assert owners.all() == [world.people["resident_a"]]


async def test_a_person_binds_one_openid_per_app(
    api: Api,
    world: World,
    settings: Settings,
    wechat: WechatStandIn,
    session: AsyncSession,
    redis: Redis,
) -> None:
    phone = world.phones["resident_a"]
    outbox = Outbox(settings)
    assert (await bind_by_code(api, outbox, await first_visit(api, wechat, "o-1"), phone))["token"]
    await redis.delete(f"gp:rl:code:minute:{phone}")  # a minute later
    another = await bind_by_code(api, outbox, await first_visit(api, wechat, "o-2"), phone)
    assert error_codes(another) == ["WECHAT_ALREADY_BOUND"]
    assert await identities(session) == [(OA_APP_ID, "o-1", None)]


async def test_unbind_then_sign_in_gives_a_ticket_again(
    api: Api, world: World, settings: Settings, wechat: WechatStandIn, session: AsyncSession
) -> None:
    outbox = Outbox(settings)
    ticket = await first_visit(api, wechat, "o-unbind")
    token = (await bind_by_code(api, outbox, ticket, world.phones["resident_a"]))["token"]
    assert isinstance(token, str)
    assert (await api(UNBIND)).data["wechatUnbind"]["errors"][0]["code"] == "UNAUTHENTICATED"
    unbound = (await api(UNBIND, token=token)).data["wechatUnbind"]
    assert unbound == {"unbound": 1, "errors": []}
    assert (await api(BINDINGS, token=token)).data["me"]["wechatBindings"] == []
    assert await identities(session) == []
    assert await first_visit(api, wechat, "o-unbind")


async def test_nobody_else_sees_your_bindings(
    api: Api, world: World, settings: Settings, wechat: WechatStandIn
) -> None:
    outbox = Outbox(settings)
    ticket = await first_visit(api, wechat, "o-private")
    assert (await bind_by_code(api, outbox, ticket, world.phones["resident_a"]))["token"]
    admin = await api.login(world.people["community_admin"])
    reply = await api(
        "query($id: ID!) { node(id: $id) { ... on Person { phone wechatBindings { source } } } }",
        {"id": gid("Person", world.people["resident_a"])},
        token=admin,
    )
    assert reply.data["node"] == {"phone": world.phones["resident_a"], "wechatBindings": None}


async def test_a_disabled_account_cannot_sign_in_by_wechat(
    api: Api, world: World, settings: Settings, wechat: WechatStandIn, session: AsyncSession
) -> None:
    outbox = Outbox(settings)
    ticket = await first_visit(api, wechat, "o-disabled")
    assert (await bind_by_code(api, outbox, ticket, world.phones["resident_a"]))["token"]
    await session.execute(
        update(Person).where(Person.id == world.people["resident_a"]).values(is_active=False)
    )
    await session.commit()
    url, state = await authorize(api)
    code, _ = wechat.authorize(url, "o-disabled")
    assert error_codes(await sign_in(api, code, state=state)) == ["ACCOUNT_DISABLED"]


# --- WeChat's refusals ---------------------------------------------------------------------------


async def nothing_stored(redis: Redis, session: AsyncSession) -> bool:
    tickets = [key async for key in redis.scan_iter("gp:wechat:ticket:*")]
    return tickets == [] and await identities(session) == []


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ("unknown", "WECHAT_CODE_INVALID", "微信授权无效，请重新微信登录。"),
        ("reused", "WECHAT_CODE_USED", "微信授权已使用过，请重新微信登录。"),
        ("busy", "WECHAT_RATE_LIMITED", "微信登录过于频繁，请稍后再试。"),
        ("hang_up", "WECHAT_UNAVAILABLE", "暂时无法连接微信，请稍后再试或用手机号登录。"),
        ("wrong_secret", "WECHAT_UNAVAILABLE", "暂时无法连接微信，请稍后再试或用手机号登录。"),
    ],
)
async def test_wechats_refusals_are_typed_errors_in_chinese(
    api: Api,
    wechat: WechatStandIn,
    redis: Redis,
    session: AsyncSession,
    setup: str,
    code: str,
    message: str,
) -> None:
    for source in ("OFFICIAL_ACCOUNT", "MINI_PROGRAM"):
        state = None
        if source == "OFFICIAL_ACCOUNT":
            url, state = await authorize(api)
            given, _ = wechat.authorize(url, "o-refused")
        else:
            given = wechat.login("o-refused")
        if setup == "unknown":
            given = "0" * 32
        elif setup == "reused":
            assert (await sign_in(api, given, source=source, state=state))["bindingTicket"]
            await redis.delete(*[key async for key in redis.scan_iter("gp:wechat:ticket:*")])
        elif setup == "wrong_secret":
            wechat.secrets = {app: "rotated" for app in wechat.secrets}
        else:
            setattr(wechat, setup, True)
        refused = await sign_in(api, given, source=source, state=state)
        wechat.reset()
        assert refused["token"] is None and refused["bindingTicket"] is None
        assert [e["code"] for e in refused["errors"]] == [code]
        assert refused["errors"][0]["message"] == message
        assert await nothing_stored(redis, session)
    english = await sign_in(api, "0" * 32, source="MINI_PROGRAM", language="en")
    assert english["errors"][0]["message"].startswith("The WeChat authorization is invalid")


async def test_the_state_must_be_ours(api: Api, wechat: WechatStandIn) -> None:
    url, state = await authorize(api)
    code, _ = wechat.authorize(url, "o-state")
    for forged in (None, "", "1" * 58, state[:-1] + ("0" if state[-1] != "0" else "1")):
        refused = await sign_in(api, code, state=forged)
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("WECHAT_STATE_INVALID", "state")
        ]
    assert wechat.calls == []  # WeChat was never asked: the code is still good
    assert (await sign_in(api, code, state=state))["bindingTicket"]


def test_a_state_expires() -> None:
    secret = b"s" * 32
    state = make_state(secret, now=1_000_000)
    check_state(secret, state, ttl=600, now=1_000_600)
    for key, now in ((secret, 1_000_601), (secret, 999_999), (b"t" * 32, 1_000_000)):
        with pytest.raises(DomainError) as refused:
            check_state(key, state, ttl=600, now=now)
        assert refused.value.code is ErrorCode.WECHAT_STATE_INVALID


# --- WeChat off ---------------------------------------------------------------------------------


@pytest.fixture
async def plain(settings: Settings, database_url: str, redis_url: str) -> AsyncIterator[Api]:
    """The app as a fresh install runs it: no WeChat app configured."""
    application = create_app(settings, database_url=database_url, redis_url=redis_url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application, client=("203.0.113.8", 50000)),
        base_url="http://gridpoints.test",
    ) as client:
        yield Api(client, application.state.gridpoints.redis)
    await application.state.gridpoints.close()


async def test_not_configured(plain: Api, world: World) -> None:
    assert (await plain(OPTIONS)).data["wechatSignIn"] == {
        "officialAccount": False,
        "miniProgram": False,
        "officialAccountAppId": None,
    }
    assert (
        await plain('query { wechatAuthorizeUrl(redirectUri: "https://x.test/") { url } }')
    ).error_codes == ["WECHAT_NOT_CONFIGURED"]
    for source in ("OFFICIAL_ACCOUNT", "MINI_PROGRAM"):
        refused = await sign_in(plain, "a" * 32, source=source, state="x")
        assert error_codes(refused) == ["WECHAT_NOT_CONFIGURED"]
        assert refused["errors"][0]["message"] == "本平台未开通微信登录，请用手机号登录。"
