"""Live sockets: how many a person and a process may hold, and closing them when the session
behind them ends.

A socket counts against its person on every replica: each holds a lease in a Redis sorted set
(``gp:ws:person:<id>``, score = when the lease runs out), taken atomically under the limit and
renewed by the process while the socket lives, so a replica that dies leaves leases that run
out by themselves. Each process also caps its own sockets, signed in or not yet.

A socket is closed when its session ends: at once when a session is revoked (sign-out, password
change: :func:`services.auth.sessions.revoke` tells every replica over the hub's control
channel), and by the sweep, which checks every socket's session still exists (a session that
ran out, or anything the control message missed). A person whose authority changed (roles
assigned or revoked) has their sockets closed with "reconnect": the client comes back and
its subscriptions see the person as they now are. Only sockets that see the person otherwise
than they now are: the message can arrive late (the relay publishes after the commit, or at a
replica's start), and a socket opened since already has the new roles.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from services.auth import sessions
from services.authz import Actor
from services.events.hub import Hub
from services.events.outbox import Topic

log = logging.getLogger("gridpoints.events")

# graphql-transport-ws close codes (the graphql-ws client retries 4403 and 1013, not 4401/4429)
SIGNED_OUT = 4401  # the session ended: sign in again
RECONNECT = 4403  # authority changed: reconnect and subscribe again
TOO_MANY = 4429  # this person holds the most sockets allowed
BUSY = 1013  # this process holds the most sockets allowed: try again later

_LEASES = "gp:ws:person:"
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""

Close = Callable[[int, str], Awaitable[None]]


@dataclass(eq=False, slots=True)
class Socket:
    actor: Actor  # the person as the socket's subscriptions see them
    session: str  # the session token's digest
    member: str  # this socket's lease in the person's set
    close: Close

    @property
    def person_id(self) -> uuid.UUID:
        return self.actor.person_id


LoadActor = Callable[[uuid.UUID], Awaitable[Actor | None]]  # the person as they now are


class Sockets:
    """The process's live sockets. :meth:`start` in the app's lifespan, :meth:`close` after."""

    def __init__(
        self,
        redis: Redis,
        hub: Hub,
        *,
        load_actor: LoadActor,
        per_person: int,
        per_process: int,
        lease: float = 90.0,
        sweep_every: float = 30.0,
    ) -> None:
        self._redis = redis
        self._load_actor = load_actor
        self.per_person = per_person
        self.per_process = per_process
        self._lease = lease
        self._sweep_every = sweep_every
        self._open = 0  # accepted sockets, signed in or not yet
        self._sockets: set[Socket] = set()
        self._serial = itertools.count()
        self._prefix = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._task: asyncio.Task[None] | None = None
        hub.on_control(self._on_control)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._sweeper(), name="gridpoints-socket-sweep")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def open(self) -> int:
        return self._open

    # -- admission --------------------------------------------------------------------------

    def admit(self) -> bool:
        """A socket was accepted: count it, unless the process already holds its most."""
        if self._open >= self.per_process:
            return False
        self._open += 1
        return True

    def release(self) -> None:
        self._open = max(self._open - 1, 0)

    async def register(self, actor: Actor, token: str, close: Close) -> Socket | None:
        """The socket signed in: take a lease for its person, or None over the person's limit."""
        person_id = actor.person_id
        self.start()
        member = f"{self._prefix}-{next(self._serial)}"
        now = time.time()
        taken = await self._redis.eval(
            _ACQUIRE,
            1,
            _LEASES + str(person_id),
            now,
            now + self._lease,
            self.per_person,
            member,
            int(self._lease) + 1,
        )
        if not int(taken):
            return None
        socket = Socket(actor, sessions.digest(token), member, close)
        self._sockets.add(socket)
        return socket

    async def unregister(self, socket: Socket) -> None:
        if socket in self._sockets:
            self._sockets.discard(socket)
            with contextlib.suppress(Exception):
                await self._redis.zrem(_LEASES + str(socket.person_id), socket.member)

    # -- closing ----------------------------------------------------------------------------

    async def _on_control(self, data: dict[str, Any]) -> None:
        payload = data.get("payload") or {}
        if data.get("topic") == sessions.REVOKED:
            ended = set(payload.get("sessions") or ())
            await self._close_where(lambda s: s.session in ended, SIGNED_OUT, "signed out")
        elif data.get("topic") == Topic.AUTHORITY_CHANGED:
            person = str(payload.get("personId"))
            theirs = [s for s in self._sockets if str(s.person_id) == person]
            if not theirs:
                return
            now = await self._load_actor(theirs[0].person_id)
            for socket in theirs:
                if socket.actor != now:
                    await self._close(socket, RECONNECT, "authority changed")

    async def _close_where(self, which: Callable[[Socket], bool], code: int, reason: str) -> None:
        for socket in [s for s in self._sockets if which(s)]:
            await self._close(socket, code, reason)

    async def _close(self, socket: Socket, code: int, reason: str) -> None:
        await self.unregister(socket)
        try:
            await socket.close(code, reason)
        except Exception:  # already gone
            log.debug("socket already closed", exc_info=True)

    async def _sweeper(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_every)
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("socket sweep failed", extra={"error": repr(error)})

    async def sweep(self) -> None:
        """Close the sockets whose session ended; renew the others' leases."""
        live = list(self._sockets)
        if not live:
            return
        alive = await sessions.alive(self._redis, [s.session for s in live])
        expires = time.time() + self._lease
        async with self._redis.pipeline(transaction=False) as pipe:
            for socket in live:
                if socket.session in alive:
                    pipe.zadd(_LEASES + str(socket.person_id), {socket.member: expires})
            await pipe.execute()
        for socket in live:
            if socket.session not in alive:
                await self._close(socket, SIGNED_OUT, "session ended")
