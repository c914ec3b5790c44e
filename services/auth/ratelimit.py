"""Fixed-window counters in Redis, one atomic script call per hit."""

from __future__ import annotations

from redis.asyncio import Redis

_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


async def hit(redis: Redis, key: str, *, limit: int, window: int) -> int | None:
    """Count one attempt under ``key``; over ``limit`` in ``window`` s returns seconds to wait."""
    count, ttl = await redis.eval(_HIT, 1, "gp:rl:" + key, window)
    if int(count) > limit:
        return max(int(ttl), 1)
    return None
