"""The ``graphql-transport-ws`` socket with our limits: who may hold one, how many, how long.

- A process holds at most ``ws_max_sockets`` sockets (signed in or not yet); the next is closed
  with 1013 "try again later", which the web app's client retries.
- ``connection_init`` must carry a live session token (subscriptions are all personal): without
  one the socket closes with 4401. A person holds at most ``ws_max_sockets_per_person`` sockets
  across every replica (:mod:`services.events.sockets`); the next closes with 4429.
- A socket carries at most ``ws_max_subscriptions`` operations; the next ``subscribe`` gets an
  ``error`` message with ``extensions.code`` TOO_MANY_SUBSCRIPTIONS, the socket stays open.
- The socket closes (4401) when its session is revoked, and asks the client to reconnect (4403)
  when the person's roles change.
- A subscription whose answer is the same for its whole audience joins the process's feed for
  it (:mod:`schema.fanout`): executed once, encoded once, sent to every member.

Close reasons and errors are in the socket's language (``Accept-Language`` of the upgrade).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from starlette import websockets as starlette_websockets
from starlette.websockets import WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from schema import fanout
from schema.context import Context
from services.errors import ErrorCode
from services.events import sockets as live
from services.i18n import message as localized

if TYPE_CHECKING:
    from schema.fanout import Feeds
    from services.events.sockets import Socket, Sockets

log = logging.getLogger("gridpoints.events")
SEND_TIMEOUT = 10.0  # seconds a client may leave a message unread before its socket closes
# Starlette's error for a send after the close (its own name from 1.x; a RuntimeError before)
SocketClosed: type[Exception] = getattr(starlette_websockets, "WebSocketDisconnected", RuntimeError)
MAX_ID_LENGTH = 256  # characters of an operation id (the web app's are a few)
OBJECT_OR_NULL = (dict, type(None))


def malformed(message: object) -> str | None:
    """Why a frame is not a graphql-transport-ws message (None: it is one, as far as its shape
    goes). Strawberry indexes into the frame as if it were: a JSON array, a number or a
    subscribe whose payload is not an object raised inside the handler and the socket died
    with 1006 and a traceback in the log (bench/fuzz edges, issue 13 item 6). The protocol's
    answer is a close with 4400."""
    if not isinstance(message, dict):
        return "Message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "Message type must be a string"
    if kind in ("connection_init", "ping", "pong"):
        return None if isinstance(message.get("payload"), OBJECT_OR_NULL) else "Invalid payload"
    if kind not in ("subscribe", "complete"):
        return None  # unknown types: Strawberry's own 4400
    ident = message.get("id")
    if not isinstance(ident, str) or not 0 < len(ident) <= MAX_ID_LENGTH:
        return f"Operation id must be a string of 1 to {MAX_ID_LENGTH} characters"
    if kind == "complete":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "Subscribe payload must be an object with a query"
    if not isinstance(payload.get("variables"), OBJECT_OR_NULL) or not isinstance(
        payload.get("extensions"), OBJECT_OR_NULL
    ):
        return "Variables and extensions must be objects"
    if not isinstance(payload.get("operationName"), str | None):
        return "Operation name must be a string"
    return None


def _reason(text: str) -> str:
    """A close reason fits in 123 bytes of UTF-8 (the WebSocket frame's limit)."""
    encoded = text.encode()
    return text if len(encoded) <= 123 else encoded[:123].decode(errors="ignore")


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    _socket: Socket | None = None

    @property
    def sockets(self) -> Sockets:
        return self.view.state.sockets  # type: ignore[attr-defined, no-any-return]

    @property
    def feeds(self) -> Feeds:
        return self.view.feeds  # type: ignore[attr-defined, no-any-return]

    def _text(self, code: ErrorCode, **params: Any) -> str:
        return _reason(localized(code, self.context.language, params))

    async def handle(self) -> None:
        sockets = self.sockets
        if not sockets.admit():
            await self.websocket.close(live.BUSY, self._text(ErrorCode.SERVER_BUSY))
            return
        try:
            await super().handle()
        finally:
            sockets.release()
            if self._socket is not None:
                await sockets.unregister(self._socket)
            await self.context.between_events()

    async def handle_message(self, message: Message) -> None:
        problem = malformed(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        """Strawberry's, with the session checked and the socket counted before the ack."""
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            await self.websocket.close(code=4400, reason="Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.websocket.close(code=4429, reason="Too many initialisation requests")
            return
        self.connection_init_received = True
        self.context.connection_params = payload
        token = self.context.session_token()
        actor = await self.context.actor() if token else None
        await self.context.between_events()  # the lookup's connection goes back to the pool
        if actor is None or token is None:
            await self.websocket.close(live.SIGNED_OUT, self._text(ErrorCode.UNAUTHENTICATED))
            return
        socket = await self.sockets.register(actor, token, self.websocket.close)
        if socket is None:
            limit = self.sockets.per_person
            await self.websocket.close(
                live.TOO_MANY, self._text(ErrorCode.TOO_MANY_SOCKETS, max=limit)
            )
            return
        self._socket = socket
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True

    async def send_message(self, message: Message) -> None:
        """A client that stops reading holds its subscriptions' sends (and their database
        sessions) for at most ``SEND_TIMEOUT``; then its socket closes (1013: try again).

        A socket already closed (by the client, or by a 4400 while other operations were still
        answering) takes nothing more: the operation ends quietly, where Strawberry logged it as
        an exception in its task (bench/fuzz edges, issue 13 item 6)."""
        try:
            await asyncio.wait_for(super().send_message(message), SEND_TIMEOUT)
        except (WebSocketDisconnected, SocketClosed):
            log.debug("socket closed before an answer could be sent")
        except TimeoutError:
            log.info("socket closed: the client stopped reading")
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.websocket.close(live.BUSY, self._text(ErrorCode.SUBSCRIPTION_TOO_SLOW)),
                    1.0,
                )

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """A feed's member when the subscription is one (:mod:`schema.fanout`), else
        Strawberry's own execution for this socket."""
        actor = await self.context.actor()
        key = (
            self.feeds.key_for(
                operation.query,
                operation.variables,
                operation.operation_name,
                actor=actor,
                language=self.context.language,
            )
            if actor is not None
            else None
        )
        if key is None:
            await super().run_operation(operation)
            return
        try:
            async with self.feeds.join(key, self.context.for_feed) as answers:
                async for answer in answers:
                    if isinstance(answer, fanout.Refused):
                        await operation.send_operation_message(
                            {"id": operation.id, "type": "error", "payload": answer.errors}
                        )
                        return
                    await self._send_encoded(fanout.encode_next(operation.id, answer))
        except fanout.TooSlow:
            code = ErrorCode.SUBSCRIPTION_TOO_SLOW
            error = GraphQLError(message_for(self.context, code), extensions={"code": code.name})
            await operation.send_operation_message(
                {"id": operation.id, "type": "error", "payload": [error.formatted]}
            )
            return
        except (WebSocketDisconnect, SocketClosed):  # the socket closed under this member
            log.debug("socket closed before an answer could be sent")
            return
        await operation.send_operation_message({"id": operation.id, "type": "complete"})

    async def _send_encoded(self, data: bytes) -> None:
        """An already encoded message (bytes, as :meth:`send_message` sends them), with the
        same bound on a client that stops reading."""
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                await self.websocket.ws.send_bytes(data)  # type: ignore[attr-defined]
        except TimeoutError:
            log.info("socket closed: the client stopped reading")
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.websocket.close(live.BUSY, self._text(ErrorCode.SUBSCRIPTION_TOO_SLOW)),
                    1.0,
                )
            raise WebSocketDisconnect(live.BUSY) from None

    def forget_id(self, id: str) -> None:
        """An operation that completes as its socket closes was already forgotten by the
        shutdown: Strawberry's ``del`` raised KeyError in the task (bench/fuzz edges)."""
        self.operations.pop(id, None)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        limit = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and limit is not None
            and message["id"] not in self.operations
            and len(self.operations) >= limit
        ):
            code = ErrorCode.TOO_MANY_SUBSCRIPTIONS
            await self.send_message(
                {
                    "id": message["id"],
                    "type": "error",
                    "payload": [
                        {
                            "message": message_for(self.context, code, max=limit),
                            "extensions": {"code": code.name},
                        }
                    ],
                }
            )
            return
        await super().handle_subscribe(message)


def message_for(context: Context, code: ErrorCode, **params: Any) -> str:
    return localized(code, context.language, params)
