"""Live sockets against a real ``gridpoints serve``: one Redis connection carries every
subscription, the limits refuse clearly, and a socket ends with its session (issue 13, 1 and 2).

The server runs with small limits so the tests stay small: 4 sockets a person, 8 subscriptions a
socket, a session sweep every second.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from services import clock
from services.auth import sessions
from services.events.hub import publish_control
from services.events.outbox import Topic
from tests import servers
from tests.support import PASSWORD, World, add_residents, gid

pytestmark = pytest.mark.e2e

LIMITS = {
    "GRIDPOINTS_WS_MAX_SOCKETS_PER_PERSON": "4",
    "GRIDPOINTS_WS_MAX_SUBSCRIPTIONS": "8",
    "GRIDPOINTS_WS_SWEEP_INTERVAL": "1",
}
WEB_SUBSCRIPTIONS = Path(__file__).parent.parent / "web/src/graphql/subscriptions.graphql"


def web_app_subscriptions() -> list[str]:
    """The subscriptions the web app declares (it opens five on every page, one socket per tab;
    the claims' and grants' feeds stay declared for other clients, the inbox now tells them)."""
    text = WEB_SUBSCRIPTIONS.read_text()
    found = re.findall(r"^subscription .*$", text, flags=re.MULTILINE)
    assert len(found) == 7, found
    return found


@pytest.fixture(scope="module")
async def server(database_url: str, redis_url: str) -> AsyncIterator[str]:
    async with servers.running_server(database_url, redis_url, env=LIMITS) as (base, _):
        yield base


async def open_socket(
    server: str, token: str | None, *, language: str = "zh-CN"
) -> ClientConnection:
    """A socket after ``connection_init``: acknowledged, or closed by the server."""
    socket = await connect(
        server.replace("http", "ws") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers={"Accept-Language": language},
    )
    payload = {"Authorization": f"Bearer {token}"} if token else {}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    return socket


async def acked(socket: ClientConnection) -> ClientConnection:
    assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "connection_ack"
    return socket


async def closed(socket: ClientConnection, within: float = 10) -> tuple[int, str]:
    """The code and reason the server closed the socket with (fails if it stays open)."""

    async def drain() -> None:
        while True:
            await socket.recv()

    with pytest.raises(ConnectionClosed) as ended:
        await asyncio.wait_for(drain(), within)
    frame = ended.value.rcvd
    assert frame is not None, "closed without a close frame"
    return frame.code, frame.reason


async def still_open(socket: ClientConnection) -> bool:
    await socket.send(json.dumps({"type": "ping"}))
    return bool(json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "pong")


async def subscribe(socket: ClientConnection, number: int, query: str) -> None:
    message = {"id": str(number), "type": "subscribe", "payload": {"query": query}}
    await socket.send(json.dumps(message))


async def pubsub_clients(redis: Redis) -> int:
    """Redis connections in pub/sub mode on the tests' logical database."""
    db = redis.connection_pool.connection_kwargs.get("db", 0)
    clients = await redis.client_list(_type="pubsub")
    return sum(1 for client in clients if int(client.get("db", 0)) == int(db))


def order_input(world: World) -> dict[str, Any]:
    starts = clock.now() + timedelta(days=2)
    return {
        "unitId": gid("OrgUnit", world.units["C1"]),
        "title": "敬老院探访",
        "content": "陪老人聊天",
        "category": "助老",
        "location": "敬老院",
        "startsAt": starts.isoformat(),
        "endsAt": (starts + timedelta(hours=2)).isoformat(),
        "claimDeadline": (starts - timedelta(hours=2)).isoformat(),
        "places": 5,
        "points": 5,
        "pointKind": "GRID",
    }


async def graphql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str
) -> dict[str, Any]:
    reply = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    data = reply.json()["data"]
    assert isinstance(data, dict), reply.text
    return data


async def test_one_redis_connection_carries_every_subscription(
    server: str, world: World, session: AsyncSession, redis: Redis
) -> None:
    """30 sockets with the web app's 6 subscriptions each (180; about 100 used to exhaust the
    process's Redis connections): one pub/sub connection, /readyz 200, every event delivered."""
    phones = await add_residents(session, world, count=30)
    await session.commit()
    tokens = [await sessions.create(redis, world.people[p], ttl=600) for p in phones]
    admin = await sessions.create(redis, world.people["community_admin"], ttl=600)
    before = await pubsub_clients(redis)
    sockets = [await acked(await open_socket(server, token)) for token in tokens]
    try:
        for socket in sockets:
            for number, query in enumerate(web_app_subscriptions(), start=1):
                await subscribe(socket, number, query)
        await asyncio.sleep(1.0)  # every SUBSCRIBE reached Redis
        assert await pubsub_clients(redis) == before  # the server's one connection, as before
        async with httpx.AsyncClient(base_url=server, timeout=10) as client:
            assert (await client.get("/readyz")).status_code == 200
            me = await graphql(client, "{ me { name } }", {}, tokens[0])
            assert me["me"]["name"].startswith("居民")
            created = await graphql(
                client,
                "mutation($i: OrderCreateInput!) { orderCreate(input: $i) { order { id } } }",
                {"i": order_input(world)},
                admin,
            )
            order_id = created["orderCreate"]["order"]["id"]
            published = await graphql(
                client,
                "mutation($i: OrderInput!) { orderPublish(input: $i) { errors { code } } }",
                {"i": {"id": order_id}},
                admin,
            )
            assert published["orderPublish"]["errors"] == []
        for socket in sockets:  # every resident of the community hears it, once
            message = json.loads(await asyncio.wait_for(socket.recv(), 15))
            assert message["type"] == "next" and message["id"] == "1", message
            assert message["payload"]["data"]["orderPublished"]["id"] == order_id
    finally:
        for socket in sockets:
            await socket.close()


async def test_subscriptions_over_the_socket_limit_are_refused_with_a_code(
    server: str, world: World, redis: Redis
) -> None:
    """One socket sending 100 subscribe messages: 8 run, 92 get a typed error; the server and
    the socket carry on."""
    token = await sessions.create(redis, world.people["resident_a"], ttl=600)
    socket = await acked(await open_socket(server, token, language="en"))
    try:
        query = web_app_subscriptions()[0]
        for number in range(1, 101):
            await subscribe(socket, number, query)
        errors = [json.loads(await asyncio.wait_for(socket.recv(), 10)) for _ in range(92)]
        assert {e["type"] for e in errors} == {"error"}
        assert {e["id"] for e in errors} == {str(n) for n in range(9, 101)}
        first = errors[0]["payload"][0]
        assert first["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        assert first["message"] == "At most 8 live subscriptions per connection."
        assert await still_open(socket)
        async with httpx.AsyncClient(base_url=server, timeout=10) as client:
            assert (await client.get("/readyz")).status_code == 200
    finally:
        await socket.close()


async def test_a_person_holds_a_bounded_number_of_sockets(
    server: str, world: World, redis: Redis
) -> None:
    tokens = [await sessions.create(redis, world.people["resident_b"], ttl=600) for _ in range(5)]
    sockets = [await acked(await open_socket(server, token)) for token in tokens[:4]]
    try:
        refused = await open_socket(server, tokens[4])
        code, reason = await closed(refused)
        assert code == 4429
        assert reason == "实时连接过多（最多 4 个），请关闭其他页面。"
        await sockets.pop().close()  # one tab closed: its place is free again
        await asyncio.sleep(0.3)
        sockets.append(await acked(await open_socket(server, tokens[4])))
        assert await still_open(sockets[-1])
    finally:
        for socket in sockets:
            await socket.close()


async def test_a_socket_without_a_live_session_is_closed(server: str, world: World) -> None:
    for token in (None, "not-a-token"):
        code, reason = await closed(await open_socket(server, token, language="en"))
        assert code == 4401, token
        assert reason == "Please sign in first.", reason


async def test_signing_out_closes_the_sockets_of_that_session(
    server: str, world: World, redis: Redis
) -> None:
    token = await sessions.create(redis, world.people["resident_a"], ttl=600)
    other = await sessions.create(redis, world.people["resident_a"], ttl=600)
    socket = await acked(await open_socket(server, token))
    kept = await acked(await open_socket(server, other))
    try:
        await subscribe(socket, 1, web_app_subscriptions()[1])
        async with httpx.AsyncClient(base_url=server, timeout=10) as client:
            out = await graphql(client, "mutation { signOut { errors { code } } }", {}, token)
        assert out["signOut"]["errors"] == []
        assert (await closed(socket, within=5))[0] == 4401
        assert await still_open(kept)  # another session of the same person is untouched
    finally:
        await kept.close()


async def test_a_password_change_closes_the_other_sessions_sockets(
    server: str, world: World, redis: Redis
) -> None:
    current = await sessions.create(redis, world.people["resident_a2"], ttl=600)
    stolen = await sessions.create(redis, world.people["resident_a2"], ttl=600)
    mine = await acked(await open_socket(server, current))
    theirs = await acked(await open_socket(server, stolen))
    try:
        async with httpx.AsyncClient(base_url=server, timeout=10) as client:
            changed = await graphql(
                client,
                "mutation($i: PasswordChangeInput!) { passwordChange(input: $i) {"
                " sessionsRevoked errors { code } } }",
                {"i": {"currentPassword": PASSWORD, "newPassword": "a new long passphrase 2026"}},
                current,
            )
        assert changed["passwordChange"] == {"sessionsRevoked": 1, "errors": []}
        assert (await closed(theirs, within=5))[0] == 4401
        assert await still_open(mine)
    finally:
        await mine.close()


async def test_a_session_that_ends_in_redis_is_swept(
    server: str, world: World, redis: Redis
) -> None:
    """Whatever ends a session (its time ran out, anything the revocation message missed)."""
    token = await sessions.create(redis, world.people["worker_a"], ttl=600)
    socket = await acked(await open_socket(server, token))
    await redis.delete(f"gp:session:{sessions.digest(token)}")
    assert (await closed(socket, within=5))[0] == 4401


async def test_a_role_change_asks_the_persons_sockets_to_reconnect(
    server: str, world: World, redis: Redis
) -> None:
    """Their subscriptions were scoped by the roles they had: they come back with the new ones."""
    token = await sessions.create(redis, world.people["resident_b"], ttl=600)
    admin = await sessions.create(redis, world.people["community_admin"], ttl=600)
    socket = await acked(await open_socket(server, token))
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        assigned = await graphql(
            client,
            "mutation($i: RoleAssignInput!) { roleAssign(input: $i) { errors { code } } }",
            {
                "i": {
                    "personId": gid("Person", world.people["resident_b"]),
                    "role": "GRID_WORKER",
                    "unitId": gid("OrgUnit", world.units["B"]),
                }
            },
            admin,
        )
    assert assigned["roleAssign"]["errors"] == []
    assert (await closed(socket, within=5))[0] == 4403


async def test_a_late_authority_message_leaves_a_socket_with_the_new_roles_open(
    server: str, world: World, redis: Redis
) -> None:
    """The relay publishes after the commit, or at a replica's start: a socket opened since
    sees the person as they now are and stays (the flaky test_subscriptions_e2e closes)."""
    token = await sessions.create(redis, world.people["resident_a"], ttl=600)
    socket = await acked(await open_socket(server, token))
    try:
        await publish_control(
            redis,
            {
                "topic": Topic.AUTHORITY_CHANGED.value,
                "payload": {"personId": str(world.people["resident_a"])},
            },
        )
        await asyncio.sleep(1.0)
        assert await still_open(socket)
    finally:
        await socket.close()


async def test_a_stock_change_reaches_every_tab_through_one_feed(
    server: str, world: World, session: AsyncSession, redis: Redis
) -> None:
    """The goods of a stock change are executed once for the community's sockets (a feed,
    schema.fanout): each socket gets them under its own operation id, and the feed outlives
    the socket that started it."""
    phones = await add_residents(session, world, count=10)
    await session.commit()
    tokens = [await sessions.create(redis, world.people[p], ttl=600) for p in phones]
    admin = await sessions.create(redis, world.people["community_admin"], ttl=600)
    stock = next(q for q in web_app_subscriptions() if "stockChanged" in q)
    sockets = [await acked(await open_socket(server, token)) for token in tokens]
    try:
        for number, socket in enumerate(sockets, start=1):
            await subscribe(socket, 100 + number, stock)
        await asyncio.sleep(1.0)
        async with httpx.AsyncClient(base_url=server, timeout=10) as client:
            created = await graphql(
                client,
                "mutation($i: GoodsCreateInput!) { goodsCreate(input: $i) { goods { id } } }",
                {
                    "i": {
                        "communityId": gid("OrgUnit", world.units["C1"]),
                        "goods": {"name": "挂面", "price": 3},
                    }
                },
                admin,
            )
            goods_id = created["goodsCreate"]["goods"]["id"]

            async def adjust(delta: int) -> None:
                done = await graphql(
                    client,
                    "mutation($i: StockAdjustInput!) { stockAdjust(input: $i) { errors { code } } }",
                    {"i": {"goodsId": goods_id, "delta": delta, "reason": "补货"}},
                    admin,
                )
                assert done["stockAdjust"]["errors"] == []

            async def heard(socket: ClientConnection, number: int, stock: int) -> bool:
                """The socket's next messages reach the goods at ``stock`` (creating them
                was a change to 0 first), each under the socket's own operation id."""
                while True:
                    message = json.loads(await asyncio.wait_for(socket.recv(), 15))
                    assert message["type"] == "next" and message["id"] == str(number), message
                    goods = message["payload"]["data"]["stockChanged"]
                    if goods["id"] == goods_id and goods["stock"] == stock:
                        return True

            await adjust(7)
            for number, socket in enumerate(sockets, start=1):
                assert await heard(socket, 100 + number, 7)
            await sockets[0].close()  # the socket whose subscription started the feed
            await adjust(2)
            for number, socket in enumerate(sockets[1:], start=2):
                assert await heard(socket, 100 + number, 9)
    finally:
        for socket in sockets:
            await socket.close()
