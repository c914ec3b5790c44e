"""A subscription whose answer is the same for its audience runs once per process for it
(:mod:`schema.fanout`): members share one execution and one encoding, the feed outlives the
socket that started it, ends with its last member, and a member that stops reading is dropped
alone. Soundness: the types such a field returns read nothing of the viewer."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.state import AppState
from schema import fanout
from schema.build import Limits, build_schema
from schema.context import Context
from schema.subscriptions import AUDIENCES
from services import clock
from services.auth.service import load_actor
from services.authz import Actor, Grant
from services.catalog import service as catalog
from services.catalog.service import GoodsDraft
from services.i18n import Language
from services.people.models import Role
from tests.orders.helpers import PUBLISHED, order_input
from tests.support import Api, World, add_residents, gid

STOCK = "subscription OnStockChanged { stockChanged { id name stock } }"
ADJUST = """mutation($i: StockAdjustInput!) {
  stockAdjust(input: $i) { goods { stock } errors { code } } }"""


def _context(state: AppState, actor: Actor, language: Language = Language.ZH_CN) -> Context:
    context = Context(
        sessions=state.sessions,
        redis=state.redis,
        auth=state.auth,
        language=language,
        token=None,
        client="test",
        engine=state.engine,
        hub=state.hub,
    )
    context.act_as(actor, None)
    return context


FEEDS = fanout.Feeds(build_schema(), AUDIENCES)
WEB_APP = Path(__file__).parents[2] / "web/src/graphql/subscriptions.graphql"


def _key(actor: Actor, query: str = STOCK, language: Language = Language.ZH_CN) -> fanout.FeedKey:
    key = FEEDS.key_for(query, None, None, actor=actor, language=language)
    assert key is not None
    return key


async def _next(answers: AsyncIterator[Any]) -> Any:
    return await asyncio.wait_for(anext(answers), 10)


async def test_members_share_one_execution_and_one_encoding(
    api: Api, world: World, session: AsyncSession, state: AppState
) -> None:
    first, second = await add_residents(session, world, count=2)
    admin = await load_actor(session, world.people["community_admin"])
    a = await load_actor(session, world.people[first])
    b = await load_actor(session, world.people[second])
    assert admin is not None and a is not None and b is not None
    goods = await catalog.create_goods(
        session,
        admin,
        community_id=world.units["C1"],
        draft=GoodsDraft(name="大米 5kg", price=20, stock=10),
    )
    await session.commit()
    token = await api.sign_in(world.phones["community_admin"])
    feeds = fanout.Feeds(build_schema(), AUDIENCES)
    key = _key(a)
    assert _key(b) == key  # the same community, document and language: one feed
    assert _key(a, language=Language.EN) != key
    assert _key(a, query="subscription { stockChanged { id } }") != key

    async def adjust(delta: int) -> None:
        done = await api(
            ADJUST,
            {"i": {"goodsId": gid("Goods", goods.id), "delta": delta, "reason": "补货"}},
            token=token,
        )
        assert done.data["stockAdjust"]["errors"] == []

    async with contextlib.AsyncExitStack() as stack:
        of_a = await stack.enter_async_context(feeds.join(key, lambda: _context(state, a)))
        async with feeds.join(key, lambda: _context(state, b)) as of_b:
            assert len(feeds) == 1 and feeds.members() == 2
            await asyncio.sleep(0.5)  # the feed's SUBSCRIBE reached Redis
            await adjust(5)
            heard_a, heard_b = await _next(of_a), await _next(of_b)
            assert heard_a is heard_b  # encoded once: the very same bytes
            assert b'"stock":15' in heard_a and b'"name":"\xe5\xa4\xa7\xe7\xb1\xb3 5kg"' in heard_a
        assert len(feeds) == 1 and feeds.members() == 1  # b left; a's feed goes on
        await stack.aclose()  # a, who started the feed, leaves last
    assert len(feeds) == 0

    async with feeds.join(key, lambda: _context(state, b)) as of_b:  # a new feed for b
        await asyncio.sleep(0.5)
        await adjust(-2)
        assert b'"stock":13' in await _next(of_b)


async def test_a_refused_document_reaches_every_member(
    world: World, session: AsyncSession, state: AppState
) -> None:
    (phone,) = await add_residents(session, world, count=1)
    actor = await load_actor(session, world.people[phone])
    assert actor is not None
    feeds = fanout.Feeds(build_schema(Limits(max_cost=0)), AUDIENCES)  # every document refused
    async with feeds.join(_key(actor), lambda: _context(state, actor)) as answers:
        refused = await _next(answers)
    assert isinstance(refused, fanout.Refused)
    assert refused.errors[0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert len(feeds) == 0


async def test_a_member_that_stops_reading_is_dropped_alone() -> None:
    slow, quick = fanout.Member(), fanout.Member()
    for n in range(fanout.MEMBER_QUEUE + 1):
        slow.offer(b"%d" % n)
        quick.offer(b"%d" % n)
        await quick.queue.get()
    assert slow.slow and not quick.slow
    with pytest.raises(fanout.TooSlow):
        async for _ in fanout.Feeds._answers(slow):
            pass


def _shared(query: str, name: str | None = None) -> str | None:
    return fanout.shared_field(FEEDS._graphql, query, name)


def test_the_web_apps_documents_share_where_an_audience_is_named() -> None:
    documents = re.findall(r"^subscription .*$", WEB_APP.read_text(), flags=re.MULTILINE)
    shared = {_shared(d) for d in documents} & set(AUDIENCES)
    assert shared == set(AUDIENCES)  # what the app sends is plain: it joins the feeds


def test_documents_that_read_the_viewer_or_are_not_one_plain_field_run_per_socket() -> None:
    assert _shared(STOCK) == "stockChanged"
    assert _shared(STOCK, "OnStockChanged") == "stockChanged"
    assert _shared("subscription { stockChanged { __typename id inStock } }") == "stockChanged"
    assert _shared(STOCK, "Other") is None
    # a loader per viewer (the order's community), a fragment, a directive, an unknown field
    assert _shared("subscription { orderPublished { id community { name } } }") is None
    assert _shared("subscription { orderPublished { ... on VolunteerOrder { id } } }") is None
    assert _shared("subscription { stockChanged { id @include(if: true) } }") is None
    assert _shared("subscription { stockChanged { noSuchField } }") is None
    assert (
        _shared("subscription { ...F } fragment F on Subscription { stockChanged { id } }") is None
    )
    assert _shared("{ goods { id } }") is None  # a query
    assert _shared("subscription {") is None  # not a document
    assert _shared("subscription { stockChanged { id } orderPublished { id } }") is None
    # a field no audience names runs per socket, however plain its document
    alone = fanout.Feeds(build_schema(), {})
    assert alone.key_for(STOCK, None, None, actor=_nobody(), language=Language.ZH_CN) is None


def test_ones_own_feeds_are_shared_by_the_same_actor_only() -> None:
    """A person's tabs share their own claims' feed; another person, or the same person with
    other roles (a role change also closes the sockets: 4403), gets a feed of their own."""
    me = _nobody()
    query = "subscription { myClaimChanged { id state } }"
    mine = _key(me, query)
    assert _key(replace(me), query) == mine  # another tab: an equal actor
    assert _key(_nobody(), query) != mine
    promoted = replace(me, grants=(Grant(Role.GRID_WORKER, uuid.uuid4()),))
    assert _key(promoted, query) != mine


def _nobody() -> Actor:
    return Actor(person_id=uuid.uuid4(), name="x", community_id=uuid.uuid4(), household_id=None)


async def test_an_order_of_one_grid_reaches_that_grids_feed_only(
    api: Api, world: World, session: AsyncSession, state: AppState
) -> None:
    """The orders' audience is the community and the household (whose grid decides)."""
    a = await load_actor(session, world.people["resident_a"])  # grid A
    b = await load_actor(session, world.people["resident_b"])  # grid B, same community
    assert a is not None and b is not None
    query = "subscription { orderPublished { id title } }"
    key_a, key_b = _key(a, query), _key(b, query)
    assert key_a != key_b
    token = await api.sign_in(world.phones["community_admin"])
    feeds = fanout.Feeds(build_schema(), AUDIENCES)

    async def publish(**overrides: Any) -> str:
        created = await api(
            "mutation($i: OrderCreateInput!) { orderCreate(input: $i) { order { id } } }",
            {"i": order_input(world, **overrides)},
            token=token,
        )
        order_id = str(created.data["orderCreate"]["order"]["id"])
        done = await api(
            "mutation($i: OrderInput!) { orderPublish(input: $i) { errors { code } } }",
            {"i": {"id": order_id}},
            token=token,
        )
        assert done.data["orderPublish"]["errors"] == []
        return order_id

    with clock.frozen(PUBLISHED):
        async with (
            feeds.join(key_a, lambda: _context(state, a)) as of_a,
            feeds.join(key_b, lambda: _context(state, b)) as of_b,
        ):
            await asyncio.sleep(0.5)
            grid_order = await publish(unitId=gid("OrgUnit", world.units["A"]), title="A 格")
            community_order = await publish(title="全社区")
            assert grid_order.encode() in await _next(of_a)
            assert community_order.encode() in await _next(of_a)
            assert community_order.encode() in await _next(of_b)  # b never heard A's order
