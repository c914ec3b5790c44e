"""WeChat tests: the app configured for both WeChat apps, talking to a local stand-in.

``app`` and ``state`` are this folder's own (session-scoped, on the same databases as the rest):
the suite's app has WeChat off, as a fresh install does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from api.state import AppState
from schema.context import drain_relays
from tests.wechat.standin import MP_APP_ID, MP_SECRET, OA_APP_ID, OA_SECRET, WechatStandIn, serve


@pytest.fixture(scope="session")
def wechat_server() -> Iterator[WechatStandIn]:
    standin = WechatStandIn()
    server = serve(standin)
    yield standin
    server.shutdown()
    server.server_close()


@pytest.fixture
def wechat(wechat_server: WechatStandIn) -> WechatStandIn:
    wechat_server.reset()
    return wechat_server


@pytest.fixture(scope="session")
def wechat_settings(settings: Settings, wechat_server: WechatStandIn) -> Settings:
    given = settings.model_dump() | {
        "wechat_oa_app_id": OA_APP_ID,
        "wechat_oa_app_secret": OA_SECRET,
        "wechat_mp_app_id": MP_APP_ID,
        "wechat_mp_app_secret": MP_SECRET,
        "wechat_api_base": wechat_server.url,
    }
    return Settings(**given)


@pytest.fixture(scope="session")
async def app(
    wechat_settings: Settings, database_url: str, redis_url: str
) -> AsyncIterator[Starlette]:
    application = create_app(wechat_settings, database_url=database_url, redis_url=redis_url)
    yield application
    await drain_relays()
    await application.state.gridpoints.close()


@pytest.fixture(scope="session")
def state(app: Starlette) -> AppState:
    return app.state.gridpoints  # type: ignore[no-any-return]
