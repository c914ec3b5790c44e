"""Photos stored by the app: checked by content and size before anything is written.

The type is read from the bytes (magic numbers of JPEG, PNG and WebP), never from a file name or a
client's Content-Type. A refused upload writes nothing: the checks run on the bytes in memory, the
file is written to the store (a folder, or an S3-compatible bucket: :mod:`services.storage`), and
the row goes in after it; if the row or the commit fails, the caller deletes the file again.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.authz import Actor
from services.demands.models import DemandPhoto
from services.errors import DomainError, ErrorCode
from services.storage import Store

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def sniff(data: bytes) -> str | None:
    """The image type the bytes really are, or None."""
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


async def upload(
    session: AsyncSession, actor: Actor, *, data: bytes, store: Store, max_bytes: int
) -> DemandPhoto:
    """Store an uploaded photo for the actor; it is attached later by the step that cites it."""
    content_type = check(data, max_bytes=max_bytes)
    photo_id = uuid.uuid4()
    key = f"{photo_id.hex[:2]}/{photo_id.hex}.{EXTENSIONS[content_type]}"
    await store.put(key, data, content_type)
    photo = DemandPhoto(
        id=photo_id,
        uploader_id=actor.person_id,
        content_type=content_type,
        size=len(data),
        key=key,
    )
    try:
        session.add(photo)
        await session.flush()
    except BaseException:
        await store.delete(key)
        raise
    return photo
