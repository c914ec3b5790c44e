"""What every resolver gets as ``info.context``: one per request.

The request owns the transaction: its one session is opened on first use and committed or rolled
back once, when the operation ends (:class:`schema.extensions.RequestTransaction`). Resolvers run
concurrently but a session runs one statement at a time, so every use goes through :meth:`db`,
which takes the request's lock. The actor is resolved from the bearer token on first use.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.datastructures import MutableHeaders

from services.auth.service import AuthPolicy, actor_for_token
from services.authz import Actor
from services.errors import DomainError, ErrorCode
from services.events import outbox, versions
from services.events.hub import Hub
from services.i18n import Language
from services.sms import SmsGateway

if TYPE_CHECKING:
    from schema.loaders import Loaders

R = TypeVar("R")
log = logging.getLogger("gridpoints.events")
_UNRESOLVED: Any = object()


@dataclass
class Context:
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    auth: AuthPolicy
    language: Language
    token: str | None
    client: str
    connection_params: dict[str, Any] | None = None  # set by Strawberry for WebSocket clients
    engine: AsyncEngine | None = None  # for a query's actor lookup (else the session)
    writes: bool = False  # a mutation: it needs the session anyway (set before execution)
    headers: MutableHeaders | None = None  # the HTTP answer's headers, when there is one
    hub: Hub | None = None  # the process's event hub (subscriptions)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _session: AsyncSession | None = None
    _actor: Actor | None = _UNRESOLVED
    _loaders: Loaders | None = None

    @property
    def sms(self) -> SmsGateway | None:
        """The process's SMS gateway (the one codes go out through)."""
        return self.auth.codes.gateway

    async def db(self, work: Callable[[AsyncSession], Awaitable[R]]) -> R:
        """Run ``work`` on the request's session, one at a time."""
        async with self._lock:
            if self._session is None:
                self._session = self.sessions()
            return await work(self._session)

    async def fresh(self, work: Callable[[AsyncSession], Awaitable[R]]) -> R:
        """Run read-only ``work`` in a short session of its own (a subscription's events: a
        WebSocket lives long, and must not hold a connection between them). At most
        ``ws_event_work`` of these run at once per process: one change seen by thousands of
        sockets must leave the pool to ordinary requests."""
        slot: AbstractAsyncContextManager[Any] = (
            self.hub.event_work if self.hub is not None else nullcontext()
        )
        async with slot, self.sessions() as session:
            return await work(session)

    async def shared(self, key: Hashable, work: Callable[[AsyncSession], Awaitable[R]]) -> R:
        """:meth:`fresh` for a read that is the same for every subscriber (``key`` names it,
        with the event's id): done once per process, however many sockets receive the event."""
        if self.hub is None:
            return await self.fresh(work)
        return await self.hub.once(key, lambda: self.fresh(work))

    def for_feed(self) -> Context:
        """A context of its own for a subscription feed (:mod:`schema.fanout`): the same actor,
        language and servers, no token (the feed outlives this socket; what it sends depends on
        the audience only, and each member's socket ends with its own session)."""
        feed = Context(
            sessions=self.sessions,
            redis=self.redis,
            auth=self.auth,
            language=self.language,
            token=None,
            client=self.client,
            engine=self.engine,
            hub=self.hub,
        )
        feed._actor = self._actor
        return feed

    def session_token(self) -> str | None:
        if self.token:
            return self.token
        params = self.connection_params or {}
        value = params.get("Authorization") or params.get("authorization") or params.get("token")
        if not isinstance(value, str):
            return None
        return value.removeprefix("Bearer ").strip() or None

    async def actor(self) -> Actor | None:
        if self._actor is _UNRESOLVED:
            token = self.session_token()
            actor = await self._actor_for(token) if token else None
            if self._actor is _UNRESOLVED:
                self._actor = actor
        return self._actor

    async def _actor_for(self, token: str) -> Actor | None:
        """For a query, one statement outside the request's transaction (the same answer under
        READ COMMITTED): a read answered from the response cache then needs no BEGIN and
        ROLLBACK. A mutation uses its session: a claim storm of 500 waited twice for the pool."""
        if self.engine is None or self.writes:  # one pool checkout, not two
            return await self.db(lambda s: actor_for_token(s, self.redis, self.auth, token))
        async with self.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            return await actor_for_token(autocommit, self.redis, self.auth, token)

    async def require_actor(self) -> Actor:
        actor = await self.actor()
        if actor is None:
            raise DomainError(ErrorCode.UNAUTHENTICATED)
        return actor

    def act_as(self, actor: Actor | None, token: str | None) -> None:
        """After sign-in or sign-out, the rest of the request acts as the new actor."""
        self._actor = actor
        self.token = token
        self._loaders = None

    async def loaders(self) -> Loaders:
        from schema.loaders import Loaders

        if self._loaders is None:
            self._loaders = Loaders(self, await self.actor())
        return self._loaders

    async def between_events(self) -> None:
        """A subscription's event has been sent: give the connection back while the next one is
        awaited (a WebSocket may wait for hours) and forget what its loaders cached."""
        await self.finish(commit=False)
        self._loaders = None

    async def finish(self, *, commit: bool) -> None:
        """End the request's transaction: commit when asked, else roll back. Under the lock:
        on a WebSocket the operations share the context, and one ending must not roll back and
        close the session under another's statement (the connection went back to the pool
        closed, and the next socket's sign-in on it failed; bench/fuzz edges, issue 13 item 6)."""
        async with self._lock:
            await self._finish(commit=commit)

    async def _finish(self, *, commit: bool) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if commit:
                emitted = session.info.pop(outbox.EMITTED, False)
                await session.commit()
                await bump_versions(self.redis, versions.touched(session))
                if emitted:
                    relay_soon(self.sessions, self.redis)
            else:
                await session.rollback()
        finally:
            await session.close()


async def bump_versions(redis: Redis, names: set[str]) -> None:
    """After a commit, before the response: the writer's next read must not be a cached one.
    If Redis fails here the relay bumps them when it publishes the change's event."""
    try:
        await versions.bump(redis, names)
    except Exception:
        log.warning("version bump after commit failed; the relay will retry", exc_info=True)


_relays: set[asyncio.Task[None]] = set()
_again: dict[int, bool] = {}  # per session factory: a relay is running; run once more after it


def relay_soon(sessions: async_sessionmaker[AsyncSession], redis: Redis) -> None:
    """Publish what the commit put in the outbox, without making the response wait. The worker
    publishes anything this misses (a crash, a Redis hiccup).

    One relay at a time per process: a commit while one runs asks it for one more round instead
    of starting another, so a burst of mutations costs a few relay transactions, not one each
    (each is a transaction with its own commit)."""
    key = id(sessions)
    if key in _again:
        _again[key] = True
        return

    async def run() -> None:
        try:
            while True:
                _again[key] = False
                try:
                    while await _relay_once(sessions, redis) >= outbox.BATCH:
                        pass
                except Exception:
                    log.warning(
                        "outbox relay after commit failed; the worker will retry", exc_info=True
                    )
                    return
                if not _again[key]:
                    return
        finally:
            _again.pop(key, None)

    _again[key] = False
    task = asyncio.create_task(run())
    _relays.add(task)
    task.add_done_callback(_relays.discard)


async def _relay_once(sessions: async_sessionmaker[AsyncSession], redis: Redis) -> int:
    async with sessions() as session, session.begin():
        return await outbox.relay(session, redis)


async def drain_relays() -> None:
    """Wait for the relays still running (on shutdown, before the Redis pool closes)."""
    if _relays:
        await asyncio.gather(*_relays, return_exceptions=True)
