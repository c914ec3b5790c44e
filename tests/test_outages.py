"""PostgreSQL or Redis out of reach: the client is told UNAVAILABLE (HTTP 503, try again), in its
language, not "internal server error", and the log gets one line, not a traceback."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from redis.asyncio import Redis

from api.app import create_app
from api.settings import Settings
from services.auth import sessions

ME = {"query": "{ me { name } }"}


@pytest.mark.parametrize("down", ["redis", "postgres"])
async def test_a_server_out_of_reach_is_unavailable_not_internal(
    down: str,
    settings: Settings,
    database_url: str,
    redis_url: str,
    redis: Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # a live session, so that with Redis up the request goes on to PostgreSQL for the person
    token = await sessions.create(redis, uuid.uuid4(), ttl=60)
    urls = {
        "redis": (database_url, "redis://127.0.0.1:1/0"),
        "postgres": ("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere", redis_url),
    }[down]
    app = create_app(settings, database_url=urls[0], redis_url=urls[1])
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gridpoints.test"
        ) as client:
            with caplog.at_level(logging.WARNING):
                reply = await client.post(
                    "/graphql",
                    json=ME,
                    headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
                )
    finally:
        await app.state.gridpoints.close()
    assert reply.status_code == 503 and reply.headers["retry-after"] == "1"
    body = reply.json()
    assert body["data"] == {"me": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"]
    assert body["errors"][0]["message"] == "The service is briefly unavailable. Please try again."
    assert not any(record.exc_info for record in caplog.records), caplog.text
