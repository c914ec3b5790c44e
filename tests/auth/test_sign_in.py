"""Sign-in, sessions (expiry, revocation), password change and rate limits."""

from __future__ import annotations

import asyncio

import httpx
from redis.asyncio import Redis
from starlette.applications import Starlette

from services.auth import sessions
from tests.support import PASSWORD, Api, World

SIGN_IN = """
mutation($i: SignInInput!) {
  signIn(input: $i) { token me { name phone } errors { code message field } }
}"""
ME = "{ me { name phone roles { role unit { code } } } }"


async def test_sign_in_then_me(api: Api, world: World) -> None:
    reply = await api(SIGN_IN, {"i": {"phone": world.phones["worker_a"], "password": PASSWORD}})
    payload = reply.data["signIn"]
    assert payload["errors"] == []
    assert payload["me"]["phone"] == world.phones["worker_a"]

    me = (await api(ME, token=payload["token"])).data["me"]
    assert me["name"] == "测试worker_a"
    assert {"role": "GRID_WORKER", "unit": {"code": "T-A"}} in me["roles"]


async def test_wrong_password_and_unknown_phone_look_the_same(api: Api, world: World) -> None:
    wrong = await api(SIGN_IN, {"i": {"phone": world.phones["worker_a"], "password": "nope12345"}})
    unknown = await api(SIGN_IN, {"i": {"phone": "13999999999", "password": PASSWORD}})
    for reply in (wrong, unknown):
        payload = reply.data["signIn"]
        assert payload["token"] is None
        assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]
        assert payload["errors"][0]["message"] == "手机号或密码错误。"


async def test_error_message_follows_accept_language(api: Api, world: World) -> None:
    reply = await api(
        SIGN_IN,
        {"i": {"phone": world.phones["worker_a"], "password": "nope12345"}},
        language="en-US,en;q=0.9,zh;q=0.5",
    )
    assert reply.data["signIn"]["errors"][0]["message"] == "Wrong phone number or password."


async def test_me_is_null_without_a_token_or_with_a_bogus_one(api: Api, world: World) -> None:
    assert (await api(ME)).data["me"] is None
    assert (await api(ME, token="forged-token")).data["me"] is None


async def test_sign_out_revokes_the_session(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["resident_a"])
    reply = await api("mutation { signOut { signedOut } }", token=token)
    assert reply.data["signOut"]["signedOut"] is True
    assert (await api(ME, token=token)).data["me"] is None


async def test_expired_session_is_refused(
    app: Starlette, api: Api, world: World, redis: Redis
) -> None:
    person_id = world.people["resident_a"]
    token = await sessions.create(redis, person_id, ttl=1)
    assert (await api(ME, token=token)).data["me"] is not None  # live, and slides to the app's ttl
    short = await sessions.create(redis, person_id, ttl=1)
    await asyncio.sleep(1.3)
    assert (await api(ME, token=short)).data["me"] is None


async def test_password_change_revokes_other_sessions(api: Api, world: World) -> None:
    phone = world.phones["resident_a"]
    kept = await api.sign_in(phone)
    other = await api.sign_in(phone)
    reply = await api(
        """mutation($i: PasswordChangeInput!) {
             passwordChange(input: $i) { sessionsRevoked errors { code } } }""",
        {"i": {"currentPassword": PASSWORD, "newPassword": "NewSecret99"}},
        token=kept,
    )
    assert reply.data["passwordChange"] == {"sessionsRevoked": 1, "errors": []}
    assert (await api(ME, token=kept)).data["me"] is not None
    assert (await api(ME, token=other)).data["me"] is None
    old = await api(SIGN_IN, {"i": {"phone": phone, "password": PASSWORD}})
    assert old.data["signIn"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert await api.sign_in(phone, "NewSecret99")


async def test_password_change_refuses_weak_password_and_changes_nothing(
    api: Api, world: World
) -> None:
    token = await api.sign_in(world.phones["resident_a"])
    reply = await api(
        """mutation($i: PasswordChangeInput!) {
             passwordChange(input: $i) { errors { code field } } }""",
        {"i": {"currentPassword": PASSWORD, "newPassword": "short"}},
        token=token,
    )
    assert reply.data["passwordChange"]["errors"] == [
        {"code": "WEAK_PASSWORD", "field": "newPassword"}
    ]
    assert await api.sign_in(world.phones["resident_a"], PASSWORD)


async def test_rate_limit_per_phone_counts_every_alias(api: Api, world: World) -> None:
    """Five attempts per phone (test setting): aliases in one request each count."""
    phone = world.phones["worker_a"]
    fields = " ".join(
        f'a{n}: signIn(input: {{phone: "{phone}", password: "wrong-{n}"}}) {{ errors {{ code }} }}'
        for n in range(7)
    )
    reply = await api(f"mutation {{ {fields} }}")
    codes = [reply.data[f"a{n}"]["errors"][0]["code"] for n in range(7)]
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"] * 2
    # the right password is refused too while the window lasts
    late = await api(SIGN_IN, {"i": {"phone": phone, "password": PASSWORD}})
    assert late.data["signIn"]["errors"][0]["code"] == "RATE_LIMITED"
    assert late.data["signIn"]["token"] is None
    # another phone from another address is unaffected
    assert await api.sign_in(world.phones["worker_b"])


async def test_rate_limit_per_client_address(app: Starlette, world: World) -> None:
    """Twenty attempts per address (test setting), whichever phones they name."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 1)), base_url="http://t"
    ) as client:
        probe = Api(client)
        codes = []
        for n in range(22):
            reply = await probe(
                SIGN_IN, {"i": {"phone": f"1360000{n:04d}", "password": "whatever1"}}
            )
            codes.append(reply.data["signIn"]["errors"][0]["code"])
    assert codes[:20] == ["INVALID_CREDENTIALS"] * 20
    assert codes[20:] == ["RATE_LIMITED"] * 2
    rate = await probe_message(app)
    assert "秒后再试" in rate


async def probe_message(app: Starlette) -> str:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 1)), base_url="http://t"
    ) as client:
        reply = await Api(client)(SIGN_IN, {"i": {"phone": "13600000000", "password": "x1"}})
    message = reply.data["signIn"]["errors"][0]["message"]
    assert isinstance(message, str)
    return message


async def test_invalid_phone_is_a_typed_error(api: Api) -> None:
    reply = await api(SIGN_IN, {"i": {"phone": "12345", "password": PASSWORD}})
    assert reply.data["signIn"]["errors"] == [
        {"code": "INVALID_PHONE", "field": "phone", "message": "手机号格式不正确，应为 11 位数字。"}
    ]


async def test_batched_requests_are_refused(api: Api, world: World) -> None:
    """Batching is off: a list of operations cannot multiply sign-in attempts past the limit."""
    body = [
        {"query": SIGN_IN, "variables": {"i": {"phone": world.phones["worker_a"], "password": "x"}}}
    ] * 10
    reply = await api.client.post("/graphql", json=body)
    assert reply.status_code == 400
    assert await api.sign_in(world.phones["worker_a"])  # no attempt was counted
