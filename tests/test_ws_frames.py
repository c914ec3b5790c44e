"""Frames that are not graphql-transport-ws messages, on a real ``gridpoints serve`` (issue 13,
item 6; found by ``bench/fuzz`` edges): each closes the socket with the protocol's 4400, never
with 1006 or 1011, and the server logs no exception.

Before: Strawberry indexed into every frame as if it were an object, so a JSON number, array or
``null`` (and a ``subscribe`` whose payload was not an object) raised inside the handler: the
socket died with 1006 and a traceback. A document that does not parse (a lone surrogate escape,
a missing brace) raised in the parser cache's hook, outside Strawberry's handling: a traceback
and an empty ``complete``. Operations still answering when their socket closed raised in their
tasks (a send after the close; a ``complete`` for an operation the shutdown had forgotten), and
one ending rolled back the socket's shared session under another's statement: the connection went
back to the pool closed and the next socket's sign-in on it failed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from services.auth import sessions
from tests import servers
from tests.support import World

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def server(database_url: str, redis_url: str) -> AsyncIterator[str]:
    """The server; when it stops, its output must show no exception."""
    async with servers.running_server(database_url, redis_url) as (base, output):
        yield base
    assert output, "the server's output"
    assert [line for line in output if "Traceback" in line or "Exception in" in line] == []


async def socket_to(server: str, token: str | None = None) -> ClientConnection:
    socket = await connect(
        server.replace("http", "ws") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    )
    if token is not None:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await socket.send(json.dumps(init))
        assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "connection_ack"
    return socket


async def close_code(socket: ClientConnection) -> int:
    received: list[str] = []

    async def drain() -> None:
        while True:
            received.append(str(await socket.recv()))

    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(drain(), 10)
    frame = socket.protocol.close_rcvd
    assert frame is not None, "closed without a close frame (1006)"
    assert "INTERNAL" not in " ".join(received)
    return frame.code


@pytest.mark.parametrize(
    "frame",
    [
        "42",
        '"x"',
        "null",
        "[]",
        "true",
        '{"type": 5}',
        '{"type": "ping", "payload": 42}',
        '{"id": "1", "type": "subscribe", "payload": 42}',
        '{"id": 7, "type": "subscribe", "payload": {"query": "{ __typename }"}}',
        '{"id": "1", "type": "subscribe", "payload": {"query": 42}}',
    ],
)
async def test_a_frame_that_is_not_a_message_closes_4400(server: str, frame: str) -> None:
    socket = await socket_to(server)
    await socket.send(frame)
    assert await close_code(socket) == 4400


@pytest.mark.parametrize(
    "frame",
    [
        "[]",
        '{"id": "1", "type": "subscribe", "payload": []}',
        '{"id": "1", "type": "subscribe", "payload": {"query": "{ me { id } }", "variables": 1}}',
        json.dumps({"id": "x" * 300, "type": "subscribe", "payload": {"query": "{ me { id } }"}}),
        json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": '{ node(id: "\\ud800") { id } }'}}
        ),
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ me { id }"}}),
    ],
)
async def test_after_the_ack_too(server: str, world: World, redis: Redis, frame: str) -> None:
    token = await sessions.create(redis, world.people["resident_a"], ttl=600)
    socket = await socket_to(server, token)
    await socket.send(frame)
    assert await close_code(socket) == 4400


async def test_the_socket_still_works_for_a_good_frame(
    server: str, world: World, redis: Redis
) -> None:
    token = await sessions.create(redis, world.people["resident_a"], ttl=600)
    socket = await socket_to(server, token)
    await socket.send(
        json.dumps({"id": "q", "type": "subscribe", "payload": {"query": "{ me { id } }"}})
    )
    message = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert message["type"] == "next" and message["payload"]["data"]["me"]["id"]
    await socket.close()


async def test_operations_in_flight_when_the_socket_closes(
    server: str, world: World, redis: Redis
) -> None:
    """A 4400 while other operations are still answering: they end quietly (the fixture checks
    the log)."""
    token = await sessions.create(redis, world.people["resident_a"], ttl=600)
    for _ in range(20):
        socket = await socket_to(server, token)
        for n in range(15):
            message = {"id": str(n), "type": "subscribe", "payload": {"query": "{ me { id } }"}}
            await socket.send(json.dumps(message))
        await socket.send(json.dumps({"id": "x", "type": "subscribe", "payload": {"query": "{"}}))
        assert await close_code(socket) == 4400
