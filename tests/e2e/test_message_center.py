"""The message center (消息中心, issue 14) surviving a reload, in the real browser against the
real server: the inbox, its unread count on the bell and marking read are the server's, not the
page's memory. Also the notification preferences and the staff's delivery statistics."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.browser import PASSWORD, open_screen
from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

ADMIN = "13800000011"  # community admin of 稻香社区
RESIDENT = "13900000022"  # a resident of 稻香社区 no other browser test signs in as
TITLES = [f"消息中心 E2E {os.getpid()} 之{n}" for n in ("一", "二")]


async def call(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, token: str = ""
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    reply = (
        await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    ).json()
    assert not reply.get("errors"), reply
    return reply["data"]


async def publish_orders(served: Server) -> list[str]:
    """Two community orders three days ahead (no reminder is due for them yet), by the admin;
    the resident's inbox read up to now (the demo's history claimed places for them too)."""
    async with httpx.AsyncClient(base_url=served.base, timeout=10) as client:
        resident = await call(
            client,
            "mutation($i: SignInInput!) { signIn(input: $i) { token errors { code } } }",
            {"i": {"phone": RESIDENT, "password": PASSWORD}},
        )
        signed = await call(
            client,
            "mutation($i: SignInInput!) { signIn(input: $i) { token errors { code } } }",
            {"i": {"phone": ADMIN, "password": PASSWORD}},
        )
        token = signed["signIn"]["token"]
        me = await call(client, "{ me { roles { role unit { id kind } } } }", token=token)
        community = next(
            r["unit"]["id"] for r in me["me"]["roles"] if r["role"] == "COMMUNITY_ADMIN"
        )
        starts = datetime.now(UTC) + timedelta(days=3)
        ids = []
        for title in TITLES:
            created = await call(
                client,
                "mutation($i: OrderCreateInput!) { orderCreate(input: $i) "
                "{ order { id } errors { code message field } } }",
                {
                    "i": {
                        "unitId": community,
                        "title": title,
                        "content": "消息中心的浏览器测试。",
                        "category": "环境整治",
                        "location": "社区服务站",
                        "startsAt": starts.isoformat(),
                        "endsAt": (starts + timedelta(hours=2)).isoformat(),
                        "claimDeadline": starts.isoformat(),
                        "places": 3,
                        "points": 5,
                        "pointKind": "GRID",
                    }
                },
                token,
            )
            assert created["orderCreate"]["errors"] == [], created
            order = created["orderCreate"]["order"]["id"]
            published = await call(
                client,
                "mutation($i: OrderInput!) { orderPublish(input: $i) { errors { code } } }",
                {"i": {"id": order}},
                token,
            )
            assert published["orderPublish"]["errors"] == [], published
            ids.append(order)
        # publishing told the resident too (order_published): read up to here
        marked = await call(
            client,
            "mutation { notificationsMarkRead(input: {}) { unread errors { code } } }",
            token=resident["signIn"]["token"],
        )
        assert marked["notificationsMarkRead"]["unread"] == 0, marked
        return ids


def badge(page: Page) -> Any:
    return page.locator("[data-test=bell] .van-badge")


def entry(page: Page, title: str) -> Any:
    """The claim's entry (the order's publication has one of its own, read before)."""
    return page.locator("[data-test=notice]", has_text=f"您已报名：{title}")


async def test_the_message_center_survives_a_reload(browser: Browser, served: Server) -> None:
    orders = await publish_orders(served)
    screen = await open_screen(browser, served.base)
    page = screen.page
    await screen.sign_in(RESIDENT)
    await screen.go("/notifications")
    await expect(page.locator("[data-test=live-state]")).to_have_text("实时消息已连接")
    await expect(page.locator("[data-test=notice][data-unread=true]")).to_have_count(0)
    await expect(page.locator("[data-test=unread-count]")).to_have_text("全部已读完")
    await expect(badge(page)).to_have_count(0)
    before = await page.locator("[data-test=notice]").count()

    # claiming a place writes an entry: it arrives live (a toast, the bell counts it)
    for n, (order, title) in enumerate(zip(orders, TITLES, strict=True), start=1):
        await screen.go(f"/orders/{order}")
        await page.locator("[data-test=claim]").click()
        await expect(page.locator("[data-test=my-claim]")).to_contain_text("已接单")
        await expect(page.locator(".van-notify", has_text=f"您已报名：{title}")).to_be_visible()
        await expect(badge(page)).to_have_text(str(n))

    await screen.go("/notifications")
    await expect(page.locator("[data-test=notice]")).to_have_count(before + 2)
    await expect(page.locator("[data-test=notice]").first).to_contain_text(
        TITLES[1]
    )  # newest first
    await expect(page.locator("[data-test=notice][data-unread=true]")).to_have_count(2)
    await expect(page.locator("[data-test=unread-count]")).to_have_text("2 条未读")
    await screen.shot("message-center-unread")

    # a reload keeps the inbox and its unread state: both are the server's
    await page.reload()
    await expect(page.locator("[data-test=notice][data-unread=true]")).to_have_count(2)
    await expect(badge(page)).to_have_text("2")

    # opening an entry marks it read and goes to what it is about
    await entry(page, TITLES[0]).click()
    await expect(page.locator("[data-test=order-title]")).to_have_text(TITLES[0])
    await expect(badge(page)).to_have_text("1")
    await screen.go("/notifications")
    await page.reload()
    await expect(entry(page, TITLES[0])).to_have_attribute("data-unread", "false")
    await expect(entry(page, TITLES[1])).to_have_attribute("data-unread", "true")
    await expect(badge(page)).to_have_text("1")

    # 全部已读: the badge goes, and stays gone after a reload
    await page.locator("[data-test=mark-all-read]").click()
    await expect(badge(page)).to_have_count(0)
    await expect(page.locator("[data-test=notice][data-unread=true]")).to_have_count(0)
    await expect(page.locator("[data-test=mark-all-read]")).to_have_count(0)
    await page.reload()
    await expect(page.locator("[data-test=notice]")).to_have_count(before + 2)
    await expect(page.locator("[data-test=notice][data-unread=true]")).to_have_count(0)
    await expect(page.locator("[data-test=unread-count]")).to_have_text("全部已读完")
    await expect(badge(page)).to_have_count(0)
    await screen.shot("message-center-read")

    # preferences: SMS per kind (on unless opted out), quiet hours on by default; kept on reload
    await screen.go("/profile")
    sms = page.locator("[data-test=sms-GRANT_POSTED] .van-switch")
    quiet = page.locator("[data-test=quiet-hours] .van-switch")
    await expect(page.locator("[data-test=notice-preferences]")).to_contain_text("始终开启")
    await expect(sms).to_have_attribute("aria-checked", "true")
    await expect(quiet).to_have_attribute("aria-checked", "true")
    await sms.click()
    await expect(sms).to_have_attribute("aria-checked", "false")
    await quiet.click()
    await expect(quiet).to_have_attribute("aria-checked", "false")
    await page.reload()
    await expect(sms).to_have_attribute("aria-checked", "false")
    await expect(quiet).to_have_attribute("aria-checked", "false")
    await expect(page.locator("[data-test=sms-CLAIM_PROMOTED] .van-switch")).to_have_attribute(
        "aria-checked", "true"
    )
    await screen.shot("profile-notice-preferences")
    await screen.close()


async def test_the_community_admin_sees_the_delivery_statistics(
    browser: Browser, served: Server
) -> None:
    screen = await open_screen(browser, served.base)
    await screen.sign_in(ADMIN)
    await screen.go("/work/dashboard")
    stats = screen.page.locator("[data-test=delivery-stats]")
    await expect(stats).to_contain_text("消息发送统计")
    await expect(stats.locator("[data-test=delivery-sent]")).to_be_visible()
    await screen.shot("dashboard-delivery-stats")
    await screen.close()
