"""Every role's main flow through the web app, in a real Chromium against the real server.

One story, in order (the tests share the server and what the earlier ones did):
a grid leader publishes an order starting a minute from now; a resident claims it; while the
service has not started, the resident reports a demand (with a photo) that the grid worker
accepts and solves and the resident rates; then the resident checks in and out, the grid leader
confirms attendance, the community admin convenes a joint meeting whose members vote; after
publicity (the one step the test shortens, see ``Server.end_publicity``) the resident sees the
points, redeems goods and a venue slot, and staff write off the pickup code. Then every role's
main screens, in Chinese at phone width and in English at desktop width.
"""

from __future__ import annotations

import asyncio
import os
import re
import struct
import zlib
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.browser import CJK, Screen, open_screen
from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

LOCAL = ZoneInfo("Asia/Shanghai")
LEADER = "13820000001"  # grid leader of 稻香社区第1网格
WORKER = "13810000001"  # grid worker of the same grid
RESIDENT = "13900000020"  # a resident of grid 1 with no points yet
NEIGHBOUR = "13900000021"  # another household of grid 1
VETERAN = "13900000001"  # a resident with volunteer hours from the demo history
ADMIN = "13800000011"  # community admin of 稻香社区
MEMBERS = ("13840001001", "13840001003")  # joint-meeting members: party org, resident rep
STREET = "13800000001"
DEPARTMENT = "13830000001"
TITLE = f"楼道清理 E2E {os.getpid()}"
POINTS = 12
START_IN = timedelta(seconds=30)


def png() -> bytes:
    """A real 2x2 PNG (the server decodes every upload and stores it re-encoded as a JPEG)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xc8\x16\x1d" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def local_input(moment: datetime) -> str:
    return moment.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture(scope="module")
def story() -> dict[str, Any]:
    return {}


async def screen_for(
    browser: Browser,
    served: Server,
    phone: str | None,
    *,
    locale: str = "zh-CN",
    desktop: bool = False,
) -> Screen:
    screen = await open_screen(browser, served.base, locale=locale, desktop=desktop)
    if phone:
        await screen.sign_in(phone)
    return screen


def field(page: Page, input_id: str) -> Any:
    """The Vant field around an input: its error message shows next to the input."""
    return page.locator(".van-field", has=page.locator(f"#{input_id}"))


async def test_sign_in_shows_typed_errors_in_the_users_language(
    browser: Browser, served: Server
) -> None:
    screen = await screen_for(browser, served, None)
    page = screen.page
    await screen.go("/login")
    await page.get_by_label("手机号").fill(RESIDENT)
    await page.locator("[data-test=tab-password]").click()
    await page.locator("#login-password").fill("wrong-password")
    await page.locator("[data-test=sign-in]").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("密码")  # INVALID_CREDENTIALS, in Chinese
    await screen.shot("01-sign-in-error")

    await page.locator("[data-test=lang]").click()  # switch to English
    await expect(page.locator("[data-test=sign-in]")).to_have_text("Sign in")
    await page.locator("[data-test=sign-in]").click()
    await expect(alert).not_to_contain_text("密码")
    assert not CJK.search(await alert.inner_text()), "the API error is still in Chinese"
    # Every visible string of the page changed: nothing Chinese is left but the switch back.
    body = (await page.locator("body").inner_text()).replace("中文", "")
    assert not CJK.search(body), body
    await screen.assert_translated()
    await page.reload()  # remembered (the page opens on the code tab again)
    await expect(page.locator("[data-test=sign-in-code]")).to_have_text("Sign in")
    await screen.close()


async def test_grid_leader_publishes_an_order(
    browser: Browser, served: Server, story: dict[str, Any]
) -> None:
    screen = await screen_for(browser, served, LEADER)
    page = screen.page
    await screen.go("/work")
    await page.locator("[data-test='tool-/work/orders/new']").first.click()
    await expect(page.get_by_label("发布范围")).to_contain_text("稻香社区第1网格")
    await page.locator("[data-test=publish]").click()  # nothing filled in: typed errors per field
    await expect(field(page, "order-title").locator(".van-field__error-message")).to_be_visible()
    await screen.shot("02-order-form-errors")

    start = datetime.now(LOCAL) + START_IN
    await page.get_by_label("标题").fill(TITLE)
    await page.get_by_label("服务内容").fill("清理1区楼道堆放杂物，带好手套。")
    await page.get_by_label("类别", exact=True).fill("环境整治")
    await page.get_by_label("地点").fill("1区1栋")
    await page.locator("#order-starts").fill(local_input(start))
    await page.locator("#order-ends").fill(local_input(start + timedelta(hours=2)))
    await page.locator("#order-deadline").fill(local_input(start))
    await page.get_by_label("名额").fill("2")
    await page.get_by_label("积分", exact=True).fill(str(POINTS))
    await page.locator("[data-test=publish]").click()
    await expect(page.locator("[data-test=order-status]")).to_have_text("招募中")
    await expect(page.get_by_text("余 2/2 名")).to_be_visible()
    story["order_url"] = page.url
    story["starts_at"] = start
    await screen.shot("03-order-published")
    await screen.close()


async def test_resident_claims_the_order(
    browser: Browser, served: Server, story: dict[str, Any]
) -> None:
    screen = await screen_for(browser, served, RESIDENT)
    page = screen.page
    await screen.go("/orders")
    order = page.locator("[data-test=order]", has_text=TITLE)
    await expect(order).to_contain_text(f"{POINTS} 分")
    await screen.shot("04-orders")
    await order.click()
    await expect(page.locator("[data-test=order-title]")).to_have_text(TITLE)
    await page.locator("[data-test=claim]").click()
    await expect(page.locator("[data-test=my-claim]")).to_contain_text("已接单")
    await expect(page.locator("[data-test=places]")).to_contain_text("余 1/2 名")
    await screen.shot("05-order-claimed")
    await screen.close()


async def test_resident_reports_a_demand_the_grid_worker_solves_it_and_the_resident_rates_it(
    browser: Browser, served: Server, story: dict[str, Any]
) -> None:
    description = f"3栋楼道灯不亮 {os.getpid()}"
    resident = await screen_for(browser, served, RESIDENT)
    page = resident.page
    await resident.go("/demands")
    await page.locator("[data-test=new-demand]").click()
    await page.get_by_label("类型").select_option("REPORT")
    await page.get_by_label("描述").fill(description)
    await page.get_by_label("地点").fill("1区3栋")
    await page.get_by_label("照片").set_input_files(
        files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": png()}]
    )
    await expect(page.locator("[data-test=photo-preview]")).to_have_count(1)
    await resident.shot("06-demand-report")
    await page.locator("[data-test=submit-demand]").click()
    await expect(page.locator("[data-test=demand-status]")).to_have_text("待受理")
    await expect(page.locator("[data-test=timeline-event]").first).to_contain_text("居民点单")
    photo = page.locator("[data-test=timeline-photo]")
    await expect(photo).to_have_count(1)
    await expect(photo).to_have_js_property("naturalWidth", 2)  # fetched with the token
    demand_url = page.url

    worker = await screen_for(browser, served, WORKER)
    wpage = worker.page
    await worker.go("/work/queue")
    card = wpage.locator("[data-test=demand]", has_text=description)
    await expect(card.locator("[data-test=clock]")).to_contain_text("响应")
    await worker.shot("07-demand-queue")
    await card.click()
    await wpage.locator("[data-test=accept]").click()
    await expect(wpage.locator("[data-test=demand-status]")).to_have_text("办理中")
    await wpage.get_by_label("办理说明").fill("已更换灯泡")
    await wpage.locator("[data-test=solve]").click()
    await expect(wpage.locator("[data-test=demand-status]")).to_have_text("待评价")
    await worker.shot("08-demand-solved")
    await worker.close()

    await page.goto(demand_url)
    await page.reload()
    await expect(page.locator("[data-test=demand-status]")).to_have_text("待评价")
    # no answer is chosen for the resident: submit waits for the outcome and the stars
    submit = page.locator("[data-test=confirm-demand]")
    await expect(submit).to_be_disabled()
    await expect(page.locator("[data-test=confirm-hint]")).to_be_visible()
    await expect(page.locator("[data-test=outcome] [role=radio][aria-checked=true]")).to_have_count(
        0
    )
    await expect(page.locator("[data-test=rate] [role=radio][aria-checked=true]")).to_have_count(0)
    await page.locator("[data-test=rate] .van-rate__item").nth(3).click()  # 4 stars
    await expect(submit).to_be_disabled()  # the stars alone are not an answer
    await page.locator("[data-test=outcome] .van-radio", has_text="已解决").click()
    await expect(submit).to_be_enabled()
    await expect(page.locator("[data-test=confirm-hint]")).to_be_hidden()
    await page.get_by_label("评价").fill("很及时")
    await submit.click()
    await expect(page.locator("[data-test=demand-status]")).to_have_text("已办结")
    await expect(page.locator("[data-test=timeline-event]")).to_contain_text(
        ["居民点单", "受理", "处置完成", "居民评价"]
    )
    await expect(page.locator("[data-test=rating]")).to_be_visible()
    await resident.shot("09-demand-rated")
    await resident.close()


async def test_a_demand_goes_up_to_the_street_which_summons_a_department_that_resolves_it(
    browser: Browser, served: Server
) -> None:
    description = f"小区门口井盖破损 {os.getpid()}"
    resident = await screen_for(browser, served, NEIGHBOUR)
    await resident.go("/demands/new")
    await resident.page.get_by_label("类型").select_option("COMPLAINT")
    await resident.page.get_by_label("描述").fill(description)
    await resident.page.locator("[data-test=submit-demand]").click()
    await expect(resident.page.locator("[data-test=demand-status]")).to_have_text("待受理")
    demand_url = resident.page.url

    # grid → community → street: each level accepts, then hands it up with a note
    for phone, note in ((WORKER, "需要市政维修"), (ADMIN, "社区无法处置，上报街道")):
        staff = await screen_for(browser, served, phone)
        await staff.page.goto(demand_url)
        await staff.page.locator("[data-test=accept]").click()
        await expect(staff.page.locator("[data-test=demand-status]")).to_have_text("办理中")
        await staff.page.get_by_label("办理说明").fill(note)
        await staff.page.locator("[data-test=escalate]").click()
        await expect(staff.page.locator("[data-test=demand-status]")).to_have_text("待受理")
        await staff.close()

    street = await screen_for(browser, served, STREET)
    await street.page.goto(demand_url)
    await expect(street.page.locator("[data-test=demand-level]")).to_have_text("街道")
    await street.page.locator("[data-test=accept]").click()
    await expect(street.page.locator("[data-test=demand-status]")).to_have_text("办理中")
    await street.page.get_by_label("牵头部门").select_option(label="城市管理局")
    await street.page.locator("[data-test=assign]").click()
    await expect(street.page.locator("[data-test=demand-level]")).to_have_text("部门")
    await street.close()

    department = await screen_for(browser, served, DEPARTMENT)
    await department.go("/work/assigned")
    await department.page.locator("[data-test=demand]", has_text=description).click()
    await department.page.locator("[data-test=dept-accept]").click()
    await expect(department.page.locator("[data-test=timeline-event]").last).to_contain_text(
        "部门受理"
    )
    await department.page.get_by_label("办理说明").fill("已更换井盖")
    await department.page.locator("[data-test=reply]").click()
    await expect(department.page.locator("[data-test=demand-status]")).to_have_text("待评价")
    await department.shot("27-department-replied")
    await department.close()

    await resident.page.reload()
    await expect(resident.page.locator("[data-test=demand-status]")).to_have_text("待评价")
    submit = resident.page.locator("[data-test=confirm-demand]")
    await expect(submit).to_be_disabled()  # nothing chosen yet
    await resident.page.locator("[data-test=outcome] .van-radio", has_text="部分解决").click()
    await expect(submit).to_be_disabled()  # the outcome alone is not an answer
    await resident.page.locator("[data-test=rate] .van-rate__item").nth(2).click()  # 3 stars
    await submit.click()
    await expect(resident.page.locator("[data-test=demand-status]")).to_have_text("已办结")
    await resident.close()


async def test_resident_checks_in_and_out(
    browser: Browser, served: Server, story: dict[str, Any]
) -> None:
    wait = (story["starts_at"] - datetime.now(LOCAL)).total_seconds() + 2
    if wait > 0:
        await asyncio.sleep(wait)  # the service starts in real time
    screen = await screen_for(browser, served, RESIDENT)
    page = screen.page
    await screen.go("/claims")
    claim = page.locator("[data-test=claim]", has_text=TITLE)
    await claim.locator("[data-test=check-in]").click()
    await expect(claim.locator("[data-test=checked-in]")).not_to_have_text("—")
    await claim.locator("[data-test=check-out]").click()
    await expect(claim.locator("[data-test=checked-out]")).not_to_have_text("—")
    await screen.shot("10-my-claims")
    await screen.close()


async def test_grid_leader_confirms_attendance(
    browser: Browser, served: Server, story: dict[str, Any]
) -> None:
    screen = await screen_for(browser, served, LEADER)
    page = screen.page
    await page.goto(story["order_url"])
    claim = page.locator("[data-test=roster-claim]")
    await expect(claim).to_have_count(1)
    await expect(claim.locator("[data-test=attendance]")).to_have_text("待确认")
    await claim.locator("[data-test=confirm]").click()
    await expect(claim.locator("[data-test=attendance]")).to_have_text("已确认出勤")
    await screen.shot("11-attendance-confirmed")
    await screen.close()


async def test_joint_meeting_votes_the_claim(
    browser: Browser, served: Server, story: dict[str, Any]
) -> None:
    admin = await screen_for(browser, served, ADMIN)
    page = admin.page
    await admin.go("/work/meetings")
    await page.locator("[data-test=convene-open]").click()
    await page.get_by_label("会议名称").fill(f"联席会议 {os.getpid()}")
    await page.get_by_label("法定人数").fill("2")
    await expect(page.get_by_role("checkbox", checked=True)).to_have_count(4)  # every seat
    await page.locator("[data-test=convene]").click()
    item = page.locator("[data-test=agenda-item]", has_text=TITLE)
    await expect(item).to_contain_text("同意")
    await expect(item.locator("[data-test=outcome]")).to_have_text("待表决")
    story["meeting_url"] = page.url

    for phone in MEMBERS:
        member = await screen_for(browser, served, phone)
        mpage = member.page
        await member.go("/work/meetings")
        await expect(mpage.locator("[data-test=meeting]").first).to_be_visible()
        await mpage.goto(story["meeting_url"])
        await mpage.locator("[data-test=attend]").click()
        mine = mpage.locator("[data-test=agenda-item]", has_text=TITLE)
        await mine.locator("[data-test=vote-for]").click()
        await expect(mine.locator("[data-test=tally]")).to_contain_text("赞成")
        if phone == MEMBERS[-1]:
            await expect(mine.locator("[data-test=tally]")).to_contain_text("赞成 2")
            await member.shot("12-meeting-vote")
        await member.close()

    await page.reload()
    await expect(page.locator("[data-test=quorum]")).to_contain_text("到会 2")
    await page.locator("[data-test=close-meeting]").click()
    await expect(page.locator("[data-test=meeting-state]")).to_have_text("已闭会")
    await expect(item.locator("[data-test=outcome]")).to_have_text("通过")
    await expect(item).to_contain_text("公示中")
    await admin.shot("13-meeting-minutes")
    await admin.close()


async def test_after_publicity_the_resident_sees_the_points(
    browser: Browser, served: Server, story: dict[str, Any]
) -> None:
    screen = await screen_for(browser, served, RESIDENT)
    page = screen.page
    grid = page.locator("[data-test=balance-GRID]")
    await expect(grid).to_contain_text(f"公示中 {POINTS}")
    await expect(grid.locator("[data-test=available]")).to_have_text("0")
    await screen.go("/board")
    await expect(page.locator("[data-test=grant]").first).to_be_visible()
    await screen.shot("14-public-board")
    await screen.go("/notifications")  # the live connection is up before anything happens
    await expect(page.locator("[data-test=live-state]")).to_have_text("实时消息已连接")
    await screen.go("/")

    assert await served.end_publicity(TITLE) == 1
    # The worker posts the grant and writes the inbox entry; the subscription tells the resident
    # while they look, and the message center has it.
    notice = page.locator(".van-notify")
    await expect(notice).to_contain_text(f"积分到账：{POINTS} 分", timeout=20_000)
    await screen.go("/notifications")
    await expect(page.locator("[data-test=notice]").first).to_contain_text(f"积分到账：{POINTS} 分")
    await expect(page.locator("[data-test=notice]").first).to_have_attribute("data-unread", "true")
    await screen.go("/")
    await expect(grid.locator("[data-test=available]")).to_have_text(str(POINTS))
    await expect(page.locator("[data-test=entry]").first).to_contain_text(f"+{POINTS}")
    await screen.shot("15-home-points-posted")
    await screen.close()


async def test_resident_redeems_goods_and_a_venue_slot_and_staff_write_off_the_code(
    browser: Browser, served: Server, story: dict[str, Any]
) -> None:
    screen = await screen_for(browser, served, RESIDENT)
    page = screen.page
    await screen.go("/exchange")
    towel = page.locator("[data-test=goods]", has_text="毛巾")
    await expect(towel.locator("[data-test=stock]")).to_contain_text("库存")
    await towel.locator("[data-test=add-goods]").click()
    await screen.shot("16-exchange-goods")
    await page.get_by_role("tab", name="场地").click()
    await page.locator("[data-test=venue]", has_text="科普馆").click()
    slot = page.locator("[data-test=slot]").first
    await expect(slot).to_be_visible()
    await slot.click()
    await screen.shot("17-exchange-venue")
    await page.locator("[data-test=to-basket]").click()
    await expect(page.locator("[data-test=basket-line]")).to_have_count(2)
    await expect(page.locator("[data-test=total]")).to_have_text("10")
    await page.get_by_text("工作积分").click()  # no work points: a typed error, in place
    await page.locator("[data-test=checkout]").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await screen.shot("18-basket-error")
    await page.get_by_text("网格积分").click()
    await page.locator("[data-test=checkout]").click()
    redemption = page.locator("[data-test=redemption]").first
    await expect(redemption.locator("[data-test=state]")).to_have_text("待自提")
    await expect(redemption.locator("img.qr")).to_be_visible()
    code = (await redemption.locator("[data-test=pickup-code]").inner_text()).strip()
    assert len(code) == 8
    await screen.shot("19-redemption-qr")
    await screen.go("/")
    await expect(page.locator("[data-test=balance-GRID] [data-test=available]")).to_have_text(
        str(POINTS - 10)
    )

    staff = await screen_for(browser, served, ADMIN)
    spage = staff.page
    await staff.go("/work/pickups")
    await expect(spage.locator("[data-test=pickup]", has_text="毛巾").first).to_be_visible()
    await spage.get_by_label("自提码").fill("ZZZZZZZZ")
    await spage.locator("[data-test=fulfil]").click()
    await expect(field(spage, "pickup-code").locator(".van-field__error-message")).to_be_visible()
    await staff.shot("20-pickup-unknown-code")
    await spage.get_by_label("自提码").fill(code.lower())
    await spage.locator("[data-test=fulfil]").click()
    await expect(spage.locator("[data-test=fulfilled]")).to_contain_text(code)
    await staff.shot("21-pickup-written-off")
    await staff.close()

    await screen.go("/redemptions")
    await expect(
        page.locator("[data-test=redemption]").first.locator("[data-test=state]")
    ).to_have_text("已核销")
    await screen.close()


async def test_grid_worker_keeps_household_files_visits_and_inspection_rounds(
    browser: Browser, served: Server
) -> None:
    screen = await screen_for(browser, served, WORKER)
    page = screen.page
    await screen.go("/work/households")
    household = page.locator("[data-test=household]").first
    await household.click()
    await expect(page.get_by_text("家庭成员")).to_be_visible()  # the household file
    await expect(page.locator(".visit .van-loading")).to_have_count(0)
    visits = page.locator("[data-test=visit]")
    before = await visits.count()
    await page.get_by_label("走访情况").fill("老人身体好，无需帮助")
    await page.locator("[data-test=log-visit]").click()
    await expect(visits).to_have_count(before + 1)
    await expect(visits.first).to_contain_text("老人身体好")
    await screen.shot("22-household-file")

    await page.get_by_role("tab", name="网格巡查").click()
    rounds = page.locator("[data-test=round]")
    before = await rounds.count()
    await page.locator("#round-route").fill("1区1-5栋")
    await page.locator("#round-findings").fill("5栋消防通道堆物")
    await page.locator("[data-test=log-round]").click()
    await expect(rounds).to_have_count(before + 1)
    await expect(page.locator("[data-test=round]", has_text="1区1-5栋")).to_contain_text("消防通道")
    await screen.shot("23-inspection-rounds")
    await screen.close()


async def test_wish_wall_a_neighbour_supports_and_the_grid_worker_adopts_it(
    browser: Browser, served: Server
) -> None:
    wish = f"楼下加装长椅 {os.getpid()}"
    author = await screen_for(browser, served, RESIDENT)
    await author.go("/wishes")
    await author.page.get_by_label("心愿", exact=True).fill(wish)
    await author.page.get_by_label("说明", exact=True).fill("老人散步需要歇脚")
    await author.page.locator("[data-test=post-wish]").click()
    await expect(author.page.locator("[data-test=wish]", has_text=wish)).to_contain_text("征集中")
    await author.shot("25-wish-wall")
    await author.close()

    neighbour = await screen_for(browser, served, NEIGHBOUR)
    await neighbour.go("/wishes")
    card = neighbour.page.locator("[data-test=wish]", has_text=wish)
    await card.locator("[data-test=support]").click()
    await expect(card.locator("[data-test=supporters]")).to_contain_text("1 人支持")
    await neighbour.close()

    worker = await screen_for(browser, served, WORKER)
    await worker.go("/work/wishes")
    card = worker.page.locator("[data-test=wish]", has_text=wish)
    await card.locator("[data-test=handle-wish]").click()
    await card.locator("[data-test=adopt-demand]").click()
    await expect(card.locator("[data-test=wish-state]")).to_have_text("已采纳")
    await expect(card).to_contain_text("已转为诉求")
    await worker.close()


async def test_community_admin_downloads_the_monthly_assessment(
    browser: Browser, served: Server
) -> None:
    screen = await screen_for(browser, served, ADMIN)
    page = screen.page
    await screen.go("/work/assessment")
    await expect(page.locator("[data-test=assessment]")).to_contain_text("稻香社区第1网格")
    async with page.expect_download() as download_info:
        await page.locator("[data-test=csv]").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".csv")
    path = await download.path()
    assert "稻香社区第1网格" in path.read_text(encoding="utf-8-sig")
    await screen.close()


async def test_a_department_scores_a_community_only_with_the_marks_it_chose(
    browser: Browser, served: Server
) -> None:
    screen = await screen_for(browser, served, DEPARTMENT)
    page = screen.page
    await screen.go("/work/scorecards")
    save = page.locator("[data-test=save-score]")
    # no marks are chosen for the scorer: save waits for the stars of all three axes
    await expect(save).to_be_disabled()
    await expect(page.locator("[data-test=score-hint]")).to_be_visible()
    await expect(page.locator(".van-rate [role=radio][aria-checked=true]")).to_have_count(0)
    rates = page.locator(".van-rate")
    await rates.nth(0).locator(".van-rate__item").nth(3).click()
    await rates.nth(1).locator(".van-rate__item").nth(2).click()
    await expect(save).to_be_disabled()  # two of three is not a score
    await rates.nth(2).locator(".van-rate__item").nth(4).click()
    await expect(save).to_be_enabled()
    await save.click()
    await expect(page.locator(".ok-bar")).to_be_visible()
    await screen.close()


async def test_volunteer_issues_a_certificate(browser: Browser, served: Server) -> None:
    screen = await screen_for(browser, served, VETERAN)
    await screen.go("/profile")
    certificates = screen.page.locator("[data-test=certificate]")
    before = await certificates.count()
    await screen.page.locator("[data-test=issue-certificate]").click()
    await expect(certificates).to_have_count(before + 1)
    await expect(certificates.first).to_contain_text("小时")
    await screen.shot("26-certificate")
    await screen.close()


PHONE_SCREENS = {
    RESIDENT: [
        "/",
        "/orders",
        "/exchange",
        "/redemptions",
        "/demands",
        "/wishes",
        "/board",
        "/profile",
        "/notifications",
    ],
    WORKER: ["/work", "/work/queue", "/work/households", "/work/wishes"],
    ADMIN: [
        "/work",
        "/work/dashboard",
        "/work/assessment",
        "/work/catalog",
        "/work/venues",
        "/work/orders",
        "/work/pickups",
        "/work/exchange-settings",
    ],
    STREET: ["/work/scorecards", "/work/queue"],
    DEPARTMENT: ["/work/assigned"],
}


@pytest.mark.parametrize(("locale", "desktop"), [("zh-CN", False), ("en", True)])
async def test_main_screens_of_every_role(
    browser: Browser, served: Server, story: dict[str, Any], locale: str, desktop: bool
) -> None:
    for phone, paths in PHONE_SCREENS.items():
        screen = await screen_for(browser, served, phone, locale=locale, desktop=desktop)
        page = screen.page
        for path in [*paths, *([story["meeting_url"].split("#", 1)[1]] if phone == ADMIN else [])]:
            await screen.go(path)
            await expect(page.locator(".van-loading")).to_have_count(0, timeout=15_000)
            if path == "/work/dashboard":
                await expect(page.locator("[data-test=chart-points] canvas")).to_have_count(1)
                await expect(page.locator("[data-test=chart-ranking] canvas")).to_have_count(1)
                granted = page.locator("[data-test=chart-points] p")
                await expect(granted).to_contain_text(re.compile(r"[1-9]\d*"))
            if path == "/":
                await expect(page.locator("[data-test=balance-GRID]")).to_be_visible()
            if path == "/work/assessment":  # the community's grids and its total
                await expect(page.locator("[data-test=assessment] tbody tr")).to_have_count(8)
            if path == "/exchange":
                await expect(page.locator("[data-test=goods]").first).to_be_visible()
            name = f"{phone}{path.replace('/', '-')}".rstrip("-")
            if "/work/meetings/" in path:
                name = f"{phone}-work-meeting-minutes"
            await screen.shot(name)
        if locale == "en":
            # English all the way: the navigation and titles carry no Chinese.
            chrome = await page.locator(".van-tabbar").inner_text()
            assert not CJK.search(chrome), chrome
        await screen.close()
