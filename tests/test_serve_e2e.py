"""The real server, as `make run` starts it: migrate, seed the demo, serve; then a demo login."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import httpx
import pytest

from api.seed import grid_worker_phone
from tests import servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.e2e
async def test_serve_with_demo_data_then_sign_in_and_me(server_url: str, redis_url: str) -> None:
    name = f"gridpoints_e2e_{os.getpid()}"
    database_url = await servers.create_database(server_url, name)
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        "serve",
        "--demo",
        "--port",
        str(port),
        env={**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for _ in range(240):
                try:
                    ready = await client.get("/readyz")
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.returncode is None, "the server exited early"
                await asyncio.sleep(0.25)
            assert ready.status_code == 200
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
            me = await client.post(
                "/graphql",
                json={
                    "query": "{ me { name roles { role unit { code } } household { address } } }"
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            body = me.json()["data"]["me"]
            assert body["roles"] == [{"role": "GRID_WORKER", "unit": {"code": "DX-C1-G01"}}]
            households = await client.post(
                "/graphql",
                json={"query": "{ households(first: 100) { nodes { grid { code } } } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            grids = {h["grid"]["code"] for h in households.json()["data"]["households"]["nodes"]}
            assert grids == {"DX-C1-G01"}
            home = await client.get("/")
            assert home.status_code == 200
            assert "GridPoints" in home.text
    finally:
        process.terminate()
        output = (await asyncio.wait_for(process.communicate(), 30))[0].decode()
        await servers.drop_database(server_url, name)
    assert "Traceback" not in output, output
