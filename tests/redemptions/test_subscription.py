"""A subscription holds no database connection while it waits for its next event (a WebSocket
may wait for hours: twenty open tabs once exhausted the pool)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.state import AppState
from schema.build import build_schema
from schema.context import Context
from services.i18n import Language
from tests.redemptions.conftest import Shop, give
from tests.support import Api, gid

SUBSCRIPTION = "subscription { myRedemptionChanged { state lines { title quantity } } }"
CHECKOUT = """mutation($i: RedemptionCheckoutInput!) {
  redemptionCheckout(input: $i) { redemption { id } errors { code } } }"""
CANCEL = """mutation($i: RedemptionCancelInput!) {
  redemptionCancel(input: $i) { errors { code } } }"""


async def test_a_subscription_gives_its_connection_back_between_events(
    api: Api, shop: Shop, state: AppState, session: AsyncSession
) -> None:
    await give(session, shop, "resident_a", 40)
    await session.commit()
    token = await api.login(shop.person("resident_a"))
    context = Context(
        sessions=state.sessions,
        redis=state.redis,
        auth=state.auth,
        language=Language.ZH_CN,
        token=token,
        client="test",
        engine=state.engine,
        hub=state.hub,
    )
    stream: Any = await build_schema().subscribe(SUBSCRIPTION, context_value=context)
    waiting = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0.5)  # subscribed to the person's channel
    held_while_waiting = state.engine.pool.checkedout()  # type: ignore[attr-defined]

    basket = {
        "pointKind": "GRID",
        "goods": [{"goodsId": gid("Goods", shop.soap), "quantity": 2}],
        "idempotencyKey": "sub-1",
    }
    bought = await api(CHECKOUT, {"i": basket}, token=token)
    assert bought.data["redemptionCheckout"]["errors"] == []
    first = await asyncio.wait_for(waiting, 10)
    assert first.data == {
        "myRedemptionChanged": {"state": "RESERVED", "lines": [{"title": "洗衣粉", "quantity": 2}]}
    }

    waiting = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0.3)  # the generator is past its event, waiting for the next
    assert state.engine.pool.checkedout() == held_while_waiting  # type: ignore[attr-defined]
    redemption_id = bought.data["redemptionCheckout"]["redemption"]["id"]
    cancelled = await api(
        CANCEL, {"i": {"redemptionId": redemption_id, "idempotencyKey": "sub-2"}}, token=token
    )
    assert cancelled.data["redemptionCancel"]["errors"] == []
    second = await asyncio.wait_for(waiting, 10)
    assert second.data["myRedemptionChanged"]["state"] == "CANCELLED"
    await stream.aclose()
