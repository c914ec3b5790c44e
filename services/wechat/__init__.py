"""WeChat sign-in: one small interface, :class:`WechatGateway`, and its implementation.

Two ways in, each with its own app (and so its own openid for one WeChat user):

* the official account's web pages (公众号网页授权, scope ``snsapi_base``): the browser goes to
  ``open.weixin.qq.com/connect/oauth2/authorize`` and comes back with a ``code``, which the server
  exchanges at ``/sns/oauth2/access_token`` for the openid;
* the mini program (小程序): ``wx.login()`` gives a ``code``, which the server exchanges at
  ``/sns/jscode2session`` (code2Session) for the openid, the unionid and a session key.

:mod:`services.wechat.sdk` does both through the wechatpy SDK. The rules (who is bound to whom,
binding tickets) live in :mod:`services.auth.wechat`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class WechatSource(StrEnum):
    OFFICIAL_ACCOUNT = "official_account"
    MINI_PROGRAM = "mini_program"


@dataclass(frozen=True, slots=True)
class WechatApp:
    app_id: str
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class WechatUser:
    """Who WeChat says the code belongs to, in one app (openids are per app)."""

    app_id: str
    openid: str
    unionid: str | None = None


class WechatError(Exception):
    """WeChat refused the code (``errcode``: 40029 invalid, 40163 used, 45011 too many calls...),
    or could not be reached or answered something unreadable (``errcode`` None)."""

    def __init__(self, errcode: int | None, message: str = "") -> None:
        super().__init__(f"wechat: {errcode}: {message}")
        self.errcode = errcode
        self.message = message


class WechatGateway(Protocol):
    def authorize_url(self, app: WechatApp, redirect_uri: str, state: str) -> str:
        """Where the official account's pages send the browser (scope ``snsapi_base``)."""
        ...

    async def identify(self, app: WechatApp, source: WechatSource, code: str) -> WechatUser:
        """Exchange a sign-in ``code`` of ``app`` for the user. Raises :class:`WechatError`."""
        ...


@dataclass(frozen=True, slots=True)
class WechatPolicy:
    """The apps WeChat sign-in may use; a source without its app is not configured."""

    gateway: WechatGateway | None = None
    official_account: WechatApp | None = None
    mini_program: WechatApp | None = None
    ticket_ttl: int = 10 * 60  # seconds a binding ticket lives
    state_ttl: int = 10 * 60  # seconds between the authorize redirect and its sign-in

    def app(self, source: WechatSource) -> WechatApp | None:
        if self.gateway is None:
            return None
        if source is WechatSource.OFFICIAL_ACCOUNT:
            return self.official_account
        return self.mini_program
