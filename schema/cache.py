"""The response cache: public, read-mostly reads answered from memory (design.md, Performance).

A query is cached when every root field is one of :data:`FIELDS` (today the catalog's goods
list) and its arguments name data that versions cover. The key is the document, its variables,
the language, who may share the answer (each field's audience: for the goods, every customer of
the community; staff by their exact roles) and the versions of the data read
(:mod:`services.events.versions`). A change bumps those versions after its commit
and before its response, so the writer's next read, on any replica, is computed afresh; an entry
also lives at most :data:`TTL` seconds, which bounds staleness in the one case the bump and the
relay both miss (Redis unreachable at the commit).

An HTTP answer says which it was: ``X-Cache: hit`` or ``miss`` (absent: not cacheable).
Anything else runs as usual: mutations, fields that depend on the person (``goods(affordable:
true)``), answers with errors, a request whose versions cannot be read (Redis down).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import FieldNode, GraphQLSchema, OperationDefinitionNode, get_operation_ast
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from schema.catalog.queries import community_of
from schema.context import Context
from services.authz import Actor
from services.catalog import queries as catalog_queries
from services.errors import DomainError
from services.events import versions

log = logging.getLogger("gridpoints.cache")

TTL = 30.0
MAX_ENTRIES = 2048


@dataclass(frozen=True)
class Scope:
    """What a cacheable call reads (``versions``) and whom its answer may be shared with
    (``audience``: two viewers with the same audience get the same answer)."""

    versions: tuple[str, ...]
    audience: str


def _exact(actor: Actor) -> str:
    """An audience of everyone with exactly this community and these roles."""
    grants = sorted(f"{g.role.value}:{g.unit_id}:{g.seat_type}" for g in actor.grants)
    return f"{actor.community_id}|{'|'.join(grants)}"


def _goods(args: dict[str, Any], actor: Actor) -> Scope | None:
    """The goods list depends on the viewer only through the community (theirs by default) and
    whether they see it as a customer: every customer of a community shares one answer."""
    if args.get("affordable"):  # priced within *my* points: the person's own answer
        return None
    try:
        community = community_of(actor, args.get("communityId"))
    except DomainError:
        return None  # let the resolver answer the bad or missing id
    audience = "customer" if catalog_queries.sees_customer_catalog(actor) else _exact(actor)
    return Scope((versions.catalog(community),), audience)


# A root field -> what a call of it reads and who shares its answer; None: not cacheable.
FIELDS: dict[str, Callable[[dict[str, Any], Actor], Scope | None]] = {"goods": _goods}


@dataclass
class Stats:
    hits: int = 0
    misses: int = 0
    stored: int = 0


class Store:
    """An LRU of answers with a time to live, per process."""

    def __init__(self, max_entries: int = MAX_ENTRIES, ttl: float = TTL) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._entries: OrderedDict[bytes, tuple[float, dict[str, Any]]] = OrderedDict()
        self.stats = Stats()

    def get(self, key: bytes) -> dict[str, Any] | None:
        found = self._entries.get(key)
        if found is None or found[0] < time.monotonic():
            self.stats.misses += 1
            return None
        self._entries.move_to_end(key)
        self.stats.hits += 1
        return found[1]

    def put(self, key: bytes, data: dict[str, Any]) -> None:
        self._entries[key] = (time.monotonic() + self.ttl, data)
        self._entries.move_to_end(key)
        self.stats.stored += 1
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


STORE = Store()


class ResponseCache(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        key = await self._key()
        if key is None:
            yield
            return
        data = STORE.get(key)
        headers = self.execution_context.context.headers
        if headers is not None:
            headers["x-cache"] = "miss" if data is None else "hit"
        if data is not None:
            self.execution_context.result = ExecutionResult(data=data, errors=None)
            yield
            return
        yield
        result = self.execution_context.result
        if result is not None and not result.errors and isinstance(result.data, dict):
            STORE.put(key, result.data)

    async def _key(self) -> bytes | None:
        ctx = self.execution_context
        context = ctx.context
        if not isinstance(context, Context) or ctx.graphql_document is None:
            return None
        operation = get_operation_ast(ctx.graphql_document, ctx.operation_name)
        if operation is None or operation.operation.value != OperationType.QUERY.value:
            return None
        roots = operation.selection_set.selections
        if not all(isinstance(node, FieldNode) and node.name.value in FIELDS for node in roots):
            return None
        try:
            actor = await context.actor()
        except Exception:  # the resolver meets the same error and reports it
            return None
        if actor is None:
            return None
        scoped = _scoped(ctx.schema._schema, operation, ctx.variables or {}, actor)
        if scoped is None:
            return None
        names, audience = scoped
        try:
            found = await versions.current(context.redis, names)
        except Exception:
            log.warning("versions unreadable; answering without the cache", exc_info=True)
            return None
        return orjson.dumps(
            [
                ctx.query,
                ctx.operation_name,
                ctx.variables,
                context.language.value,
                audience,
                names,
                found,
            ],
            option=orjson.OPT_SORT_KEYS,
            default=str,
        )


def _scoped(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    actor: Actor,
) -> tuple[list[str], list[str]] | None:
    """The versions the operation's root fields read and their audiences, or None if one of them
    is not cacheable (or the variables do not even coerce: execution reports that)."""
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
    if isinstance(coerced, list):  # errors: execution reports them
        return None
    query_type = schema.query_type
    assert query_type is not None
    names: set[str] = set()
    audiences: list[str] = []
    for node in operation.selection_set.selections:
        assert isinstance(node, FieldNode)
        field = query_type.fields[node.name.value]
        try:
            args = get_argument_values(field, node, coerced)
        except Exception:  # a bad literal: execution reports it
            return None
        scoped = FIELDS[node.name.value](args, actor)
        if scoped is None:
            return None
        names.update(scoped.versions)
        audiences.append(scoped.audience)
    return sorted(names), audiences
