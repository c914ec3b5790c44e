"""Health and readiness endpoints."""

from __future__ import annotations

import httpx

from api.app import create_app
from api.settings import Settings
from tests.support import Api


async def test_healthz_answers_without_dependencies(api: Api) -> None:
    reply = await api.client.get("/healthz")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


async def test_readyz_checks_postgres_and_redis(api: Api) -> None:
    reply = await api.client.get("/readyz")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ready", "postgres": "ok", "redis": "ok"}


async def test_readyz_is_503_when_redis_is_unreachable(
    settings: Settings, database_url: str
) -> None:
    app = create_app(settings, database_url=database_url, redis_url="redis://127.0.0.1:1/0")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            reply = await client.get("/readyz")
        assert reply.status_code == 503
        assert reply.json()["redis"] == "unavailable"
        assert reply.json()["postgres"] == "ok"
    finally:
        await app.state.gridpoints.close()
