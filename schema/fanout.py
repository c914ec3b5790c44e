"""One execution per audience: a subscription whose answer is the same for everyone it reaches
runs once per process, and its encoded answer goes to every socket that asked for it.

The goods of a stock change are the same for every tab of the community. Executed per socket,
2,000 sockets ran the same selection on the same goods and encoded the same JSON (0.4 ms of CPU
each): one stock change cost the process's core most of a second and every ordinary request
queued behind it (``bench/subs``). Now the first socket that subscribes with a document,
variables, operation name, language and audience starts a *feed* (one Strawberry subscription
of its own, with the subscriber's actor); every later socket with the same five joins it, and
the feed hands each member the answer's encoded bytes. A member costs a queue put and a send.

Sound only where the answer depends on nothing of the subscriber but the audience. Two halves:
:data:`schema.subscriptions.AUDIENCES` names the fields that may be feeds, each with the
function that gives a subscriber's audience: everything the field's resolver reads of its
actor (the community; for orders, the household too, whose grid decides; for one's own claims,
redemptions, grants and demands, the actor itself: the tabs of one person share). And the document
must select only *plain* fields, read off their parent alone: a field whose resolver takes the
context (a loader, a viewer check), is async, or has permissions sends the whole document down
the per-socket path, as do fragments and directives. Everything else runs per socket, as before.

A feed ends when its last member leaves. A member that stops reading lets its bounded queue
fill; it then gets ``SUBSCRIPTION_TOO_SLOW`` and its operation ends, the feed goes on. Members
are woken a chunk at a time, and the feed then waits as long as the chunk took: a burst of 2,000
sends never holds an ordinary request for the whole burst, and takes at most half the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson
from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLFormattedError,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    parse,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.execution import PreExecutionError
from strawberry.types.field import StrawberryField

from services.authz import Actor
from services.i18n import Language

if TYPE_CHECKING:
    from strawberry.schema.base import BaseSchema

    from schema.context import Context

log = logging.getLogger("gridpoints.events")
DEFINITION_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF  # a GraphQL field's Strawberry field

Audience = Callable[[Actor], Hashable | None]  # a subscriber's audience, or None: not a feed
MAX_SHARED_QUERY = 4096  # longer documents run per socket (and meet the usual limits there)
MEMBER_QUEUE = 32  # answers a member may leave unsent before it is too slow
CHUNK = 64  # members woken between two polls of the event loop
MAX_PAUSE = 0.02  # seconds a feed waits after a chunk, at most


@dataclass(frozen=True, slots=True)
class FeedKey:
    query: str
    variables: bytes  # canonical JSON
    operation_name: str | None
    language: Language
    audience: Hashable


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


def _plain(field: GraphQLField) -> bool:
    """A field whose value is read off its parent alone: no resolver reading the context (a
    loader, a viewer check), no permissions, no extensions."""
    definition = (field.extensions or {}).get(DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField):
        return False
    if definition.permission_classes or definition.extensions:
        return False
    resolver = definition.base_resolver
    return resolver is None or (resolver.info_parameter is None and not resolver.is_async)


def _plain_selection(parent: GraphQLObjectType, selection_set: SelectionSetNode | None) -> bool:
    for selection in selection_set.selections if selection_set else ():
        if not isinstance(selection, FieldNode) or selection.directives:
            return False  # fragments and directives: per socket (simple beats clever here)
        name = selection.name.value
        if name == "__typename":
            continue
        field = parent.fields.get(name)
        if field is None or not _plain(field):
            return False  # an unknown field gets its error on the per-socket path
        if selection.selection_set is not None:
            inner = get_named_type(field.type)
            if not isinstance(inner, GraphQLObjectType):
                return False
            if not _plain_selection(inner, selection.selection_set):
                return False
    return True


@lru_cache(maxsize=512)
def shared_field(schema: GraphQLSchema, query: str, operation_name: str | None) -> str | None:
    """The root field of a subscription document that may be shared, or None: one field with
    no arguments or directives whose selection is plain (:func:`_plain`) throughout. Anything
    else, including what is not a document, runs per socket and gets the usual answers."""
    root = schema.subscription_type
    if root is None:
        return None
    try:
        document = parse(query, no_location=True, max_tokens=400)
    except GraphQLError:
        return None
    if len(document.definitions) != 1:
        return None
    operation = document.definitions[0]
    if not isinstance(operation, OperationDefinitionNode):
        return None
    named = operation.name.value if operation.name else None
    if operation_name is not None and named != operation_name:
        return None
    if operation.operation is not OperationType.SUBSCRIPTION or operation.directives:
        return None
    selections = operation.selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return None
    top = selections[0]
    field = root.fields.get(top.name.value)
    if field is None or top.directives or top.arguments:
        return None
    returned = get_named_type(field.type)
    if not isinstance(returned, GraphQLObjectType):
        return None
    if not _plain_selection(returned, top.selection_set):
        return None
    return top.name.value


def encode_next(operation_id: str, payload: bytes) -> bytes:
    """A ``next`` message around an answer encoded once for every member."""
    return b'{"id":%s,"type":"next","payload":%s}' % (orjson.dumps(operation_id), payload)


class Feeds:
    """The process's feeds, by key."""

    def __init__(self, schema: BaseSchema, audiences: dict[str, Audience]) -> None:
        self._schema = schema
        self._graphql: GraphQLSchema = schema._schema  # type: ignore[attr-defined]
        self._audiences = audiences
        self._feeds: dict[FeedKey, Feed] = {}

    def key_for(
        self,
        query: object,
        variables: object,
        operation_name: object,
        *,
        actor: Actor,
        language: Language,
    ) -> FeedKey | None:
        """The feed this subscription may join, or None: it runs per socket."""
        if not isinstance(query, str) or len(query) > MAX_SHARED_QUERY:
            return None
        if operation_name is not None and not isinstance(operation_name, str):
            return None
        if variables is not None and not isinstance(variables, dict):
            return None
        name = shared_field(self._graphql, query, operation_name)
        audience_of = self._audiences.get(name) if name is not None else None
        audience = audience_of(actor) if audience_of is not None else None
        if audience is None:
            return None
        try:
            canonical = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return None
        return FeedKey(query, canonical, operation_name, language, audience)

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
        """Wake the members a chunk at a time. After each chunk's turn of the loop (its sends),
        wait as long again: a feed's sends take at most half the process's time, and ordinary
        requests the rest (a live notice may be a few milliseconds later; a page must not)."""
        members = list(feed.members)
        for start in range(0, len(members), CHUNK):
            began = time.perf_counter()
            for member in members[start : start + CHUNK]:
                member.offer(item)
            await asyncio.sleep(0)  # the chunk's members send in this turn of the loop
            # as long again, but never so long that the feed falls behind its events (its
            # listener's queue is bounded: a feed that overflows ends for every member)
            await asyncio.sleep(min(time.perf_counter() - began, MAX_PAUSE))
