"""Subscriptions cross replicas: a subscriber on server A hears a change made through server B.

Two real `gridpoints serve` processes share the test database and Redis; the client speaks
``graphql-transport-ws`` to A over a WebSocket and changes things over HTTP through B.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

from services import clock
from services.auth import sessions
from tests import servers
from tests.support import World, gid


async def subscribe(socket: ClientConnection, token: str, query: str) -> None:
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))


async def next_payload(socket: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(socket.recv(), 15))
    assert message["type"] == "next", message
    data = message["payload"]["data"]
    assert isinstance(data, dict)
    return data


@pytest.mark.e2e
async def test_a_change_through_one_replica_reaches_a_subscriber_on_another(
    world: World, database_url: str, redis_url: str, redis: Redis
) -> None:
    admin = await sessions.create(redis, world.people["community_admin"], ttl=600)
    resident = await sessions.create(redis, world.people["resident_a"], ttl=600)
    starts = clock.now() + timedelta(days=2)
    order = {
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
    async with (
        servers.running_server(database_url, redis_url) as (server_a, _),
        servers.running_server(database_url, redis_url) as (server_b, _),
        httpx.AsyncClient(base_url=server_b, timeout=10) as through_b,
        connect(
            server_a.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
        ) as orders_socket,
        connect(
            server_a.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
        ) as claims_socket,
    ):
        await subscribe(
            orders_socket, resident, "subscription { orderPublished { title placesLeft } }"
        )
        await subscribe(
            claims_socket, resident, "subscription { myClaimChanged { state order { title } } }"
        )
        await asyncio.sleep(0.5)  # let both subscriptions reach Redis

        async def call(query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
            reply = await through_b.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            data = reply.json()["data"]
            assert isinstance(data, dict)
            return data

        created = await call(
            "mutation($i: OrderCreateInput!) { orderCreate(input: $i) { order { id } errors { code } } }",
            {"i": order},
            admin,
        )
        order_id = created["orderCreate"]["order"]["id"]
        await call(
            "mutation($i: OrderInput!) { orderPublish(input: $i) { errors { code } } }",
            {"i": {"id": order_id}},
            admin,
        )
        assert await next_payload(orders_socket) == {
            "orderPublished": {"title": "敬老院探访", "placesLeft": 5}
        }

        claimed = await call(
            "mutation($i: OrderClaimInput!) { orderClaim(input: $i) { claim { state } errors { code } } }",
            {"i": {"orderId": order_id}},
            resident,
        )
        assert claimed["orderClaim"]["claim"]["state"] == "CLAIMED"
        assert await next_payload(claims_socket) == {
            "myClaimChanged": {"state": "CLAIMED", "order": {"title": "敬老院探访"}}
        }


@pytest.mark.e2e
async def test_demand_changes_reach_the_resident_and_the_grid_but_not_other_residents(
    world: World, database_url: str, redis_url: str, redis: Redis
) -> None:
    tokens = {
        who: await sessions.create(redis, world.people[who], ttl=600)
        for who in ("resident_a", "resident_b", "worker_a", "community_admin")
    }
    query = "subscription { demandChanged { id status level } }"
    report = """mutation($i: DemandReportInput!) { demandReport(input: $i) {
      demand { id } errors { code } } }"""
    async with (
        servers.running_server(database_url, redis_url) as (server, _),
        httpx.AsyncClient(base_url=server, timeout=10) as client,
    ):
        url = server.replace("http", "ws") + "/graphql"
        sockets = {
            who: await connect(url, subprotocols=["graphql-transport-ws"]).__aenter__()
            for who in tokens
        }
        try:
            for who, socket in sockets.items():
                await subscribe(socket, tokens[who], query)
            await asyncio.sleep(0.5)

            async def call(query: str, variables: dict[str, Any], who: str) -> dict[str, Any]:
                reply = await client.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers={"Authorization": f"Bearer {tokens[who]}"},
                )
                data = reply.json()["data"]
                assert isinstance(data, dict)
                return data

            categories = await call(
                "query($c: ID!) { demandCategories(communityId: $c) { id } }",
                {"c": gid("OrgUnit", world.units["C1"])},
                "resident_a",
            )
            category = categories["demandCategories"][0]["id"]
            values = {"type": "HELP", "categoryId": category, "description": "楼道灯坏了"}
            mine = await call(report, {"i": values}, "resident_a")
            demand_id = mine["demandReport"]["demand"]["id"]
            expected = {"demandChanged": {"id": demand_id, "status": "WAITING", "level": "GRID"}}
            for who in ("resident_a", "worker_a", "community_admin"):
                assert await next_payload(sockets[who]) == expected, who
            # resident_b hears nothing of it: the first thing they hear is their own demand
            theirs = await call(report, {"i": values}, "resident_b")
            own_id = theirs["demandReport"]["demand"]["id"]
            heard = await next_payload(sockets["resident_b"])
            assert heard["demandChanged"]["id"] == own_id
        finally:
            for socket in sockets.values():
                await socket.close()
