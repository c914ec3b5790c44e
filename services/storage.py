"""Where stored files (demand photos) live: a local folder, or an S3-compatible bucket.

:class:`LocalStore` writes under a directory, atomically (a temporary name, then a rename).
:class:`S3Store` speaks the S3 REST API with path-style URLs (``{endpoint}/{bucket}/{key}``), so
it works with MinIO, Ceph, Alibaba OSS / Tencent COS in S3 mode and AWS itself, and signs each
request with AWS Signature Version 4 (:func:`sign`, checked against AWS's published test vector).
Objects are written with their content type and read back as bytes; a missing object is None.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlsplit

import httpx


class Store(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


@dataclass(frozen=True, slots=True)
class LocalStore:
    """Files under ``directory`` (disk work runs in a thread, off the event loop)."""

    directory: Path

    def path_of(self, key: str) -> Path:
        return self.directory / key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(_write, self.path_of(key), data)

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(_read, self.path_of(key))

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_of(key).unlink, missing_ok=True)


EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    payload_sha256: str,
    access_key: str,
    secret_key: str,
    region: str,
    service: str,
    at: datetime,
) -> str:
    """The ``Authorization`` header of AWS Signature Version 4 for a request whose ``headers``
    (``host`` and ``x-amz-date`` among them) are all signed."""
    parts = urlsplit(url)
    path = quote(parts.path or "/", safe="/-_.~")
    query = "&".join(
        sorted(
            f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
            for k, _, v in (pair.partition("=") for pair in parts.query.split("&") if pair)
        )
    )
    lowered = {k.lower(): " ".join(v.strip().split()) for k, v in headers.items()}
    signed = ";".join(sorted(lowered))
    canonical = "\n".join(
        [
            method,
            path,
            query,
            "".join(f"{k}:{lowered[k]}\n" for k in sorted(lowered)),
            signed,
            payload_sha256,
        ]
    )
    day = at.strftime("%Y%m%d")
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            at.strftime("%Y%m%dT%H%M%SZ"),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = _hmac(f"AWS4{secret_key}".encode(), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )


class StorageError(RuntimeError):
    """The bucket refused or failed a request (an operations problem, not the user's)."""


@dataclass(frozen=True, slots=True)
class S3Store:
    endpoint: str  # e.g. https://minio.example.org:9000
    bucket: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    timeout: float = 10.0

    def url_of(self, key: str = "") -> str:
        base = f"{self.endpoint.rstrip('/')}/{quote(self.bucket)}"
        return f"{base}/{quote(key, safe='/-_.~')}" if key else base

    async def request(
        self, method: str, key: str = "", data: bytes = b"", content_type: str | None = None
    ) -> httpx.Response:
        url = self.url_of(key)
        now = datetime.now(UTC)
        digest = hashlib.sha256(data).hexdigest() if data else EMPTY_SHA256
        headers = {
            "host": urlsplit(url).netloc,
            "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ"),
            "x-amz-content-sha256": digest,
        }
        if content_type:
            headers["content-type"] = content_type
        authorization = sign(
            method=method,
            url=url,
            headers=headers,
            payload_sha256=digest,
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
            service="s3",
            at=now,
        )
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            headers["authorization"] = authorization
            return await client.request(method, url, content=data or None, headers=headers)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        reply = await self.request("PUT", key, data, content_type)
        if reply.status_code != 200:
            raise StorageError(f"PUT {key}: {reply.status_code}")

    async def get(self, key: str) -> bytes | None:
        reply = await self.request("GET", key)
        if reply.status_code == 404:
            return None
        if reply.status_code != 200:
            raise StorageError(f"GET {key}: {reply.status_code}")
        return reply.content

    async def delete(self, key: str) -> None:
        reply = await self.request("DELETE", key)
        if reply.status_code not in (200, 204, 404):
            raise StorageError(f"DELETE {key}: {reply.status_code}")
