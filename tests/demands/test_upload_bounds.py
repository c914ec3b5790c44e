"""Uploads with bounds: only images that decode are stored, re-encoded without metadata; each
person has a daily quota (count and bytes, race-free) and a short-burst limit; photos never
attached are deleted, row and file, a day after upload."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st
from PIL import ExifTags, Image
from redis.asyncio import Redis
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api import worker
from api.settings import Settings
from api.state import AppState
from schema.relay import decode_id
from services import clock, images
from services.demands import quota
from services.demands.models import DemandPhoto
from services.demands.photos import sniff
from services.errors import DomainError, ErrorCode
from tests.demands.helpers import FAKE_PNG, JPEG, PNG, T0, Demands, image
from tests.support import World


def stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


async def photo_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(DemandPhoto)) or 0)


def noisy(kind: str = "JPEG", size: tuple[int, int] = (160, 120)) -> bytes:
    """An image that does not compress away: cut short, its pixels are missing."""
    picture = Image.effect_noise(size, 64).convert("RGB")
    out = io.BytesIO()
    picture.save(out, kind)
    return out.getvalue()


def gps_jpeg() -> bytes:
    """An 8x6 JPEG taken "rotated" (orientation 6) at a place in Shanghai, as phones write it."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "GridPhone"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (31.0, 13.0, 24.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (121.0, 28.0, 12.0),
    }
    return image("JPEG", (8, 6), exif=exif.tobytes())


def bomb(side: int) -> bytes:
    """A valid PNG of side x side one-bit pixels: a few kB on the wire, side² pixels decoded."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    return out.getvalue()


# --- only real images, re-encoded ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (FAKE_PNG, "UPLOAD_BROKEN"),  # the PNG signature, then zeros
        (b"\xff\xd8\xff" + b"\x00" * 64, "UPLOAD_BROKEN"),  # the JPEG one
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "UPLOAD_BROKEN"),  # the WebP one
        (noisy("JPEG")[:1500], "UPLOAD_BROKEN"),  # a truncated JPEG
        (noisy("PNG")[:1500], "UPLOAD_BROKEN"),  # a truncated PNG
        (bomb(10_000), "UPLOAD_TOO_MANY_PIXELS"),  # 100 MP: past twice the limit
        (bomb(7_000), "UPLOAD_TOO_MANY_PIXELS"),  # 49 MP: past the limit
    ],
    ids=["png-zeros", "jpeg-zeros", "webp-zeros", "jpeg-cut", "png-cut", "bomb", "bomb-49mp"],
)
async def test_what_does_not_decode_is_refused_and_leaves_nothing(
    demands: Demands, session: AsyncSession, photo_dir: Path, data: bytes, code: str
) -> None:
    assert sniff(data) is not None  # each claims to be an image
    status, body = await demands.upload("resident_a", data, language="en")
    assert (status, body["errors"][0]["code"], body["errors"][0]["field"]) == (422, code, "file")
    message = body["errors"][0]["message"]
    assert message.startswith("The image")
    assert ("40 megapixels" in message) == (code == "UPLOAD_TOO_MANY_PIXELS")
    assert await photo_count(session) == 0
    assert stored_files(photo_dir) == []


async def test_refusals_speak_the_users_language(demands: Demands) -> None:
    _, chinese = await demands.upload("resident_a", FAKE_PNG)
    assert chinese["errors"][0]["message"] == "图片已损坏或不完整，无法读取，请换一张。"
    _, bomb_zh = await demands.upload("resident_a", bomb(7_000), language="zh-CN")
    assert bomb_zh["errors"][0]["message"] == "图片像素过多，最多 40 百万像素。"


async def test_gps_and_all_other_metadata_are_gone_and_orientation_is_applied(
    demands: Demands, session: AsyncSession, photo_dir: Path
) -> None:
    sent = gps_jpeg()
    before = Image.open(io.BytesIO(sent))
    assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the upload does carry a location
    assert before.size == (8, 6)

    status, photo = await demands.upload("resident_a", sent)
    assert (status, photo["contentType"]) == (201, "image/jpeg")
    reply = await demands.photo("resident_a", photo["id"])
    assert (reply.status_code, reply.headers["content-type"]) == (200, "image/jpeg")
    back = Image.open(io.BytesIO(reply.content))
    assert back.format == "JPEG"
    assert dict(back.getexif()) == {}
    assert back.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(back.info)
    assert b"Exif\x00\x00" not in reply.content
    assert b"GridPhone" not in reply.content
    assert back.size == (6, 8)  # turned upright by its orientation tag, then the tag dropped
    [file] = stored_files(photo_dir)
    assert file.read_bytes() == reply.content


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
async def test_the_stored_type_is_what_the_stored_bytes_are(
    demands: Demands, session: AsyncSession, photo_dir: Path, kind: str
) -> None:
    sent = image(kind, (12, 9))
    status, photo = await demands.upload("resident_a", sent)
    assert status == 201
    row = await session.get(DemandPhoto, decode_id(photo["id"], "DemandPhoto", field="id"))
    assert row is not None
    [file] = stored_files(photo_dir)
    stored = file.read_bytes()
    assert (row.content_type, row.size, photo["size"]) == ("image/jpeg", len(stored), len(stored))
    assert row.key.endswith(".jpg")
    assert sniff(stored) == row.content_type
    assert Image.open(io.BytesIO(stored)).format == "JPEG"
    assert Image.open(io.BytesIO(stored)).size == (12, 9)


async def test_a_transparent_png_goes_onto_white_and_a_long_side_is_capped(
    demands: Demands,
) -> None:
    clear = io.BytesIO()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(clear, "PNG")
    status, photo = await demands.upload("resident_a", clear.getvalue())
    assert status == 201
    back = Image.open(io.BytesIO((await demands.photo("resident_a", photo["id"])).content))
    assert back.mode == "RGB"
    r, g, b = back.convert("RGB").getpixel((1, 1))
    assert min(r, g, b) >= 250

    status, wide = await demands.upload("resident_a", image("PNG", (5000, 100)))
    assert status == 201
    back = Image.open(io.BytesIO((await demands.photo("resident_a", wide["id"])).content))
    assert back.size == (images.MAX_SIDE, 82)


async def test_decoding_runs_off_the_event_loop_a_bounded_number_at_a_time(
    demands: Demands, state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = images.reencode
    lock = threading.Lock()
    running = [0, 0]  # now, most at once

    def slow_reencode(data: bytes, *, max_pixels: int) -> images.Encoded:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        try:
            time.sleep(0.1)  # a long decode, as a big photo's
            return real(data, max_pixels=max_pixels)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(images, "reencode", slow_reencode)
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    beating = asyncio.create_task(heartbeat())
    people = ("resident_a", "resident_a2", "resident_b", "worker_a", "worker_b", "member")
    for who in people:
        await demands.token(who)
    try:
        replies = await asyncio.gather(*(demands.upload(who, PNG) for who in people))
    finally:
        beating.cancel()
    assert [status for status, _ in replies] == [201] * len(people)
    assert running[1] == state.settings.photo_decode_concurrency == 2
    assert ticks >= 20  # 6 decodes of 0.1 s, 2 at a time: 0.3 s; the loop went on meanwhile


# --- quotas ---------------------------------------------------------------------------------------


async def test_two_parallel_uploads_cannot_both_take_the_last_slot(
    demands: Demands,
    settings: Settings,
    session: AsyncSession,
    photo_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "photo_daily_count", 3)
    monkeypatch.setattr(settings, "photo_burst_per_minute", 100)
    with clock.frozen(T0) as move:
        for _ in range(2):
            assert (await demands.upload("resident_a", PNG))[0] == 201
        # refused uploads count nothing against the day
        assert (await demands.upload("resident_a", FAKE_PNG))[0] == 422
        replies = await asyncio.gather(
            *(demands.upload_reply("resident_a", PNG, language="en") for _ in range(30))
        )
        statuses = sorted(status for status, _, _ in replies)
        assert statuses == [201] + [429] * 29
        refused = next(body for status, body, _ in replies if status == 429)
        headers = next(headers for status, _, headers in replies if status == 429)
        assert refused["errors"] == [
            {
                "code": "UPLOAD_QUOTA_EXCEEDED",
                "message": (
                    "You have reached today's upload limit (3 photos or 100 MB); "
                    "try again tomorrow."
                ),
                "field": "file",
            }
        ]
        # 09:00 in Shanghai: the next day starts in 15 hours
        assert headers["retry-after"] == str(15 * 3600)
        assert await photo_count(session) == 3
        assert len(stored_files(photo_dir)) == 3
        _, chinese = await demands.upload("resident_a", PNG)
        assert chinese["errors"][0]["message"] == (
            "今天上传的图片已达上限（3 张或 100 MB），请明天再试。"
        )
        # someone else has their own quota; the next local day is a new one
        assert (await demands.upload("resident_b", PNG))[0] == 201
        move(T0 + timedelta(hours=15))
        assert (await demands.upload("resident_a", PNG))[0] == 201


async def test_slots_taken_at_the_same_instant_never_exceed_the_quota(
    redis: Redis, world: World
) -> None:
    """The requests above reach the quota a few ms apart; here 40 takes race at once."""
    person = world.people["resident_a"]
    limits = quota.PhotoQuota(daily_count=5, daily_bytes=1000)
    refusals: list[ErrorCode] = []
    with clock.frozen(T0):

        async def take(size: int) -> quota.Slot | None:
            try:
                return await quota.take(redis, limits, person, size)
            except DomainError as error:
                refusals.append(error.code)
                return None

        slots = await asyncio.gather(*(take(10) for _ in range(40)))
        assert sum(slot is not None for slot in slots) == 5
        assert set(refusals) == {ErrorCode.UPLOAD_QUOTA_EXCEEDED}
        # the bytes alike: 40 x 60 bytes against 1000 - 50 left
        await redis.delete(*{slot.key for slot in slots if slot})
        slots = await asyncio.gather(*(take(60) for _ in range(40)))
        taken = [slot for slot in slots if slot]
        assert len(taken) == 5
        await asyncio.gather(*(quota.give_back(redis, slot) for slot in taken))
        assert await redis.hgetall(taken[0].key) == {"count": "0", "bytes": "0"}


async def test_the_daily_bytes_are_bounded_too(
    demands: Demands, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = noisy()
    monkeypatch.setattr(settings, "photo_daily_bytes", 2 * len(photo) + len(PNG))
    with clock.frozen(T0):
        assert (await demands.upload("resident_a", photo))[0] == 201
        replies = await asyncio.gather(*(demands.upload("resident_a", photo) for _ in range(4)))
        assert sorted(status for status, _ in replies) == [201, 429, 429, 429]
        # what is still left of the day's bytes is enough for a small one
        assert (await demands.upload("resident_a", PNG))[0] == 201


async def test_a_burst_is_slowed_down(
    demands: Demands, settings: Settings, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "photo_burst_per_minute", 4)
    replies = await asyncio.gather(
        *(demands.upload_reply("resident_a", JPEG, language="en") for _ in range(6))
    )
    assert sorted(status for status, _, _ in replies) == [201] * 4 + [429] * 2
    body, headers = next((body, headers) for status, body, headers in replies if status == 429)
    assert body["errors"][0]["code"] == "UPLOAD_RATE_LIMITED"
    retry_after = int(headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert body["errors"][0]["message"] == (
        f"Too many uploads at once; try again in {retry_after} seconds."
    )
    # attempts count, refused ones too, before the body is even read
    assert (await demands.upload("resident_a", FAKE_PNG))[0] == 429
    assert (await demands.upload("resident_b", JPEG))[0] == 201


# --- unattached photos are cleaned up -------------------------------------------------------------


async def age(session: AsyncSession, photo_ids: list[str], hours: float) -> None:
    ids = [decode_id(i, "DemandPhoto", field="id") for i in photo_ids]
    await session.execute(
        update(DemandPhoto)
        .where(DemandPhoto.id.in_(ids))
        .values(created_at=func.now() - timedelta(hours=hours))
    )
    await session.commit()


async def test_the_worker_deletes_photos_never_attached_after_a_day(
    demands: Demands,
    state: AppState,
    settings: Settings,
    session: AsyncSession,
    photo_dir: Path,
) -> None:
    uploaded: dict[str, Any] = {}
    for name in ("attached", "old", "recent"):
        status, uploaded[name] = await demands.upload("resident_a", PNG)
        assert status == 201
    await demands.report(photoIds=[uploaded["attached"]["id"]])
    await age(session, [uploaded["attached"]["id"], uploaded["old"]["id"]], hours=25)
    await age(session, [uploaded["recent"]["id"]], hours=23)
    assert len(stored_files(photo_dir)) == 3
    old = await session.get(
        DemandPhoto, decode_id(uploaded["old"]["id"], "DemandPhoto", field="id")
    )
    assert old is not None
    old_file = photo_dir / old.key
    assert old_file.is_file()
    session.expunge_all()

    done = await worker.tick(state.sessions, state.redis, store=settings.photo_store)
    assert done["photos_purged"] == 1
    left = {p.id for p in await session.scalars(select(DemandPhoto))}
    assert left == {
        decode_id(uploaded[name]["id"], "DemandPhoto", field="id")
        for name in ("attached", "recent")
    }
    assert not old_file.exists()
    assert len(stored_files(photo_dir)) == 2
    assert (await demands.photo("resident_a", uploaded["old"]["id"])).status_code == 404
    assert (await demands.photo("resident_a", uploaded["attached"]["id"])).status_code == 200
    assert (await demands.photo("resident_a", uploaded["recent"]["id"])).status_code == 200

    # again: nothing more to do
    again = await worker.tick(state.sessions, state.redis, store=settings.photo_store)
    assert again["photos_purged"] == 0
    assert len(stored_files(photo_dir)) == 2


# --- hostile bytes never get past the decoder as anything but a typed refusal ---------------------

SEEDS = [image("PNG", (24, 16)), image("JPEG", (24, 16)), image("WEBP", (24, 16)), gps_jpeg()]


def reencode_or_code(data: bytes) -> images.Encoded | ErrorCode:
    try:
        return images.reencode(data, max_pixels=40_000_000)
    except DomainError as error:
        return error.code


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(
    seed=st.sampled_from(SEEDS),
    cut=st.integers(min_value=0, max_value=400),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
)
def test_mangled_images_are_refused_or_re_encoded(
    seed: bytes, cut: int, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(seed[: max(len(seed) - cut, 0)])
    for at, value in flips:
        if data:
            data[at % len(data)] = value
    outcome = reencode_or_code(bytes(data))
    if isinstance(outcome, ErrorCode):
        assert outcome in {ErrorCode.UPLOAD_BROKEN, ErrorCode.UPLOAD_TOO_MANY_PIXELS}
    else:
        assert Image.open(io.BytesIO(outcome.data)).format == "JPEG"
        assert max(outcome.width, outcome.height) <= images.MAX_SIDE
