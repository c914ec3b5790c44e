"""The catalog's response cache: residents of a community share one answer from memory until the
goods change; the writer's next read, and everyone's, shows the change; what depends on the
person or the role is never shared."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from api.state import AppState
from schema.cache import STORE
from services.catalog import service as catalog
from services.events import outbox
from tests.redemptions.conftest import Shop, actor, give
from tests.support import Api, gid
from tests.test_query_count import counting

GOODS = """query($a: Boolean!) { goods(affordable: $a) { nodes { id name stock active } } }"""
CHECKOUT = """mutation($i: RedemptionCheckoutInput!) {
  redemptionCheckout(input: $i) { redemption { id state } errors { code } } }"""
STOCK_ADJUST = """mutation($i: StockAdjustInput!) {
  stockAdjust(input: $i) { goods { stock } errors { code } } }"""
GOODS_CREATE = """mutation($i: GoodsCreateInput!) {
  goodsCreate(input: $i) { goods { id } errors { code } } }"""


def reads_goods(statements: list[str]) -> bool:
    return any(re.search(r"FROM goods\b", statement) for statement in statements)


def stock(answer: dict[str, object], name: str) -> int:
    nodes = answer["goods"]["nodes"]  # type: ignore[index]
    return next(int(g["stock"]) for g in nodes if g["name"] == name)  # type: ignore[index]


async def test_residents_share_one_answer_until_the_goods_change(
    api: Api, shop: Shop, state: AppState, session: AsyncSession
) -> None:
    await give(session, shop, "resident_a", 40)
    await session.commit()
    a = await api.login(shop.person("resident_a"))
    b = await api.login(shop.person("resident_b"))
    staff = await api.login(shop.person("community_admin"))

    with counting(state) as first:
        fresh = await api(GOODS, {"a": False}, token=a)
    with counting(state) as second:
        shared = await api(GOODS, {"a": False}, token=b)  # another resident, same community
    assert reads_goods(first) and not reads_goods(second)
    assert shared.data == fresh.data and stock(fresh.data, "洗衣粉") == 100

    # the buyer's next read shows what the purchase took, and so does everyone's
    basket = {
        "pointKind": "GRID",
        "goods": [{"goodsId": gid("Goods", shop.soap), "quantity": 2}],
        "idempotencyKey": "cache-1",
    }
    bought = await api(CHECKOUT, {"i": basket}, token=a)
    assert bought.data["redemptionCheckout"]["errors"] == []
    with counting(state) as after:
        mine = await api(GOODS, {"a": False}, token=a)
    assert reads_goods(after) and stock(mine.data, "洗衣粉") == 98
    assert stock((await api(GOODS, {"a": False}, token=b)).data, "洗衣粉") == 98

    # a restock by staff, then a cancellation of the purchase, each shows at once
    restocked = await api(
        STOCK_ADJUST,
        {"i": {"goodsId": gid("Goods", shop.rice), "delta": 5, "reason": "补货"}},
        token=staff,
    )
    assert restocked.data["stockAdjust"]["errors"] == []
    assert stock((await api(GOODS, {"a": False}, token=b)).data, "大米 5kg") == 15
    cancelled = await api(
        "mutation($i: RedemptionCancelInput!) { redemptionCancel(input: $i) { errors { code } } }",
        {
            "i": {
                "redemptionId": bought.data["redemptionCheckout"]["redemption"]["id"],
                "idempotencyKey": "cache-2",
            }
        },
        token=a,
    )
    assert cancelled.data["redemptionCancel"]["errors"] == []
    assert stock((await api(GOODS, {"a": False}, token=b)).data, "洗衣粉") == 100


async def test_staff_and_residents_never_share_an_answer(
    api: Api, shop: Shop, state: AppState
) -> None:
    staff = await api.login(shop.person("community_admin"))
    hidden = await api(
        GOODS_CREATE,
        {
            "i": {
                "communityId": gid("OrgUnit", shop.community_id),
                "goods": {"name": "下架商品", "price": 1, "active": False},
            }
        },
        token=staff,
    )
    assert hidden.data["goodsCreate"]["errors"] == []
    resident = await api.login(shop.person("resident_a"))
    for _ in range(2):  # the second of each is a hit: the audiences stay apart
        seen_by_staff = await api(GOODS, {"a": False}, token=staff)
        seen_by_resident = await api(GOODS, {"a": False}, token=resident)
        assert "下架商品" in [g["name"] for g in seen_by_staff.data["goods"]["nodes"]]
        assert "下架商品" not in [g["name"] for g in seen_by_resident.data["goods"]["nodes"]]
    assert STORE.stats.hits >= 2


async def test_a_persons_own_answer_is_never_cached(
    api: Api, shop: Shop, state: AppState, session: AsyncSession
) -> None:
    await give(session, shop, "resident_a", 6)
    await session.commit()
    rich = await api.login(shop.person("resident_a"))
    poor = await api.login(shop.person("resident_b"))
    with counting(state) as first:
        mine = await api(GOODS, {"a": True}, token=rich)
    with counting(state) as second:
        theirs = await api(GOODS, {"a": True}, token=poor)
    assert reads_goods(first) and reads_goods(second)
    assert [g["name"] for g in mine.data["goods"]["nodes"]] == ["洗衣粉"]
    assert theirs.data["goods"]["nodes"] == []


async def test_the_relay_bumps_for_a_writer_that_died_before_its_own_bump(
    api: Api, shop: Shop, state: AppState, session: AsyncSession
) -> None:
    resident = await api.login(shop.person("resident_a"))
    assert stock((await api(GOODS, {"a": False}, token=resident)).data, "大米 5kg") == 10
    # a restock committed by a process that died before bumping: the cache is behind...
    admin = await actor(session, shop, "community_admin")
    await catalog.adjust_stock(session, admin, goods_id=shop.rice, delta=3, reason="补货")
    await session.commit()
    assert stock((await api(GOODS, {"a": False}, token=resident)).data, "大米 5kg") == 10
    # ...until the outbox relay publishes the restock's event
    async with state.sessions() as relaying, relaying.begin():
        assert await outbox.relay(relaying, state.redis) >= 1
    assert stock((await api(GOODS, {"a": False}, token=resident)).data, "大米 5kg") == 13


async def test_versions_lost_with_redis_never_bring_back_an_old_answer(
    api: Api, shop: Shop, state: AppState
) -> None:
    resident = await api.login(shop.person("resident_a"))
    await api(GOODS, {"a": False}, token=resident)
    # the versions vanish (a Redis restart without its data): nothing old is served
    await state.redis.delete(*[key async for key in state.redis.scan_iter("gp:version:*")])
    with counting(state) as statements:
        again = await api(GOODS, {"a": False}, token=resident)
    assert reads_goods(statements) and stock(again.data, "大米 5kg") == 10


async def test_the_answer_says_whether_it_came_from_the_cache(api: Api, shop: Shop) -> None:
    token = await api.login(shop.person("resident_a"))
    sent = {"Authorization": f"Bearer {token}"}

    async def x_cache(variables: dict[str, object]) -> str | None:
        body = {"query": GOODS, "variables": variables}
        reply = await api.client.post("/graphql", json=body, headers=sent)
        assert reply.status_code == 200 and "errors" not in reply.json()
        return reply.headers.get("x-cache")

    assert [await x_cache({"a": False}), await x_cache({"a": False})] == ["miss", "hit"]
    assert await x_cache({"a": True}) is None  # the person's own answer: not cacheable
