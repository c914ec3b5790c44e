"""The exchange through GraphQL: staff keep the catalog, residents browse, redeem and cancel,
the counter writes off; each sees only what is theirs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from tests.redemptions.conftest import SLOT, Shop, give
from tests.support import Api, gid

GOODS_CREATE = """mutation($i: GoodsCreateInput!) {
  goodsCreate(input: $i) { goods { id name stock inStock } errors { code field } } }"""
STOCK_ADJUST = """mutation($i: StockAdjustInput!) {
  stockAdjust(input: $i) { goods { stock } errors { code field } } }"""
GOODS = """query($a: Boolean!, $s: Boolean!) { goods(affordable: $a, inStock: $s) {
  nodes { id name price stock } } }"""
CHECKOUT = """mutation($i: RedemptionCheckoutInput!) {
  redemptionCheckout(input: $i) {
    redemption { id state pickupCode total lines { kind title quantity points } booking { startsAt } }
    errors { code field message } } }"""
FULFIL = """mutation($i: RedemptionFulfilInput!) {
  redemptionFulfil(input: $i) { redemption { id state } errors { code } } }"""
CANCEL = """mutation($i: RedemptionCancelInput!) {
  redemptionCancel(input: $i) { redemption { id state } errors { code } } }"""
MINE = "{ myRedemptions { nodes { id state pickupCode total } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Redemption { pickupCode } } }"


async def test_only_the_communitys_staff_keep_its_catalog(api: Api, shop: Shop) -> None:
    c1 = gid("OrgUnit", shop.community_id)
    goods = {"name": "食用油 5L", "price": 60, "pointKinds": ["GRID"]}
    for key in ("resident_a", "community_admin2", "worker_a"):
        token = await api.login(shop.person(key))
        refused = await api(GOODS_CREATE, {"i": {"communityId": c1, "goods": goods}}, token=token)
        assert refused.error_codes == ["FORBIDDEN"] or refused.data["goodsCreate"]["errors"] == [
            {"code": "FORBIDDEN", "field": None}
        ]
    for key in ("community_admin", "street_admin"):
        token = await api.login(shop.person(key))
        made = await api(
            GOODS_CREATE, {"i": {"communityId": c1, "goods": goods, "stock": 3}}, token=token
        )
        payload = made.data["goodsCreate"]
        assert payload["errors"] == [] and payload["goods"]["stock"] == 3
    token = await api.login(shop.person("community_admin"))
    gone = await api(
        STOCK_ADJUST,
        {"i": {"goodsId": payload["goods"]["id"], "delta": -4, "reason": "盘点"}},
        token=token,
    )
    assert gone.data["stockAdjust"]["errors"] == [{"code": "OUT_OF_STOCK", "field": "delta"}]
    restocked = await api(
        STOCK_ADJUST,
        {"i": {"goodsId": payload["goods"]["id"], "delta": 7, "reason": "补货"}},
        token=token,
    )
    assert restocked.data["stockAdjust"]["goods"]["stock"] == 10


async def test_a_resident_redeems_and_the_counter_writes_off(
    api: Api, shop: Shop, session: AsyncSession
) -> None:
    await give(session, shop, "resident_a", 40)
    await session.commit()
    resident = await api.login(shop.person("resident_a"))
    listed = await api(GOODS, {"a": True, "s": True}, token=resident)
    names = [g["name"] for g in listed.data["goods"]["nodes"]]
    assert names == ["大米 5kg", "洗衣粉"]
    day = SLOT.astimezone(clock.LOCAL).date().isoformat()
    free = await api(
        "query($v: ID!, $d: Date!) { venueAvailability(venueId: $v, firstDay: $d, lastDay: $d)"
        " { startsAt } }",
        {"v": gid("Venue", shop.dance), "d": day},
        token=resident,
    )
    assert len(free.data["venueAvailability"]) == 13  # 08:00-21:00 in hours
    basket = {
        "pointKind": "GRID",
        "goods": [{"goodsId": gid("Goods", shop.soap), "quantity": 2}],
        "venue": {
            "venueId": gid("Venue", shop.dance),
            "startsAt": SLOT.isoformat(),
            "endsAt": (SLOT + timedelta(hours=1)).isoformat(),
        },
        "idempotencyKey": "tap-1",
    }
    first = await api(CHECKOUT, {"i": basket}, token=resident)
    again = await api(CHECKOUT, {"i": basket}, token=resident)
    assert first.data == again.data  # a double tap buys once
    redemption = first.data["redemptionCheckout"]["redemption"]
    assert redemption["total"] == 20 and redemption["state"] == "RESERVED"
    free = await api(
        "query($v: ID!, $d: Date!) { venueAvailability(venueId: $v, firstDay: $d, lastDay: $d)"
        " { startsAt } }",
        {"v": gid("Venue", shop.dance), "d": day},
        token=resident,
    )
    # 14:00 is booked; with the 15-minute buffer between bookings, 13:00 and 15:00 are gone too
    assert len(free.data["venueAvailability"]) == 10
    poor = await api(
        CHECKOUT,
        {
            "i": {
                **basket,
                "venue": None,
                "idempotencyKey": "tap-2",
                "goods": [{"goodsId": gid("Goods", shop.rice), "quantity": 2}],
            }
        },
        token=resident,
    )
    assert [e["code"] for e in poor.data["redemptionCheckout"]["errors"]] == ["INSUFFICIENT_POINTS"]
    # another resident neither sees it nor can write it off
    other = await api.login(shop.person("resident_b"))
    assert (await api(MINE, token=other)).data["myRedemptions"]["nodes"] == []
    assert (await api(NODE, {"id": redemption["id"]}, token=other)).data["node"] is None
    mine = (await api(NODE, {"id": redemption["id"]}, token=resident)).data["node"]
    assert mine["pickupCode"] == redemption["pickupCode"]
    write_off = {
        "communityId": gid("OrgUnit", shop.community_id),
        "pickupCode": redemption["pickupCode"],
    }
    for key in ("resident_b", "community_admin2"):
        token = await api.login(shop.person(key))
        refused = await api(FULFIL, {"i": write_off}, token=token)
        assert refused.data["redemptionFulfil"]["errors"] == [{"code": "FORBIDDEN"}]
    staff = await api.login(shop.person("community_admin"))
    queue = await api("{ pickupQueue { pickupCode person { id } } lowStock { name } }", token=staff)
    assert [r["pickupCode"] for r in queue.data["pickupQueue"]] == [redemption["pickupCode"]]
    wrong = await api(FULFIL, {"i": {**write_off, "pickupCode": "ZZZZ2222"}}, token=staff)
    assert wrong.data["redemptionFulfil"]["errors"] == [{"code": "CODE_UNKNOWN"}]
    done = await api(FULFIL, {"i": write_off}, token=staff)
    assert done.data["redemptionFulfil"]["redemption"]["state"] == "FULFILLED"
    used = await api(FULFIL, {"i": write_off}, token=staff)
    assert used.data["redemptionFulfil"]["errors"] == [{"code": "CODE_USED"}]
    cancel = await api(
        CANCEL, {"i": {"redemptionId": redemption["id"], "idempotencyKey": "c"}}, token=resident
    )
    assert cancel.data["redemptionCancel"]["errors"] == [{"code": "CODE_USED"}]
    month = SLOT.astimezone(clock.LOCAL).date().replace(day=1).isoformat()
    stats = await api(
        "query($m: Date!) { exchangeStatistics(month: $m) { points redemptions"
        " items { title points } grids { grid { name } points } } }",
        {"m": month},
        token=staff,
    )
    assert stats.data["exchangeStatistics"]["points"] == 20
    assert {i["title"]: i["points"] for i in stats.data["exchangeStatistics"]["items"]} == {
        "洗衣粉": 10,
        "舞蹈室": 10,
    }
    assert stats.data["exchangeStatistics"]["grids"] == [{"grid": {"name": "单元A"}, "points": 20}]
    calendar = await api(
        "query($d: Date!) { venueCalendar(firstDay: $d, days: 7) { startsAt venue { name } } }",
        {"d": day},
        token=staff,
    )
    assert calendar.data["venueCalendar"] == [
        {"startsAt": SLOT.isoformat().replace("+00:00", "+00:00"), "venue": {"name": "舞蹈室"}}
    ]
    denied = await api("{ pickupQueue { id } }", token=resident)
    assert denied.error_codes == ["FORBIDDEN"]


async def test_a_resident_cancels_before_pickup(
    api: Api, shop: Shop, session: AsyncSession
) -> None:
    await give(session, shop, "resident_a", 40)
    await session.commit()
    resident = await api.login(shop.person("resident_a"))
    basket = {
        "pointKind": "GRID",
        "sessions": [{"sessionId": gid("ServiceSession", shop.childcare), "places": 2}],
        "idempotencyKey": "care",
    }
    made = await api(CHECKOUT, {"i": basket}, token=resident)
    redemption = made.data["redemptionCheckout"]["redemption"]
    assert redemption["total"] == 16
    sessions = await api("{ serviceSessions { placesLeft service { name } } }", token=resident)
    assert sessions.data["serviceSessions"] == [
        {"placesLeft": 1, "service": {"name": "婴幼儿托管"}}
    ]
    other = await api.login(shop.person("resident_b"))
    foreign = await api(
        CANCEL, {"i": {"redemptionId": redemption["id"], "idempotencyKey": "x"}}, token=other
    )
    assert foreign.data["redemptionCancel"]["errors"] == [{"code": "NOT_FOUND"}]
    cancelled = await api(
        CANCEL, {"i": {"redemptionId": redemption["id"], "idempotencyKey": "x"}}, token=resident
    )
    assert cancelled.data["redemptionCancel"]["redemption"]["state"] == "CANCELLED"
    sessions = await api("{ serviceSessions { placesLeft } }", token=resident)
    assert sessions.data["serviceSessions"] == [{"placesLeft": 3}]
