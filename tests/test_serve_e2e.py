"""The real server, as `make run` starts it: migrate, seed the demo, serve; then a demo login."""

from __future__ import annotations

import os

import httpx
import pytest

from api.seed import grid_worker_phone
from tests import servers


@pytest.mark.e2e
async def test_serve_with_demo_data_then_sign_in_and_me(server_url: str, redis_url: str) -> None:
    name = f"gridpoints_e2e_{os.getpid()}"
    database_url = await servers.create_database(server_url, name)
    try:
        async with (
            servers.running_server(database_url, redis_url, "--demo") as (base, output),
            httpx.AsyncClient(base_url=base, timeout=5) as client,
        ):
            ready = await client.get("/readyz")
            assert ready.json() == {"status": "ready", "postgres": "ok", "redis": "ok"}
            sign_in = await client.post(
                "/graphql",
                json={
                    "query": "mutation($i: SignInInput!) { signIn(input: $i) { token errors { code } } }",
                    "variables": {
                        "i": {"phone": grid_worker_phone(1), "password": "gridpoints2026"}
                    },
                },
            )
            token = sign_in.json()["data"]["signIn"]["token"]
            assert token
            auth = {"Authorization": f"Bearer {token}"}
            me = await client.post(
                "/graphql",
                json={"query": "{ me { name roles { role unit { code } } } }"},
                headers=auth,
            )
            body = me.json()["data"]["me"]
            assert body["roles"] == [{"role": "GRID_WORKER", "unit": {"code": "DX-C1-G01"}}]
            households = await client.post(
                "/graphql",
                json={"query": "{ households(first: 100) { nodes { grid { code } } } }"},
                headers=auth,
            )
            grids = {h["grid"]["code"] for h in households.json()["data"]["households"]["nodes"]}
            assert grids == {"DX-C1-G01"}
            home = await client.get("/")
            assert home.status_code == 200
            assert "GridPoints" in home.text
    finally:
        await servers.drop_database(server_url, name)
    assert not any("Traceback" in line for line in output), "\n".join(output)


@pytest.mark.e2e
async def test_serve_with_two_workers(server_url: str, redis_url: str) -> None:
    """``serve --workers 2``: two API processes behind the one port, both answering."""
    name = f"gridpoints_e2e_workers_{os.getpid()}"
    database_url = await servers.create_database(server_url, name)
    try:
        async with (
            servers.running_server(database_url, redis_url, "--workers", "2") as (base, output),
            httpx.AsyncClient(base_url=base, timeout=5) as client,
        ):
            for _ in range(20):  # new connections: the kernel spreads them over the workers
                async with httpx.AsyncClient(base_url=base, timeout=5) as fresh:
                    answer = await fresh.post("/graphql", json={"query": "{ me { name } }"})
                    assert answer.status_code == 200 and answer.json()["data"] == {"me": None}
            assert (await client.get("/readyz")).status_code == 200
    finally:
        await servers.drop_database(server_url, name)
    started = {line for line in output if "Started server process" in line}
    assert len(started) == 2, "\n".join(output)
    assert not any("Traceback" in line for line in output), "\n".join(output)
