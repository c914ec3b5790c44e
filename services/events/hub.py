"""One Redis pub/sub connection per process carries every live subscription of the process.

A subscription registers a :class:`Listener` for its channels; the hub SUBSCRIBEs to a channel
when its first listener arrives and UNSUBSCRIBEs when the last one leaves, reads every message
once and fans it out in memory to the listeners' bounded queues. Before this, each subscription
held a Redis connection of its own: about a hundred of them exhausted the process's Redis
connections and every other request answered UNAVAILABLE (issue 13).

Delivery stays at least once from the outbox, and each listener drops an event id it has seen
(an event published on two of its channels, or published again by a relay, arrives once). A
listener whose queue is full (a client that stopped reading) ends with :class:`ListenerOverflow`
rather than growing without bound.

The hub also carries the live sockets' control messages: a session revoked (sign-out, password
change) or a person's authority changed closes that person's sockets on every replica
(:mod:`services.events.sockets`). If Redis goes away the reader reconnects with backoff and
subscribes again to every channel it still needs; what was published in between is lost, as
with any pub/sub (the web app reads state over HTTP when it opens a page).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from services.events.listen import Event

log = logging.getLogger("gridpoints.events")
R = TypeVar("R")

CONTROL = "gp:control:sockets"  # revocations and authority changes (services/events/sockets)
QUEUE_SIZE = 256  # events waiting for one subscription before it is ended as too slow
SEEN = 512  # event ids a listener remembers to drop a repeat
CONFIRM_TIMEOUT = 5.0  # seconds to wait for Redis to confirm a SUBSCRIBE
ONCE = 256  # shared per-event reads remembered (Hub.once)


class ListenerOverflow(Exception):
    """The subscription's client has not read its events: ``QUEUE_SIZE`` are waiting."""


@dataclass(eq=False, slots=True)
class Listener:
    channels: frozenset[str]
    queue: asyncio.Queue[Event | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE)
    )
    seen: dict[int, None] = field(default_factory=dict)  # insertion-ordered: oldest first
    overflowed: bool = False

    def offer(self, event: Event) -> None:
        if self.overflowed or event.id in self.seen:
            return
        self.seen[event.id] = None
        if len(self.seen) > SEEN:
            del self.seen[next(iter(self.seen))]
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()  # make room for the end marker
            self.queue.put_nowait(None)


ControlHandler = Callable[[dict[str, Any]], Awaitable[None]]


class Hub:
    """The process's one pub/sub reader: :meth:`start` in the lifespan, :meth:`close` after."""

    def __init__(self, redis: Redis, *, event_work: int = 4, deliveries: int = 8) -> None:
        self._redis = redis
        self._listeners: dict[str, set[Listener]] = {}
        self._subscribed: set[str] = set()
        self._confirmed: dict[str, asyncio.Event] = {}
        self._pubsub: PubSub | None = None
        self._sync_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._control: list[ControlHandler] = []
        self._connected = asyncio.Event()
        # Subscriptions' database work per event, at most this many at once: a change seen by
        # 2,000 sockets must not take the pool from ordinary requests (schema/subscriptions).
        self.event_work = asyncio.Semaphore(event_work)
        # Deliveries being executed and sent at once: a change seen by 700 sockets is ~0.5 ms of
        # CPU each; run all at once, every ordinary request's await queued behind the whole
        # burst (bench/reports/subs.md: p99 x188). A few at a time, requests interleave.
        self.deliveries = asyncio.Semaphore(deliveries)
        self._once: dict[Hashable, asyncio.Future[Any]] = {}

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="gridpoints-event-hub")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for listeners in self._listeners.values():
            for listener in listeners:
                with contextlib.suppress(asyncio.QueueFull):
                    listener.queue.put_nowait(None)
        await self._drop_pubsub()

    def on_control(self, handler: ControlHandler) -> None:
        self._control.append(handler)

    @property
    def channels(self) -> int:
        """Channels this process is subscribed to (one Redis connection carries them all)."""
        return len(self._subscribed)

    @property
    def listeners(self) -> int:
        return sum(len(listeners) for listeners in self._listeners.values())

    async def once(self, key: Hashable, work: Callable[[], Awaitable[R]]) -> R:
        """``work``'s answer, computed once for every caller with the same ``key`` (the last
        ``ONCE`` keys are kept: an event's subscribers all ask within moments)."""
        future = self._once.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._once[key] = future
            if len(self._once) > ONCE:
                del self._once[next(iter(self._once))]
            try:
                future.set_result(await work())
            except asyncio.CancelledError:
                self._once.pop(key, None)
                future.cancel()
                raise
            except Exception as error:
                self._once.pop(key, None)
                future.set_exception(error)
                future.exception()  # retrieved: the callers waiting get it, nobody else
                raise
        return cast(R, await asyncio.shield(future))

    # -- listening --------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def listen(self, channels: Iterable[str]) -> AsyncIterator[AsyncIterator[Event]]:
        """The channels' events from now on (once Redis confirmed the SUBSCRIBE), until the
        block ends. Starts the reader if the app's lifespan has not (tests, one-off scripts)."""
        self.start()
        listener = Listener(frozenset(channels))
        for channel in listener.channels:
            self._listeners.setdefault(channel, set()).add(listener)
        try:
            await self._sync()
            await self._wait_confirmed(listener.channels)
            yield self._events(listener)
        finally:
            for channel in listener.channels:
                listeners = self._listeners.get(channel)
                if listeners is not None:
                    listeners.discard(listener)
                    if not listeners:
                        del self._listeners[channel]
            with contextlib.suppress(Exception):
                await self._sync()

    async def _events(self, listener: Listener) -> AsyncIterator[Event]:
        while True:
            event = await listener.queue.get()
            if event is None:
                if listener.overflowed:
                    raise ListenerOverflow
                return
            yield event

    async def _wait_confirmed(self, channels: frozenset[str]) -> None:
        waits = [self._confirmed[c].wait() for c in channels if c in self._confirmed]
        if not waits:
            return
        try:
            await asyncio.wait_for(asyncio.gather(*waits), CONFIRM_TIMEOUT)
        except TimeoutError:  # Redis is slow or away: listen anyway, the reader catches up
            log.warning("SUBSCRIBE not confirmed in time", extra={"channels": len(waits)})

    async def _sync(self) -> None:
        """Bring the connection's subscriptions in line with the listeners' channels. One at a
        time, so a SUBSCRIBE and an UNSUBSCRIBE of one channel never cross."""
        async with self._sync_lock:
            pubsub = self._pubsub
            if pubsub is None:  # (re)connecting: the reader subscribes to everything wanted
                for channel in set(self._listeners) - self._subscribed:
                    self._confirmed.setdefault(channel, asyncio.Event())
                return
            wanted = set(self._listeners)
            add, drop = wanted - self._subscribed, self._subscribed - wanted
            for channel in add:
                self._confirmed[channel] = asyncio.Event()
            self._subscribed |= add
            self._subscribed -= drop
            for channel in drop:
                self._confirmed.pop(channel, None)
            if add:
                await pubsub.subscribe(*add)
            if drop:
                await pubsub.unsubscribe(*drop)

    # -- the reader -------------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self._connect()
                backoff = 0.1
                assert self._pubsub is not None
                while True:
                    message = await self._pubsub.get_message(timeout=None)
                    if message is not None:
                        await self._dispatch(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis away or restarted: reconnect
                log.warning("event hub lost Redis; reconnecting", extra={"error": repr(error)})
                await self._drop_pubsub()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _connect(self) -> None:
        async with self._sync_lock:
            pubsub = self._redis.pubsub()
            channels = [CONTROL, *self._listeners]
            for channel in channels:
                self._confirmed.setdefault(channel, asyncio.Event())
            await pubsub.subscribe(*channels)
            self._pubsub = pubsub
            self._subscribed = set(self._listeners)

    async def _drop_pubsub(self) -> None:
        async with self._sync_lock:
            pubsub, self._pubsub = self._pubsub, None
            self._subscribed = set()
            for waiting in self._confirmed.values():
                waiting.clear()
            if pubsub is not None:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind, channel = message.get("type"), _text(message.get("channel"))
        if kind == "subscribe":
            confirmed = self._confirmed.get(channel)
            if confirmed is not None:
                confirmed.set()
            return
        if kind != "message":
            return
        if channel == CONTROL:
            await self._on_control(message["data"])
            return
        listeners = self._listeners.get(channel)
        if not listeners:
            return  # unsubscribed a moment ago: nobody here wants it
        try:
            data = json.loads(message["data"])
            event = Event(int(data["id"]), str(data["topic"]), dict(data["payload"]))
        except (ValueError, KeyError, TypeError):
            log.warning("malformed event dropped", extra={"channel": channel})
            return
        for listener in tuple(listeners):
            listener.offer(event)

    async def _on_control(self, raw: Any) -> None:
        try:
            data = json.loads(raw)
            assert isinstance(data, dict)
        except (ValueError, AssertionError):
            log.warning("malformed control message dropped")
            return
        for handler in self._control:
            try:
                await handler(data)
            except Exception:
                log.exception("control handler failed")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


async def publish_control(redis: Redis, data: dict[str, Any]) -> None:
    """Tell every replica's hub (revocations, authority changes)."""
    await redis.publish(CONTROL, json.dumps(data))
