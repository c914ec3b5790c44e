"""One execution per audience: a subscription whose answer is the same for everyone it reaches
runs once per process, and its encoded answer goes to every socket that asked for it.

The goods of a stock change are the same for every tab of the community. Executed per socket,
2,000 sockets ran the same selection on the same goods and encoded the same JSON (0.4 ms of CPU
each): one stock change cost the process's core most of a second and every ordinary request
queued behind it (``bench/subs``). Now the first socket that subscribes with a document,
variables, operation name, language and audience starts a *feed* (one Strawberry subscription
of its own, with the subscriber's actor); every later socket with the same five joins it, and
the feed hands each member the answer's encoded bytes. A member costs a queue put and a send.

Sound only where the answer depends on nothing of the subscriber but the audience: a field is
a feed only when :data:`schema.subscriptions.AUDIENCES` names it, with the function that gives a
subscriber's audience, and ``tests/test_fanout.py`` walks every type such a field can return and
fails on a resolver that reads the context (a viewer-dependent field would leak between
subscribers). Everything else runs per socket, as before.

A feed ends when its last member leaves. A member that stops reading lets its bounded queue
fill; it then gets ``SUBSCRIPTION_TOO_SLOW`` and its operation ends, the feed goes on. Members
are woken a chunk at a time, the event loop polling between chunks, so that a burst of 2,000
sends never holds an ordinary request for the whole burst.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson
from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLFormattedError,
    OperationDefinitionNode,
    OperationType,
    parse,
)
from strawberry.types.execution import PreExecutionError

from services.authz import Actor
from services.i18n import Language

if TYPE_CHECKING:
    from strawberry.schema.base import BaseSchema

    from schema.context import Context

log = logging.getLogger("gridpoints.events")

Audience = Callable[[Actor], str | None]  # a subscriber's audience, or None: not a feed
MAX_SHARED_QUERY = 4096  # longer documents run per socket (and meet the usual limits there)
MEMBER_QUEUE = 32  # answers a member may leave unsent before it is too slow
CHUNK = 64  # members woken between two polls of the event loop


@dataclass(frozen=True, slots=True)
class FeedKey:
    query: str
    variables: bytes  # canonical JSON
    operation_name: str | None
    language: Language
    audience: str


@dataclass(frozen=True, slots=True)
class Refused:
    """The feed's document was refused before it ran (validation, cost): its errors."""

    errors: list[GraphQLFormattedError]


class TooSlow(Exception):
    """The member left more than :data:`MEMBER_QUEUE` answers unsent."""


_END: Any = object()


@dataclass(eq=False)
class Member:
    queue: asyncio.Queue[Any] = field(default_factory=lambda: asyncio.Queue(MEMBER_QUEUE))
    slow: bool = False

    def offer(self, item: Any) -> None:
        if self.slow:
            return
        if item is _END or isinstance(item, Refused):
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(item)
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.slow = True
            self.queue = asyncio.Queue(1)
            self.queue.put_nowait(_END)


@dataclass(eq=False)
class Feed:
    key: FeedKey
    members: set[Member] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


@lru_cache(maxsize=512)
def root_field(query: str, operation_name: str | None) -> str | None:
    """The one root field of the document's subscription, or None (not a single plain field,
    or not a document: the per-socket path answers it with the usual errors)."""
    try:
        document = parse(query, no_location=True, max_tokens=400)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or len(document.definitions) != 1:
        return None  # fragments and several operations: per socket
    operation = operations[0]
    if operation.operation is not OperationType.SUBSCRIPTION or operation.directives:
        return None
    selections = operation.selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return None
    return selections[0].name.value


def feed_key(
    query: str,
    variables: dict[str, object] | None,
    operation_name: str | None,
    *,
    actor: Actor,
    language: Language,
    audiences: dict[str, Audience],
) -> FeedKey | None:
    """The feed this subscription may join, or None: it runs per socket."""
    if not isinstance(query, str) or len(query) > MAX_SHARED_QUERY:
        return None
    if operation_name is not None and not isinstance(operation_name, str):
        return None
    name = root_field(query, operation_name)
    audience_of = audiences.get(name) if name is not None else None
    if audience_of is None:
        return None
    audience = audience_of(actor)
    if audience is None:
        return None
    try:
        canonical = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    return FeedKey(query, canonical, operation_name, language, audience)


def encode_next(operation_id: str, payload: bytes) -> bytes:
    """A ``next`` message around an answer encoded once for every member."""
    return b'{"id":%s,"type":"next","payload":%s}' % (orjson.dumps(operation_id), payload)


class Feeds:
    """The process's feeds, by key."""

    def __init__(self, schema: BaseSchema) -> None:
        self._schema = schema
        self._feeds: dict[FeedKey, Feed] = {}

    def __len__(self) -> int:
        return len(self._feeds)

    def members(self) -> int:
        return sum(len(f.members) for f in self._feeds.values())

    @contextlib.asynccontextmanager
    async def join(
        self, key: FeedKey, context: Callable[[], Context]
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """The feed's answers (each the encoded ``payload`` of a ``next``) from now on; a new
        feed runs its subscription with ``context()``. Raises :class:`TooSlow`, or ends with
        :class:`Refused` as the iterator's exception-free last item."""
        member = Member()
        feed = self._feeds.get(key)
        if feed is None:
            feed = self._feeds[key] = Feed(key)
            feed.task = asyncio.create_task(self._run(feed, context()), name="gridpoints-feed")
        feed.members.add(member)
        try:
            yield self._answers(member)
        finally:
            feed.members.discard(member)
            if not feed.members and self._feeds.get(key) is feed:
                del self._feeds[key]
                if feed.task is not None:
                    feed.task.cancel()

    @staticmethod
    async def _answers(member: Member) -> AsyncIterator[Any]:
        while True:
            item = await member.queue.get()
            if item is _END:
                if member.slow:
                    raise TooSlow
                return
            yield item
            if isinstance(item, Refused):
                return

    async def _run(self, feed: Feed, context: Context) -> None:
        key = feed.key
        try:
            source = await self._schema.subscribe(
                key.query,
                variable_values=orjson.loads(key.variables),
                context_value=context,
                operation_name=key.operation_name,
            )
            async with contextlib.aclosing(source):
                async for result in source:
                    if isinstance(result, PreExecutionError):
                        await self._offer(feed, Refused([e.formatted for e in result.errors or []]))
                        return
                    payload: dict[str, Any] = {"data": result.data}
                    if result.errors:
                        payload["errors"] = [e.formatted for e in result.errors]
                    if result.extensions:
                        payload["extensions"] = result.extensions
                    await self._offer(feed, orjson.dumps(payload))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("a subscription feed failed")
        finally:
            if self._feeds.get(key) is feed:
                del self._feeds[key]
            for member in list(feed.members):
                member.offer(_END)
            await context.between_events()

    @staticmethod
    async def _offer(feed: Feed, item: Any) -> None:
        for n, member in enumerate(list(feed.members), start=1):
            member.offer(item)
            if n % CHUNK == 0:
                await asyncio.sleep(0)  # let the loop poll: ordinary requests between chunks
