"""What the sign-in limits count on: the normalized phone, and a client address no client can pick.

Issue 13 item 3: ``139-0000-0099``, ``139 0000 0099`` and ``+86 139...`` each got fresh attempts,
and ``X-Forwarded-For`` from any client reset the per-client limit.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.datastructures import Headers
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api.app import create_app
from api.client_address import client_address, parse_trusted_proxies
from api.settings import Settings
from api.state import AppState
from tests import servers
from tests.support import PASSWORD, Api, World

SIGN_IN = """
mutation($i: SignInInput!) { signIn(input: $i) { token errors { code field } } }"""


def codes(reply: object) -> list[str]:
    assert isinstance(reply, dict)
    return [error["code"] for error in reply["signIn"]["errors"]]


async def test_every_way_of_typing_a_phone_counts_on_the_one_account(
    api: Api, world: World
) -> None:
    """Five attempts per phone (test setting), however the phone is written."""
    phone = world.phones["worker_a"]  # 13700000005
    spelled = [
        f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
        f"{phone[:3]} {phone[3:7]} {phone[7:]}",
        f"+86 {phone}",
        "".join(chr(ord(digit) + 0xFEE0) for digit in phone),  # full-width digits
        f"0086-{phone[:3]}\u00a0{phone[3:]}",
    ]
    for typed in spelled:
        reply = await api(SIGN_IN, {"i": {"phone": typed, "password": "wrong-password1"}})
        assert codes(reply.data) == ["INVALID_CREDENTIALS"], typed
    late = await api(SIGN_IN, {"i": {"phone": phone, "password": PASSWORD}})
    assert codes(late.data) == ["RATE_LIMITED"]
    assert late.data["signIn"]["token"] is None


async def test_a_spelled_phone_signs_in_to_its_account(api: Api, world: World) -> None:
    phone = world.phones["resident_a"]
    reply = await api(
        SIGN_IN, {"i": {"phone": f"+86 ({phone[:3]}) {phone[3:]}", "password": PASSWORD}}
    )
    assert reply.data["signIn"]["errors"] == []
    assert reply.data["signIn"]["token"]


async def test_password_change_guesses_count_on_the_account(api: Api, world: World) -> None:
    """The current password is a guess too: a stolen session is no unlimited oracle."""
    phone = world.phones["resident_a"]
    token = await api.sign_in(phone)  # one attempt of five
    change = """mutation($i: PasswordChangeInput!) {
                  passwordChange(input: $i) { errors { code } } }"""
    seen = []
    for n in range(5):
        reply = await api(
            change,
            {"i": {"currentPassword": f"guess-{n}", "newPassword": "NewSecret99"}},
            token=token,
        )
        seen.append(reply.data["passwordChange"]["errors"][0]["code"])
    assert seen == ["INVALID_CREDENTIALS"] * 4 + ["RATE_LIMITED"]
    right = await api(
        change, {"i": {"currentPassword": PASSWORD, "newPassword": "NewSecret99"}}, token=token
    )
    assert right.data["passwordChange"]["errors"] == [{"code": "RATE_LIMITED"}]
    late = await api(SIGN_IN, {"i": {"phone": phone, "password": PASSWORD}})
    assert codes(late.data) == ["RATE_LIMITED"]


FORWARDING_HEADERS = [
    {"X-Forwarded-For": "192.0.2.{n}"},
    {"X-Forwarded-For": "192.0.2.{n}, 198.51.100.9"},
    {"X-Real-IP": "192.0.2.{n}"},
    {"Forwarded": "for=192.0.2.{n}"},
]


@pytest.mark.parametrize("template", FORWARDING_HEADERS)
async def test_forwarded_headers_from_a_client_do_not_reset_its_limit(
    app: Starlette, state: AppState, world: World, template: dict[str, str]
) -> None:
    """Served directly (no trusted proxy): twenty attempts per address, whatever it claims."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.9", 1)), base_url="http://t"
    ) as client:
        probe = Api(client)
        seen = []
        for n in range(22):
            headers = {name: value.format(n=n) for name, value in template.items()}
            reply = await probe(
                SIGN_IN,
                {"i": {"phone": f"1360000{n:04d}", "password": "whatever1"}},
                headers=headers,
            )
            seen.extend(codes(reply.data))
    assert seen == ["INVALID_CREDENTIALS"] * 20 + ["RATE_LIMITED"] * 2


@pytest.fixture
async def proxied_app(
    settings: Settings, database_url: str, redis_url: str, state: AppState
) -> AsyncIterator[Starlette]:
    """The app as deployed behind a load balancer at 10.0.0.2 (shares the test databases)."""
    behind = settings.model_copy(update={"trusted_proxies": "10.0.0.2, 10.9.0.0/16"})
    application = create_app(behind, database_url=database_url, redis_url=redis_url)
    yield application
    await application.state.gridpoints.close()


async def attempts(app: Starlette, peer: str, forwarded_for: str, count: int) -> list[str]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(peer, 1)), base_url="http://t"
    ) as client:
        seen = []
        for n in range(count):
            reply = await Api(client)(
                SIGN_IN,
                {"i": {"phone": f"1360001{n:04d}", "password": "whatever1"}},
                headers={"X-Forwarded-For": forwarded_for.format(n=n)},
            )
            seen.extend(codes(reply.data))
        return seen


async def test_behind_a_trusted_proxy_the_client_is_the_rightmost_untrusted_hop(
    proxied_app: Starlette, world: World
) -> None:
    # what the client wrote left of the hop our proxy appended is never read
    spoofing = await attempts(proxied_app, "10.0.0.2", "192.0.2.{n}, 203.0.113.5", 21)
    assert spoofing == ["INVALID_CREDENTIALS"] * 20 + ["RATE_LIMITED"]
    # through a chain of trusted proxies, the same client is found and still limited
    chained = await attempts(proxied_app, "10.0.0.2", "192.0.2.{n}, 203.0.113.5, 10.9.4.4", 1)
    assert chained == ["RATE_LIMITED"]
    # another client behind the same proxy has its own budget
    assert await attempts(proxied_app, "10.0.0.2", "203.0.113.6", 1) == ["INVALID_CREDENTIALS"]
    # a peer that is not our proxy is the client, whatever it forwards
    assert await attempts(proxied_app, "198.51.100.20", "203.0.113.6", 1) == ["INVALID_CREDENTIALS"]


PROXIES = parse_trusted_proxies("10.0.0.2, 10.9.0.0/16, fd00::/8")


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        ("198.51.100.9", {"x-forwarded-for": "1.2.3.4"}, "198.51.100.9"),  # peer not trusted
        ("198.51.100.9", {"x-real-ip": "1.2.3.4", "forwarded": "for=1.2.3.4"}, "198.51.100.9"),
        ("10.0.0.2", {}, "10.0.0.2"),  # a trusted peer that forwards nothing
        ("10.0.0.2", {"x-forwarded-for": "1.2.3.4"}, "1.2.3.4"),
        ("10.0.0.2", {"x-forwarded-for": "6.6.6.6, 1.2.3.4"}, "1.2.3.4"),
        ("10.0.0.2", {"x-forwarded-for": "6.6.6.6, 1.2.3.4, 10.9.1.1"}, "1.2.3.4"),
        ("10.0.0.2", {"x-forwarded-for": "1.2.3.4:5678"}, "1.2.3.4"),
        ("10.0.0.2", {"x-forwarded-for": "[2001:db8::1]:443"}, "2001:db8::1"),
        ("10.0.0.2", {"x-forwarded-for": "::ffff:1.2.3.4"}, "1.2.3.4"),
        ("10.0.0.2", {"x-forwarded-for": "1.2.3.4, not-an-ip"}, "10.0.0.2"),  # stop at garbage
        ("10.0.0.2", {"x-forwarded-for": "10.9.0.1"}, "10.9.0.1"),  # all trusted: the farthest
        ("10.0.0.2", {"x-real-ip": "1.2.3.4"}, "10.0.0.2"),  # only X-Forwarded-For is read
        ("fd00::7", {"x-forwarded-for": "2001:db8::2"}, "2001:db8::2"),
        ("::ffff:10.0.0.2", {"x-forwarded-for": "1.2.3.4"}, "1.2.3.4"),
        (None, {"x-forwarded-for": "1.2.3.4"}, "unknown"),
    ],
)
def test_client_address(peer: str | None, headers: dict[str, str], expected: str) -> None:
    assert client_address(peer, Headers(headers), PROXIES) == expected


def test_client_address_reads_every_forwarded_for_line() -> None:
    raw = [(b"x-forwarded-for", b"6.6.6.6"), (b"x-forwarded-for", b"1.2.3.4, 10.9.0.3")]
    assert client_address("10.0.0.2", Headers(raw=raw), PROXIES) == "1.2.3.4"


def test_a_trusted_proxies_setting_that_is_not_an_address_is_refused() -> None:
    with pytest.raises(ValueError, match="not an IP address or CIDR: 'nginx'"):
        Settings(trusted_proxies="10.0.0.2, nginx")
    assert Settings().trusted_proxy_networks == ()


@pytest.mark.e2e
async def test_the_real_server_ignores_forwarded_headers_from_local_clients(
    world: World, database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``gridpoints serve`` as a user starts it, clients on 127.0.0.1: over HTTP and WebSocket,
    a different ``X-Forwarded-For`` on each attempt still counts against the one address."""
    monkeypatch.setenv("GRIDPOINTS_SIGNIN_ATTEMPTS_PER_CLIENT", "4")
    monkeypatch.setenv("GRIDPOINTS_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("GRIDPOINTS_PASSWORD_MEMORY_KIB", "8192")
    monkeypatch.delenv("GRIDPOINTS_TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    assert "FORWARDED_ALLOW_IPS" not in os.environ
    async with servers.running_server(database_url, redis_url) as (base, output):
        seen = []
        for n in range(5):
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                reply = await client.post(
                    "/graphql",
                    json={
                        "query": SIGN_IN,
                        "variables": {"i": {"phone": f"1360002{n:04d}", "password": "x1"}},
                    },
                    headers={"X-Forwarded-For": f"192.0.2.{n}"},
                )
                seen.extend(codes(reply.json()["data"]))
        # A WebSocket is no way around it: without a live session it is closed at
        # connection_init (4401), before any operation (schema/ws.py).
        async with connect(
            base.replace("http", "ws") + "/graphql",
            subprotocols=["graphql-transport-ws"],
            additional_headers={"X-Forwarded-For": "192.0.2.200"},
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
            with pytest.raises(ConnectionClosed) as closed:
                await socket.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4401
    assert seen == ["INVALID_CREDENTIALS"] * 4 + ["RATE_LIMITED"], "\n".join(output)
