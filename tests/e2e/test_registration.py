"""Registration with approval (issue 14), in the real browser against the real server: a newcomer
verifies the phone and applies, the grid worker approves, the newcomer signs in by code."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect
from redis.asyncio import Redis

from tests.e2e.browser import open_screen
from tests.e2e.conftest import Server
from tests.e2e.test_sign_in_by_code import code_for

pytestmark = pytest.mark.e2e

NEWCOMER = "15800000031"
GRID_WORKER = "13810000001"  # 稻香社区第1网格


async def test_a_newcomer_registers_the_grid_worker_approves_and_they_sign_in_by_code(
    browser: Browser, served: Server, redis_url: str
) -> None:
    redis = Redis.from_url(redis_url)  # an earlier run's requests still count: a day passes
    await redis.delete(f"gp:rl:code:minute:{NEWCOMER}", f"gp:rl:code:phone:{NEWCOMER}")
    await redis.delete("gp:rl:code:client:127.0.0.1")
    await redis.aclose()

    # the newcomer: 注册 on the sign-in page, the phone verified by a code
    screen = await open_screen(browser, served.base)
    page = screen.page
    await screen.go("/login")
    await page.locator("[data-test=register-start]").click()
    await page.locator("#register-phone").fill(NEWCOMER)
    await page.locator("[data-test=register-send-code]").click()
    await expect(page.locator("[data-test=register-send-code]")).to_contain_text("秒后重发")
    await expect(page.locator("[data-test=register-send-code]")).to_be_disabled()
    code = await code_for(served, NEWCOMER)
    await page.locator("[data-test=register-next]").click()  # no code yet: told so
    await expect(page.locator(".van-field__error-message")).to_contain_text("验证码")
    await page.locator("#register-code").fill(code)
    await page.locator("[data-test=register-next]").click()
    # the form: community, then its grid, from the lists; address, relation, party membership
    await page.locator("#register-name").fill("新来的")
    await page.locator("#register-community").select_option(label="稻香社区")
    await expect(page.locator("#register-grid option", has_text="稻香社区第1网格")).to_have_count(1)
    await page.locator("#register-grid").select_option(label="稻香社区第1网格")
    await page.locator("#register-address").fill("稻香小区新1栋101室")
    await page.locator("#register-relation").select_option(label="户主")
    await page.locator("[data-test=register-party]").click()
    await page.locator("#register-branch").fill("稻香社区第一党支部")
    await screen.shot("registration-01-form")
    await page.locator("[data-test=register-submit]").click()
    await expect(page.locator("[data-test=register-done]")).to_contain_text(
        "申请已提交，等待网格员审核"
    )
    await screen.shot("registration-02-submitted")
    screen.check()
    await screen.close()

    # the grid worker: the queue under 工作, approve
    staff = await open_screen(browser, served.base)
    page = staff.page
    await staff.sign_in(GRID_WORKER)
    await staff.go("/work")
    await page.locator("[data-test='tool-/work/registrations']").click()
    application = page.locator("[data-test=registration]", has_text=NEWCOMER)
    await expect(application).to_contain_text("新来的")
    await expect(application).to_contain_text("稻香小区新1栋101室")
    await application.click()
    await expect(page.locator("[data-test=registration-household]")).to_be_visible()
    await staff.shot("registration-03-queue")
    await page.locator("[data-test=registration-approve]").click()
    await expect(page.locator("[data-test=registration]", has_text=NEWCOMER)).to_have_count(0)
    staff.check()
    await staff.close()

    # the newcomer is told, and signs in with a code: no password was ever set
    approved = [m for m in _messages(served) if m["phone"] == NEWCOMER]
    assert approved[-1]["template"] == "registration_approved"
    redis = Redis.from_url(redis_url)
    await redis.delete(f"gp:rl:code:minute:{NEWCOMER}")  # a minute later
    await redis.aclose()
    screen = await open_screen(browser, served.base)
    page = screen.page
    await screen.go("/login")
    await page.get_by_label("手机号").fill(NEWCOMER)
    await page.locator("[data-test=send-code]").click()
    sign_in_code = await code_for(served, NEWCOMER, previous=code)
    await page.locator("#login-code").fill(sign_in_code)
    await page.locator("[data-test=sign-in-code]").click()
    await expect(page.locator(".van-tabbar")).to_be_visible()
    await screen.go("/profile")
    await expect(page.locator("body")).to_contain_text("新来的")
    screen.check()
    await screen.close()


def _messages(served: Server) -> list[dict[str, object]]:
    import json

    return [json.loads(line) for line in served.outbox.read_text().splitlines() if line]
