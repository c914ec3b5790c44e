"""A subscription whose answer is the same for its audience runs once per process for it
(:mod:`schema.fanout`): members share one execution and one encoding, the feed outlives the
socket that started it, ends with its last member, and a member that stops reading is dropped
alone. Soundness: the types such a field returns read nothing of the viewer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition

from api.state import AppState
from schema import fanout
from schema.build import build_schema
from schema.context import Context
from schema.subscriptions import AUDIENCES, Subscription
from services.auth.service import load_actor
from services.authz import Actor
from services.catalog import service as catalog
from services.catalog.service import GoodsDraft
from services.i18n import Language
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


def _key(actor: Actor, query: str = STOCK, language: Language = Language.ZH_CN) -> fanout.FeedKey:
    key = fanout.feed_key(query, None, None, actor=actor, language=language, audiences=AUDIENCES)
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
    feeds = fanout.Feeds(build_schema())
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
    feeds = fanout.Feeds(build_schema())
    key = _key(actor, query="subscription { stockChanged { noSuchField } }")
    async with feeds.join(key, lambda: _context(state, actor)) as answers:
        refused = await _next(answers)
    assert isinstance(refused, fanout.Refused)
    assert "noSuchField" in refused.errors[0]["message"]
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


def test_documents_that_are_not_one_plain_field_run_per_socket() -> None:
    assert fanout.root_field(STOCK, None) == "stockChanged"
    assert fanout.root_field(STOCK, "OnStockChanged") == "stockChanged"
    assert fanout.root_field(STOCK, "Other") is None
    assert fanout.root_field("subscription { ...F } fragment F on Subscription { a }", None) is None
    assert fanout.root_field("{ stockChanged { id } }", None) is None  # a query
    assert fanout.root_field("subscription {", None) is None  # not a document
    assert fanout.root_field("subscription { a b }", None) is None


def _types_reachable(annotation: Any, seen: set[type]) -> Iterator[type]:
    while isinstance(annotation, StrawberryList | StrawberryOptional):
        annotation = annotation.of_type
    if not isinstance(annotation, type) or not has_object_definition(annotation):
        return
    if annotation in seen:
        return
    seen.add(annotation)
    yield annotation
    for field in annotation.__strawberry_definition__.fields:
        yield from _types_reachable(field.type, seen)


@pytest.mark.parametrize("name", sorted(AUDIENCES))
def test_a_feed_field_returns_nothing_that_depends_on_the_viewer(name: str) -> None:
    """Every type the field can return, through every field: no resolver reads the context
    (info), none is async (loaders are per viewer), none has permissions or extensions."""
    definition = Subscription.__strawberry_definition__  # type: ignore[attr-defined]
    field = next(f for f in definition.fields if f.graphql_name == name or f.name == _snake(name))
    types = list(_types_reachable(field.type, set()))  # what the field yields
    assert types, f"{name}: no object type found in {field.type!r}"
    for found in types:
        for member in found.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            where = f"{found.__name__}.{member.name}"
            assert not member.permission_classes, where
            assert not member.extensions, where
            resolver = member.base_resolver
            if resolver is None:
                continue
            assert resolver.info_parameter is None, f"{where} reads the viewer's context"
            assert not resolver.is_async, f"{where} is async (a loader is per viewer)"


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
