"""Driving the web app in Debian's Chromium through Playwright (no browser downloads).

Every page records console errors, page errors and vue-i18n warnings; :meth:`Browser.check`
fails the test on any of them. Screenshots go to ``tests/e2e/screenshots/<locale>-<width>/``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import BrowserContext, Page, expect

PASSWORD = "gridpoints2026"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}

# A message key shown raw (vue-i18n prints the key when a translation is missing).
RAW_KEY = re.compile(
    r"\b(?:app|common|nav|login|home|orders|claims|exchange|basket|redemptions|demands|board|"
    r"notice|profile|work|orderForm|meetings|pickups|catalog|venues|windows|households|"
    r"dashboard|scores|weekday|enum)\.[A-Za-z0-9]+"
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def chromium_path() -> str:
    return os.environ.get("GRIDPOINTS_CHROMIUM", "/usr/bin/chromium")


@dataclass
class Screen:
    """One signed-in (or not) browser context: a user at a viewport in a language."""

    context: BrowserContext
    page: Page
    base: str
    locale: str
    problems: list[str] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        width = self.page.viewport_size["width"] if self.page.viewport_size else 0
        return SCREENSHOTS / f"{self.locale}-{width}"

    async def go(self, path: str) -> None:
        """Open a screen and wait until it has loaded its data."""
        await self.page.goto(f"{self.base}/#{path}")
        await expect(self.page.locator(f'main[data-route="{path}"]')).to_have_count(1)
        await expect(self.page.locator(".van-loading")).to_have_count(0, timeout=15_000)

    async def shot(self, name: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        await self.page.wait_for_load_state("networkidle")
        await expect(self.page.locator(".van-loading")).to_have_count(0)
        await self.page.evaluate("window.scrollTo(0, 0)")
        # A phone shows one screen; on a desktop the whole page (the tabs sit at the top there).
        desktop = bool(self.page.viewport_size and self.page.viewport_size["width"] >= 768)
        await self.page.screenshot(path=str(self.folder / f"{name}.png"), full_page=desktop)
        await self.assert_translated()

    async def assert_translated(self) -> None:
        text = await self.page.locator("body").inner_text()
        raw = RAW_KEY.findall(text)
        assert not raw, f"untranslated keys on {self.page.url}: {raw}"

    async def sign_in(self, phone: str) -> None:
        await self.go("/login")
        await self.page.get_by_label("手机号" if self.locale == "zh-CN" else "Phone").fill(phone)
        await self.page.locator("[data-test=tab-password]").click()  # the code comes first
        await self.page.locator("#login-password").fill(PASSWORD)
        await self.page.locator("[data-test=sign-in]").click()
        await expect(self.page.locator(".van-tabbar")).to_be_visible()

    def check(self) -> None:
        assert not self.problems, "browser problems:\n" + "\n".join(self.problems)

    async def close(self) -> None:
        if self in OPEN:
            OPEN.remove(self)
        # As a user leaving: the page unloads (the app closes its subscriptions), then the context.
        await self.page.close(run_before_unload=True)
        await self.context.close()
        self.check()


OPEN: list[Screen] = []
"""Screens not closed yet: a failed test's are closed after it (conftest), so no page keeps a
subscription open while the server stops."""


async def open_screen(
    browser: PlaywrightBrowser, base: str, *, locale: str = "zh-CN", desktop: bool = False
) -> Screen:
    context = await browser.new_context(
        viewport=DESKTOP if desktop else PHONE,
        locale=locale,
        timezone_id="Asia/Shanghai",
        device_scale_factor=1,
    )
    # The remembered language, as the language switch leaves it in localStorage.
    await context.add_init_script(
        f"if (!localStorage.getItem('gridpoints.locale')) "
        f"localStorage.setItem('gridpoints.locale', '{locale}')"
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    screen = Screen(context, page, base, locale)
    OPEN.append(screen)

    def on_console(message: object) -> None:
        kind = getattr(message, "type", "")
        text = getattr(message, "text", "")
        if kind == "error" or "[intlify]" in text or "[i18n]" in text:
            screen.problems.append(f"console {kind}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: screen.problems.append(f"page error: {error}"))
    return screen
