"""Photos in an S3-compatible bucket: the request signature against AWS's published Signature
Version 4 test vector, and the whole upload / download / clean-up path against a running S3
server.

The server is moto's S3 server (``moto[server]``, a separate process speaking the S3 REST API over
HTTP). It is an emulator: no real S3-compatible server (MinIO, Ceph, Garage) installs from this
machine's package registries. It does not check signatures, which is why the signer is proven on
AWS's own test vector.
"""

from __future__ import annotations

import asyncio
import io
import re
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api import worker
from api.settings import Settings
from api.state import AppState
from schema.relay import decode_id, to_global_id
from services.demands.models import DemandPhoto
from services.storage import S3Store, sign
from tests.demands.helpers import PNG, Demands


def test_signature_matches_the_aws_sigv4_test_vector() -> None:
    """``get-vanilla`` of AWS's Signature Version 4 test suite."""
    authorization = sign(
        method="GET",
        url="https://example.amazonaws.com/",
        headers={"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"},
        payload_sha256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        access_key="AKIDEXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",  # AWS's example
        region="us-east-1",
        service="service",
        at=datetime(2015, 8, 30, 12, 36, tzinfo=UTC),
    )
    assert authorization == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def bucket(tmp_path: Path) -> AsyncIterator[S3Store]:
    port = _free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    store = S3Store(
        endpoint=f"http://127.0.0.1:{port}",
        bucket="gridpoints-photos",
        access_key="test-key",
        secret_key="test-secret",
    )
    try:
        for _ in range(100):
            try:
                created = await store.request("PUT")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("the S3 server did not start")
        assert created.status_code == 200, created.text
        yield store
    finally:
        server.terminate()
        await server.wait()


async def keys(store: S3Store) -> list[str]:
    listing = await store.request("GET")
    assert listing.status_code == 200
    return re.findall(r"<Key>([^<]+)</Key>", listing.text)


async def test_photos_go_to_the_bucket_and_come_back_only_to_those_who_may_see_them(
    demands: Demands,
    settings: Settings,
    bucket: S3Store,
    photo_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in (
        ("photo_s3_endpoint", bucket.endpoint),
        ("photo_s3_bucket", bucket.bucket),
        ("photo_s3_access_key", bucket.access_key),
        ("photo_s3_secret_key", bucket.secret_key),
    ):
        monkeypatch.setattr(settings, name, value)
    status, body = await demands.upload("resident_a", b"GIF89a" + b"\x00" * 32)
    assert (status, body["errors"][0]["code"]) == (415, "UPLOAD_WRONG_TYPE")
    assert await keys(bucket) == []

    status, photo = await demands.upload("resident_a", PNG)
    assert status == 201
    [key] = await keys(bucket)
    assert key.endswith(".jpg")  # re-encoded: what is stored is a fresh JPEG
    stored = await bucket.get(key)
    assert stored is not None
    assert Image.open(io.BytesIO(stored)).format == "JPEG"
    assert not await asyncio.to_thread(photo_dir.exists)  # nothing went to the folder

    own = await demands.api.client.get(
        f"/photos/{photo['id']}",
        headers={"Authorization": f"Bearer {await demands.token('resident_a')}"},
    )
    assert (own.status_code, own.content, own.headers["content-type"]) == (
        200,
        stored,
        "image/jpeg",
    )
    other = await demands.api.client.get(
        f"/photos/{photo['id']}",
        headers={"Authorization": f"Bearer {await demands.token('resident_b')}"},
    )
    assert other.status_code == 404


async def test_photos_never_attached_leave_the_bucket_after_a_day(
    demands: Demands,
    settings: Settings,
    state: AppState,
    session: AsyncSession,
    bucket: S3Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in (
        ("photo_s3_endpoint", bucket.endpoint),
        ("photo_s3_bucket", bucket.bucket),
        ("photo_s3_access_key", bucket.access_key),
        ("photo_s3_secret_key", bucket.secret_key),
    ):
        monkeypatch.setattr(settings, name, value)
    photos = []
    for _ in range(2):
        status, photo = await demands.upload("resident_a", PNG)
        assert status == 201
        photos.append(decode_id(photo["id"], "DemandPhoto", field="id"))
    await demands.report(photoIds=[to_global_id("DemandPhoto", photos[0])])
    await session.execute(
        update(DemandPhoto)
        .where(DemandPhoto.id.in_(photos))
        .values(created_at=func.now() - timedelta(hours=25))
    )
    await session.commit()
    attached = await session.get(DemandPhoto, photos[0])
    unattached = await session.get(DemandPhoto, photos[1])
    assert attached is not None
    assert unattached is not None
    assert sorted(await keys(bucket)) == sorted([attached.key, unattached.key])

    for expected in (1, 0):  # the second run finds nothing more to do
        done = await worker.tick(state.sessions, state.redis, store=settings.photo_store)
        assert done["photos_purged"] == expected
        assert await keys(bucket) == [attached.key]
    session.expunge_all()
    assert [p.id for p in await session.scalars(select(DemandPhoto))] == [attached.id]


def test_a_half_configured_bucket_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="together"):
        Settings(photo_s3_endpoint="http://127.0.0.1:9000", photo_s3_bucket="b")
