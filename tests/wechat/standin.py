"""A stand-in of WeChat's server API on 127.0.0.1 (a random port, a thread): the two sign-in
exchanges, as documented.

* ``GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`` (the official
  account's web authorization) answers ``{access_token, expires_in, refresh_token, openid,
  scope}``;
* ``GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`` (the mini
  program's code2Session) answers ``{openid, session_key, unionid}``.

Each checks the app id (40013) and its secret (40125) and the grant type (40002); a code is good
for its own app and once: 40163 on reuse, 40029 for a code it never gave. The test plays the
user's WeChat: :meth:`WechatStandIn.authorize` follows an authorize URL as the browser would and
returns the code WeChat would append to the redirect; :meth:`WechatStandIn.login` is
``wx.login()``. ``busy`` answers 45011 (the minute quota), ``hang_up`` closes every connection
without an answer (WeChat out of reach).
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OA_APP_ID = "wx0a0a0a0a0a0a0a0a"
OA_SECRET = "oa-secret-0123456789abcdef01234567"
MP_APP_ID = "wx1b1b1b1b1b1b1b1b"
MP_SECRET = "mp-secret-0123456789abcdef01234567"


@dataclass
class Grant:
    app_id: str
    openid: str
    unionid: str | None


@dataclass
class WechatStandIn:
    secrets: dict[str, str] = field(
        default_factory=lambda: {OA_APP_ID: OA_SECRET, MP_APP_ID: MP_SECRET}
    )
    codes: dict[str, Grant] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    busy: bool = False
    hang_up: bool = False
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.secrets = {OA_APP_ID: OA_SECRET, MP_APP_ID: MP_SECRET}
            self.codes.clear()
            self.used.clear()
            self.calls.clear()
            self.busy = self.hang_up = False

    def _issue(self, app_id: str, openid: str, unionid: str | None) -> str:
        code = secrets.token_hex(16)  # WeChat's codes are 32 characters
        with self._lock:
            self.codes[code] = Grant(app_id, openid, unionid)
        return code

    def authorize(self, url: str, openid: str, unionid: str | None = None) -> tuple[str, str]:
        """Follow the official account's authorize URL as ``openid``'s WeChat: the redirect's
        ``(code, state)``. Checks what WeChat checks of the URL."""
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc, parts.path) == (
            "https",
            "open.weixin.qq.com",
            "/connect/oauth2/authorize",
        ), url
        assert parts.fragment == "wechat_redirect", url
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert query["response_type"] == "code" and query["scope"] == "snsapi_base", query
        assert query["appid"] in self.secrets, query
        return self._issue(query["appid"], openid, unionid), query.get("state", "")

    def login(self, openid: str, unionid: str | None = None) -> str:
        """``wx.login()`` in the mini program of ``openid``'s WeChat: a code."""
        return self._issue(MP_APP_ID, openid, unionid)

    def answer(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            self.calls.append((path, query))
            if self.busy:
                return {"errcode": 45011, "errmsg": "api minute-quota reach limit  mustslower"}
            if path == "/sns/oauth2/access_token":
                code = query.get("code", "")
            elif path == "/sns/jscode2session":
                code = query.get("js_code", "")
            else:
                return {"errcode": 40066, "errmsg": "invalid url"}
            app_id = query.get("appid", "")
            if app_id not in self.secrets:
                return {"errcode": 40013, "errmsg": "invalid appid"}
            if query.get("secret") != self.secrets[app_id]:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            if query.get("grant_type") != "authorization_code":
                return {"errcode": 40002, "errmsg": "invalid grant_type"}
            if code in self.used:
                return {"errcode": 40163, "errmsg": "code been used"}
            grant = self.codes.get(code)
            if grant is None or grant.app_id != app_id:
                return {"errcode": 40029, "errmsg": "invalid code"}
            self.used.add(code)
        if path == "/sns/jscode2session":
            found: dict[str, Any] = {"openid": grant.openid, "session_key": secrets.token_hex(12)}
            if grant.unionid:
                found["unionid"] = grant.unionid
            return found
        return {
            "access_token": secrets.token_hex(24),
            "expires_in": 7200,
            "refresh_token": secrets.token_hex(24),
            "openid": grant.openid,
            "scope": "snsapi_base",
        }


def serve(standin: WechatStandIn) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if standin.hang_up:
                self.close_connection = True
                return
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            body = json.dumps(standin.answer(parts.path, query)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; encoding=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="wechat-standin", daemon=True).start()
    return server
