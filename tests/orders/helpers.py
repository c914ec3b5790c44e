"""Order fixtures: times on a fixed day in Asia/Shanghai, and a GraphQL order factory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support import Api, World, gid

# Saturday 6 June 2026, 09:00–12:00 in Shanghai (01:00–04:00 UTC); published a week before.
PUBLISHED = datetime(2026, 5, 30, 1, 0, tzinfo=UTC)
STARTS = datetime(2026, 6, 6, 1, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(hours=3)
DEADLINE = STARTS - timedelta(hours=15)

CREATE = """mutation($i: OrderCreateInput!) {
  orderCreate(input: $i) { order { id status placesLeft } errors { code field } } }"""
PUBLISH = """mutation($i: OrderInput!) {
  orderPublish(input: $i) { order { id status publishedAt } errors { code field } } }"""
CLAIM = """mutation($i: OrderClaimInput!) {
  orderClaim(input: $i) { claim { id state waitlistPosition } errors { code field message } } }"""


def order_input(world: World, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "unitId": gid("OrgUnit", world.units["C1"]),
        "title": "社区环境清洁",
        "content": "清理小区公共区域垃圾，整理楼道杂物。",
        "category": "环境",
        "location": "稻香社区广场",
        "startsAt": STARTS.isoformat(),
        "endsAt": ENDS.isoformat(),
        "claimDeadline": DEADLINE.isoformat(),
        "places": 20,
        "points": 10,
        "pointKind": "GRID",
    }
    values.update(overrides)
    return values


async def published_order(api: Api, token: str, world: World, **overrides: Any) -> str:
    created = await api(CREATE, {"i": order_input(world, **overrides)}, token=token)
    order_id = created.data["orderCreate"]["order"]["id"]
    published = await api(PUBLISH, {"i": {"id": order_id}}, token=token)
    assert published.data["orderPublish"]["errors"] == [], published.body
    return str(order_id)
