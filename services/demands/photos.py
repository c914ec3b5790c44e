"""Photos stored by the app: bounded per person, decoded and re-encoded before anything is written.

An upload passes, in order: a short-burst rate limit per person (:func:`admit`, before the body is
read), the size cap, the type read from the bytes (magic numbers of JPEG, PNG and WebP, never a
file name or a client's Content-Type), the person's daily quota (:mod:`services.demands.quota`),
and a full decode by Pillow (:mod:`services.images`, in a thread, a bounded number at a time per
process). What is stored is the re-encoded JPEG, without metadata. A refused upload writes
nothing and counts nothing against the day's quota: the file is written to the store (a folder,
or an S3-compatible bucket: :mod:`services.storage`), and the row goes in after it; if the row or
the commit fails, the caller deletes the file again.

Photos are attached to a demand by the step that cites them; those never attached are deleted,
row and file, a day after upload (:func:`purge_unattached`, run by the worker).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import images
from services.auth import ratelimit
from services.authz import Actor
from services.demands import quota
from services.demands.models import DemandPhoto
from services.errors import DomainError, ErrorCode
from services.storage import Store

BURST_WINDOW = 60  # seconds
UNATTACHED_TTL = timedelta(hours=24)
PURGE_BATCH = 500


@dataclass(frozen=True, slots=True)
class UploadPolicy:
    max_bytes: int
    max_pixels: int
    burst_per_minute: int
    quota: quota.PhotoQuota


def sniff(data: bytes) -> str | None:
    """The image type the bytes claim to be, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def too_large(max_bytes: int) -> DomainError:
    return DomainError(
        ErrorCode.UPLOAD_TOO_LARGE, field="file", max_mb=f"{max_bytes / 1_048_576:g}"
    )


def check(data: bytes, *, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    content_type = sniff(data)
    if content_type is None:
        raise DomainError(ErrorCode.UPLOAD_WRONG_TYPE, field="file")
    return content_type


async def admit(redis: Redis, policy: UploadPolicy, actor: Actor) -> None:
    """The short-burst limit: every attempt counts, refused ones too."""
    retry_after = await ratelimit.hit(
        redis,
        f"photo:{actor.person_id}",
        limit=policy.burst_per_minute,
        window=BURST_WINDOW,
    )
    if retry_after is not None:
        raise DomainError(ErrorCode.UPLOAD_RATE_LIMITED, retry_after=retry_after)


async def upload(
    session: AsyncSession,
    redis: Redis,
    actor: Actor,
    *,
    data: bytes,
    store: Store,
    policy: UploadPolicy,
    decodes: asyncio.Semaphore,
) -> DemandPhoto:
    """Store an uploaded photo for the actor; it is attached later by the step that cites it."""
    check(data, max_bytes=policy.max_bytes)
    slot = await quota.take(redis, policy.quota, actor.person_id, len(data))
    try:
        async with decodes:
            encoded = await asyncio.to_thread(images.reencode, data, max_pixels=policy.max_pixels)
        photo_id = uuid.uuid4()
        key = f"{photo_id.hex[:2]}/{photo_id.hex}.{images.EXTENSION}"
        await store.put(key, encoded.data, encoded.content_type)
        photo = DemandPhoto(
            id=photo_id,
            uploader_id=actor.person_id,
            content_type=encoded.content_type,
            size=len(encoded.data),
            key=key,
        )
        try:
            session.add(photo)
            await session.flush()
        except BaseException:
            await store.delete(key)
            raise
    except BaseException:
        await quota.give_back(redis, slot)
        raise
    return photo


async def purge_unattached(
    session: AsyncSession, store: Store, *, older_than: timedelta = UNATTACHED_TTL
) -> int:
    """Delete up to :data:`PURGE_BATCH` photos never attached and uploaded before ``older_than``
    ago: their rows, then their files, in the caller's transaction. A failing file delete rolls
    the rows back for the next run (deleting a missing file is no error, so reruns are safe). A
    step attaching one of them at the same moment either locked it first (skipped here) or finds
    it gone (NOT_FOUND)."""
    doomed = (
        select(DemandPhoto.id)
        .where(
            DemandPhoto.demand_id.is_(None),
            DemandPhoto.created_at < func.now() - older_than,
        )
        .order_by(DemandPhoto.created_at)
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
    keys = list(
        await session.scalars(
            delete(DemandPhoto)
            .where(DemandPhoto.id.in_(doomed.scalar_subquery()), DemandPhoto.demand_id.is_(None))
            .returning(DemandPhoto.key)
        )
    )
    for key in keys:
        await store.delete(key)
    return len(keys)
