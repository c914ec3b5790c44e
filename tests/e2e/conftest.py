"""The real server (``gridpoints serve --demo``) serving the built web app, and a Chromium.

Chromium is Debian's (``/usr/bin/chromium`` or ``GRIDPOINTS_CHROMIUM``); the web app is
``web/dist`` as ``make web`` builds it (``make test`` does that first). When either is missing
the browser tests skip with the reason, except under CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests import servers
from tests.e2e.browser import CHROMIUM_ARGS, OPEN, chromium_path

WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def web_dist() -> Path:
    if not (WEB_DIST / "index.html").exists():
        _unavailable("web/dist is not built (run `make web`, or `make test`, which builds it)")
    return WEB_DIST


@pytest.fixture(scope="module")
def chromium() -> str:
    executable = chromium_path()
    if not Path(executable).exists():
        _unavailable(
            f"Chromium not found at {executable} (apt-get install chromium, "
            "or set GRIDPOINTS_CHROMIUM)"
        )
    return executable


@pytest.fixture(scope="module")
async def browser(chromium: str, served: Server) -> AsyncIterator[Browser]:
    """Closed before the server stops (it depends on it), so no page holds a connection."""
    executable = chromium
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()
    await asyncio.sleep(1)  # let the server see its subscriptions' sockets close before it stops


@pytest.fixture(autouse=True)
async def close_leftover_screens() -> AsyncIterator[None]:
    """A test that failed half way leaves its browser contexts open: close them after it."""
    yield
    while OPEN:
        await OPEN.pop().context.close()


class Server:
    """The served app's base URL, and its database for the one step real time cannot do."""

    def __init__(self, base: str, database_url: str) -> None:
        self.base = base
        self.database_url = database_url

    async def end_publicity(self, order_title: str) -> int:
        """公示期满 now: publicity is at least a day (communitySettings allows 1 to 30 days),
        so the test moves the end of its grants' publicity to the past; the server's worker
        then posts them exactly as it would after the real period."""
        engine = create_async_engine(self.database_url)
        async with engine.begin() as connection:
            result = await connection.execute(
                text(
                    "UPDATE point_grant SET publicity_ends_at = now() - interval '1 second' "
                    "WHERE claim_id IN (SELECT c.id FROM order_claim c "
                    "JOIN volunteer_order o ON o.id = c.order_id WHERE o.title = :title)"
                ),
                {"title": order_title},
            )
        await engine.dispose()
        return int(result.rowcount)


@pytest.fixture(scope="module")
async def served(server_url: str, redis_url: str, web_dist: Path) -> AsyncIterator[Server]:
    name = f"gridpoints_web_{os.getpid()}"
    database_url = await servers.create_database(server_url, name)
    environment = {
        "GRIDPOINTS_WEB_DIR": str(web_dist),
        "GRIDPOINTS_WORKER_INTERVAL": "1",
        "GRIDPOINTS_JSON_LOGS": "false",
    }
    output: list[str] = []
    try:
        with pytest.MonkeyPatch.context() as patch:
            for key, value in environment.items():
                patch.setenv(key, value)
            async with servers.running_server(database_url, redis_url, "--demo") as (
                base,
                printed,
            ):
                yield Server(base, database_url)
            output = printed
    finally:
        await servers.drop_database(server_url, name)
    # Errors while the flows ran fail the module. What the server logs once it is shutting down
    # (subscriptions whose Redis connection closes under them) is the server's shutdown, not
    # the web app's doing.
    shutdown = next((i for i, line in enumerate(output) if "Shutting down" in line), len(output))
    running = output[:shutdown]
    assert not any("Traceback" in line for line in running), "\n".join(running[-80:])
