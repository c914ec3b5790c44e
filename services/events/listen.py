"""Listening to published events (what subscriptions are made of)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    topic: str
    payload: dict[str, Any]


async def listen(redis: Redis, channels: Sequence[str]) -> AsyncIterator[Event]:
    """Events on ``channels`` from now on, each once (a repeated publish is dropped)."""
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(*channels)
    seen: set[int] = set()
    try:
        async for message in pubsub.listen():
            if message.get("type") != "message":
                continue
            data = json.loads(message["data"])
            if data["id"] in seen:
                continue
            seen.add(data["id"])
            if len(seen) > 10_000:
                seen.clear()
            yield Event(int(data["id"]), str(data["topic"]), dict(data["payload"]))
    finally:
        await pubsub.unsubscribe()
        await pubsub.aclose()  # type: ignore[no-untyped-call]
