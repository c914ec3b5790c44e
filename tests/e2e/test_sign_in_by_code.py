"""The sign-in page by SMS code (issue 14), in the real browser against the real server.

The demo's development gateway writes every SMS as a JSON line; the test reads the code there, as
a person trying the demo is told to by the page itself.
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, expect
from redis.asyncio import Redis

from tests.e2e.browser import open_screen
from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

RESIDENT = "13900000031"
OTHER = "13900000032"  # one code a minute per phone: the reset is another resident's


async def code_for(served: Server, phone: str, previous: str | None = None) -> str:
    for _ in range(100):  # the SMS is written just after the answer
        code = served.last_code(phone)
        if code and code != previous:
            return code
        await asyncio.sleep(0.05)
    raise AssertionError(f"no SMS for {phone} in {served.outbox}")


async def test_a_resident_signs_in_by_code_then_resets_the_password(
    browser: Browser, served: Server, redis_url: str
) -> None:
    # an earlier run's requests for these phones still count in this Redis: a day passes
    redis = Redis.from_url(redis_url)
    for phone in (RESIDENT, OTHER):
        await redis.delete(f"gp:rl:code:minute:{phone}", f"gp:rl:code:phone:{phone}")
    await redis.delete("gp:rl:code:client:127.0.0.1")
    await redis.aclose()
    screen = await open_screen(browser, served.base)
    page = screen.page
    await screen.go("/login")
    # the code tab comes first, and the page says where the demo's codes are
    await expect(page.locator("[data-test=demo-hint]")).to_contain_text("sms.jsonl")
    await page.get_by_label("手机号").fill(RESIDENT)
    await page.locator("[data-test=send-code]").click()
    await expect(page.locator("[data-test=send-code]")).to_contain_text("秒后重发")  # countdown
    await expect(page.locator("[data-test=send-code]")).to_be_disabled()
    code = await code_for(served, RESIDENT)
    # a wrong code is told next to the code field
    await page.locator("#login-code").fill(f"{(int(code) + 1) % 10**6:06d}")
    await page.locator("[data-test=sign-in-code]").click()
    await expect(page.locator(".van-field__error-message")).to_contain_text("验证码不正确")
    await screen.shot("01-code-wrong")
    await page.locator("#login-code").fill(code)
    await page.locator("[data-test=sign-in-code]").click()
    await expect(page.locator(".van-tabbar")).to_be_visible()
    screen.check()
    await screen.close()

    # forgot password: reset by code, then sign in with the new password
    screen = await open_screen(browser, served.base, locale="en")
    page = screen.page
    await screen.go("/login")
    await page.get_by_label("Phone").fill(OTHER)
    await page.locator("[data-test=tab-password]").click()
    await page.locator("[data-test=forgot-password]").click()
    await page.locator("[data-test=send-code]").click()
    reset_code = await code_for(served, OTHER)
    await page.locator("#login-code").fill(reset_code)
    await page.locator("#login-new-password").fill("Reset-by-code-2026")
    await page.locator("[data-test=reset-password]").click()
    await expect(page.locator("[data-test=sign-in]")).to_be_visible()  # back on the password tab
    await page.locator("#login-password").fill("Reset-by-code-2026")
    await page.locator("[data-test=sign-in]").click()
    await expect(page.locator(".van-tabbar")).to_be_visible()
    await screen.assert_translated()
    screen.check()
    await screen.close()
