"""WeChat's sign-in calls through the wechatpy SDK (synchronous: run in a thread).

Both SDK classes take their API base from a class attribute (``API_BASE_URL``), set here per
instance from ``GRIDPOINTS_WECHAT_API_BASE`` so a stand-in can answer (the tests run one):

* :class:`wechatpy.oauth.WeChatOAuth` builds the authorize URL (``OAUTH_BASE_URL``, the browser's
  ``open.weixin.qq.com``, is left alone) and calls ``sns/oauth2/access_token``. It sets no timeout
  of its own, so :class:`_OAuth` adds one to its calls.
* :class:`wechatpy.WeChatClient` ``.wxa.code_to_session`` calls ``sns/jscode2session``. The
  client puts an access token on every call and would fetch one first (``cgi-bin/token``, at a
  fixed host): code2Session needs none (the app id and secret are its credentials), and fetching
  one would replace the token other servers of the same app may be using. :class:`_MiniProgram`
  sends none and never retries.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import requests
from wechatpy import WeChatClient  # type: ignore[import-untyped]
from wechatpy.exceptions import WeChatClientException  # type: ignore[import-untyped]
from wechatpy.oauth import WeChatOAuth  # type: ignore[import-untyped]

from services.wechat import WechatApp, WechatError, WechatSource, WechatUser

DEFAULT_API_BASE = "https://api.weixin.qq.com"
TIMEOUT = 5.0  # seconds for one call to WeChat


class _OAuth(WeChatOAuth):  # type: ignore[misc]
    timeout: float = TIMEOUT

    def _get(self, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        return super()._get(url, **kwargs)


class _MiniProgram(WeChatClient):  # type: ignore[misc]
    @property
    def access_token(self) -> None:  # requests leaves a None parameter out
        return None


@dataclass(frozen=True, slots=True)
class WechatpyGateway:
    api_base: str = DEFAULT_API_BASE
    timeout: float = TIMEOUT
    name: str = "wechatpy"

    @property
    def _base(self) -> str:
        return self.api_base.rstrip("/") + "/"

    def authorize_url(self, app: WechatApp, redirect_uri: str, state: str) -> str:
        oauth = _OAuth(app.app_id, "", redirect_uri, scope="snsapi_base", state=state)
        return str(oauth.authorize_url)

    async def identify(self, app: WechatApp, source: WechatSource, code: str) -> WechatUser:
        call = self._official_account if source is WechatSource.OFFICIAL_ACCOUNT else self._mini
        try:
            answer = await asyncio.to_thread(call, app, code)
        except WeChatClientException as error:  # WeChat's own refusal, or an HTTP error status
            errcode = int(error.errcode) if error.errcode is not None else None
            raise WechatError(errcode, str(error.errmsg or "")) from error
        except (requests.RequestException, ValueError) as error:  # out of reach, or not JSON
            raise WechatError(None, type(error).__name__) from error
        openid = answer.get("openid") if isinstance(answer, dict) else None
        if not isinstance(openid, str) or not openid:
            raise WechatError(None, "no openid in the answer")
        unionid = answer.get("unionid")
        return WechatUser(app.app_id, openid, unionid if isinstance(unionid, str) else None)

    def _official_account(self, app: WechatApp, code: str) -> Any:
        oauth = _OAuth(app.app_id, app.secret, "", scope="snsapi_base")
        oauth.API_BASE_URL = self._base
        oauth.timeout = self.timeout
        return oauth.fetch_access_token(code)

    def _mini(self, app: WechatApp, code: str) -> Any:
        client = _MiniProgram(app.app_id, app.secret, timeout=self.timeout, auto_retry=False)
        client.API_BASE_URL = self._base + "cgi-bin/"
        client.wxa.API_BASE_URL = self._base
        return client.wxa.code_to_session(code)
