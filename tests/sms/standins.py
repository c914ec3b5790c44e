"""Local stand-ins for the SMS providers' HTTP APIs, started by the tests on 127.0.0.1.

Each speaks its provider's documented ``SendSms`` and checks the request signature the way the
provider documents it, computed here from the published algorithm (not with the SDK's code), and
refuses a request whose signature does not match:

* Alibaba Cloud, V3 (``ACS3-HMAC-SHA256``): canonical request = method, URI, the query sorted
  by name with names and values percent-encoded (RFC 3986), the ``host``, ``content-type`` and
  every ``x-acs-*`` header as ``name:value`` lines sorted by name, their names joined by ``;``,
  and the payload's SHA-256 (also sent as ``x-acs-content-sha256``); string to sign =
  ``ACS3-HMAC-SHA256\\n`` + hex SHA-256 of it; signature = hex HMAC-SHA256 with the secret.
  ``x-acs-signature-nonce`` may not repeat; ``x-acs-date`` must be within 15 minutes.
* Tencent Cloud, TC3-HMAC-SHA256: canonical request = method, ``/``, the query, the signed headers
  (lower-cased, trimmed ``name:value`` lines; ``content-type`` and ``host`` at least), their names,
  and hex SHA-256 of the body; string to sign = algorithm, ``X-TC-Timestamp``, the credential
  scope ``date/service/tc3_request`` and hex SHA-256 of the canonical request; the key is derived
  ``HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request")``. The timestamp must be
  within 5 minutes and the date its UTC date.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ALIYUN_KEY = ("LTAI-test-access-key", "aliyun-test-secret")
TENCENT_KEY = ("AKID-test-secret-id", "tencent-test-secret-key")
REFUSED_PHONE = "13800009999"  # the stand-ins answer this number with a provider refusal


@dataclass
class Received:
    sent: list[dict[str, Any]] = field(default_factory=list)  # accepted SendSms calls
    refused: list[str] = field(default_factory=list)  # why requests were refused


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


# --- Alibaba Cloud ------------------------------------------------------------------------------


def _acs_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def aliyun_signature(
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    signed: list[str],
    body: bytes,
    secret: str,
) -> str:
    """The signature of a request over its ``signed`` headers, by the documented V3 algorithm."""
    canonical_query = "&".join(
        f"{_acs_encode(k)}={_acs_encode(v)}" for k, v in sorted(query, key=lambda kv: kv[0])
    )
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    canonical = "\n".join(
        [method, path or "/", canonical_query, canonical_headers, ";".join(signed), _sha256(body)]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + _sha256(canonical.encode())
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def must_sign(headers: dict[str, str], body: bytes) -> set[str]:
    """What V3 requires to be signed: host, every x-acs-* header, and the content-type of a body
    (an empty POST carries the HTTP client's own content-type, which the SDK does not sign)."""
    return {
        n
        for n in headers
        if n == "host" or n.startswith("x-acs-") or (n == "content-type" and body)
    }


def aliyun_app(received: Received) -> Starlette:
    nonces: set[str] = set()

    def refuse(status: int, code: str, message: str) -> JSONResponse:
        received.refused.append(code)
        body = {"RequestId": str(uuid.uuid4()), "Code": code, "Message": message}
        return JSONResponse(body, status_code=status)

    async def endpoint(request: Request) -> JSONResponse:
        body = await request.body()
        headers = {name.lower(): value for name, value in request.headers.items()}
        query = parse_qsl(request.url.query, keep_blank_values=True)
        auth = headers.get("authorization", "")
        algorithm, _, rest = auth.partition(" ")
        parts = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
        if algorithm != "ACS3-HMAC-SHA256" or set(parts) != {
            "Credential",
            "SignedHeaders",
            "Signature",
        }:
            return refuse(400, "IncompleteSignature", "The request signature is incomplete.")
        if parts["Credential"] != ALIYUN_KEY[0]:
            return refuse(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if headers.get("x-acs-content-sha256") != _sha256(body):
            return refuse(400, "ContentSHA256NotMatched", "The payload hash does not match.")
        try:
            sent_at = datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=UTC
            )
        except (KeyError, ValueError):
            return refuse(400, "MissingTimestamp", "x-acs-date is missing or malformed.")
        if abs((datetime.now(UTC) - sent_at).total_seconds()) > 15 * 60:
            return refuse(400, "InvalidTimeStamp.Expired", "The request is too old.")
        nonce = headers.get("x-acs-signature-nonce", "")
        if not nonce or nonce in nonces:
            return refuse(400, "SignatureNonceUsed", "The nonce has been used.")
        signed = parts["SignedHeaders"].split(";")
        if signed != sorted(signed) or not must_sign(headers, body) <= set(signed) <= set(headers):
            return refuse(400, "IncompleteSignature", "SignedHeaders is wrong.")
        expected = aliyun_signature(
            request.method, request.url.path, query, headers, signed, body, ALIYUN_KEY[1]
        )
        if not hmac.compare_digest(parts["Signature"], expected):
            return refuse(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
            )
        nonces.add(nonce)
        if (headers.get("x-acs-action"), headers.get("x-acs-version")) != (
            "SendSms",
            "2017-05-25",
        ):
            return refuse(400, "InvalidAction.NotFound", "Specified api is not found.")
        params = dict(query)
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(name):
                return refuse(400, f"Missing{name}", f"{name} is mandatory for this action.")
        request_id = str(uuid.uuid4())
        if params["PhoneNumbers"] == REFUSED_PHONE:
            return JSONResponse(
                {
                    "RequestId": request_id,
                    "Code": "isv.BUSINESS_LIMIT_CONTROL",
                    "Message": "触发号码天级流控Permits:10",
                }
            )
        received.sent.append(params)
        biz_id = f"{len(received.sent)}00000^0"
        return JSONResponse(
            {"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": biz_id}
        )

    return Starlette(routes=[Route("/", endpoint, methods=["POST", "GET"])])


# --- Tencent Cloud ------------------------------------------------------------------------------


def tencent_signature(
    method: str,
    query: str,
    headers: dict[str, str],
    signed: list[str],
    body: bytes,
    secret_key: str,
    timestamp: int,
    service: str,
) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower()}\n" for name in signed)
    canonical = "\n".join([method, "/", query, canonical_headers, ";".join(signed), _sha256(body)])
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{_sha256(canonical.encode())}"
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def tencent_app(received: Received) -> Starlette:
    def error(code: str, message: str) -> JSONResponse:
        received.refused.append(code)
        body = {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "r"}}
        return JSONResponse(body)

    async def endpoint(request: Request) -> JSONResponse:
        body = await request.body()
        headers = {name.lower(): value for name, value in request.headers.items()}
        algorithm, _, rest = headers.get("authorization", "").partition(" ")
        parts = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
        if algorithm != "TC3-HMAC-SHA256" or set(parts) != {
            "Credential",
            "SignedHeaders",
            "Signature",
        }:
            return error("AuthFailure.InvalidAuthorization", "Authorization is malformed.")
        secret_id, date, service, terminal = (parts["Credential"].split("/") + [""] * 4)[:4]
        if secret_id != TENCENT_KEY[0]:
            return error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        signed = parts["SignedHeaders"].split(";")
        if (
            terminal != "tc3_request"
            or service != "sms"
            or not {"content-type", "host"} <= set(signed)
            or any(name not in headers for name in signed)
        ):
            return error("AuthFailure.InvalidAuthorization", "The credential scope is wrong.")
        try:
            timestamp = int(headers["x-tc-timestamp"])
        except (KeyError, ValueError):
            return error("AuthFailure.InvalidAuthorization", "X-TC-Timestamp is missing.")
        now = datetime.now(UTC).timestamp()
        if abs(now - timestamp) > 300:
            return error("AuthFailure.SignatureExpire", "The signature has expired.")
        if datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") != date:
            return error("AuthFailure.InvalidAuthorization", "The date is not the timestamp's.")
        expected = tencent_signature(
            request.method,
            request.url.query,
            headers,
            signed,
            body,
            TENCENT_KEY[1],
            timestamp,
            service,
        )
        if not hmac.compare_digest(parts["Signature"], expected):
            return error(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. "
                "Please check your signature is correct.",
            )
        if (headers.get("x-tc-action"), headers.get("x-tc-version")) != (
            "SendSms",
            "2021-01-11",
        ):
            return error("InvalidAction", "The action is not found.")
        params = json.loads(body)
        if not all(params.get(n) for n in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId")):
            return error("MissingParameter", "A required parameter is missing.")
        [phone] = params["PhoneNumberSet"]
        if phone == f"+86{REFUSED_PHONE}":
            status = {
                "SerialNo": "",
                "PhoneNumber": phone,
                "Fee": 0,
                "SessionContext": "",
                "Code": "LimitExceeded.PhoneNumberDailyLimit",
                "Message": "the number of sms messages sent from a single mobile number every "
                "day exceeds the upper limit",
                "IsoCode": "CN",
            }
        else:
            received.sent.append(params | {"region": headers.get("x-tc-region")})
            status = {
                "SerialNo": f"2640:{len(received.sent)}",
                "PhoneNumber": phone,
                "Fee": 1,
                "SessionContext": "",
                "Code": "Ok",
                "Message": "send success",
                "IsoCode": "CN",
            }
        return JSONResponse({"Response": {"SendStatusSet": [status], "RequestId": "r"}})

    return Starlette(routes=[Route("/", endpoint, methods=["POST"])])


# --- serving --------------------------------------------------------------------------------------


@asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) in this event loop; yields ``http://host:port``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
