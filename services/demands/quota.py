"""How many photos, and how many bytes, one person may upload in a day (an Asia/Shanghai day).

The day's tally is a Redis hash per person and day (``count``, ``bytes``). Taking a slot is one
Lua script (atomic in Redis): it checks both limits and adds to both, or refuses and adds nothing,
so two uploads racing for the last slot cannot both get it. A slot taken for an upload that then
fails (a broken image, a storage error) is given back. The hash expires by itself two days later.

Redis rather than a count of ``demand_photo`` rows: a race-free count would need a per-person lock
in PostgreSQL held across the upload, and the rows of unattached photos are deleted after a day
(:func:`services.demands.photos.purge_unattached`) while the day's quota must not come back. The
cost: the tallies go with the Redis data (a flushed Redis forgets today's tallies).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from redis.asyncio import Redis

from services import clock
from services.errors import DomainError, ErrorCode

_TAKE = """
local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
local bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0')
if count + 1 > tonumber(ARGV[1]) or bytes + tonumber(ARGV[3]) > tonumber(ARGV[2]) then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('HINCRBY', KEYS[1], 'bytes', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'count', -1)
  redis.call('HINCRBY', KEYS[1], 'bytes', -tonumber(ARGV[1]))
end
return 1
"""
KEEP = 2 * 24 * 3600  # seconds a day's tally is kept (past the day, whatever the time zone)


@dataclass(frozen=True, slots=True)
class PhotoQuota:
    daily_count: int
    daily_bytes: int


@dataclass(frozen=True, slots=True)
class Slot:
    """A taken slot: the key it was counted under and the bytes counted (to give back)."""

    key: str
    size: int


def _key(person_id: uuid.UUID, now: datetime) -> str:
    return f"gp:photoquota:{person_id}:{clock.local_date(now).isoformat()}"


def seconds_to_tomorrow(now: datetime) -> int:
    tomorrow = clock.local_date(now) + timedelta(days=1)
    midnight = datetime.combine(tomorrow, time(), tzinfo=clock.LOCAL)
    return max(int((midnight - now).total_seconds()), 1)


def exceeded(quota: PhotoQuota, now: datetime) -> DomainError:
    return DomainError(
        ErrorCode.UPLOAD_QUOTA_EXCEEDED,
        field="file",
        max_count=quota.daily_count,
        max_mb=f"{quota.daily_bytes / 1_048_576:g}",
        retry_after=seconds_to_tomorrow(now),
    )


async def take(redis: Redis, quota: PhotoQuota, person_id: uuid.UUID, size: int) -> Slot:
    """Count one upload of ``size`` bytes for today, or refuse (nothing counted)."""
    now = clock.now()
    key = _key(person_id, now)
    taken = await redis.eval(_TAKE, 1, key, quota.daily_count, quota.daily_bytes, size, KEEP)
    if not int(taken):
        raise exceeded(quota, now)
    return Slot(key, size)


async def give_back(redis: Redis, slot: Slot) -> None:
    """Uncount an upload that was not stored."""
    await redis.eval(_GIVE_BACK, 1, slot.key, slot.size)
