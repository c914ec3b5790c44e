"""The GraphQL endpoint: Strawberry's ASGI view with our context and GraphQL-over-HTTP answers.

A client that accepts ``application/graphql-response+json`` gets that media type, and a request
that fails before execution (syntax, validation) gets 400, as the GraphQL-over-HTTP spec asks;
``application/json`` clients get 200 as before.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from api.client_address import client_of
from api.state import AppState
from schema.context import Context
from schema.fanout import Feeds
from schema.subscriptions import AUDIENCES
from schema.ws import TransportWSHandler
from services.errors import ErrorCode
from services.i18n import message, negotiate

GRAPHQL_RESPONSE = "application/graphql-response+json"


def bearer_token(headers: Any) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class GraphQLView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, state: AppState, **kwargs: Any) -> None:
        self.state = state
        super().__init__(**kwargs)
        self.feeds = Feeds(
            self.schema, AUDIENCES
        )  # subscriptions run once per audience (schema.fanout)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = self.state
        return Context(
            sessions=state.sessions,
            redis=state.redis,
            auth=state.auth,
            language=negotiate(request.headers.get("accept-language")),
            token=bearer_token(request.headers),
            client=client_of(request),
            engine=state.engine,
            headers=response.headers if isinstance(response, Response) else None,
            hub=state.hub,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    # Edge input (issue 13, item 6): a request no GraphQL parser should see is a typed 400.
    def decode_json(self, data: str | bytes) -> object:
        """orjson, not json: it refuses bytes that are not UTF-8, a lone UTF-16 surrogate
        escape (text PostgreSQL could not store) and nesting past 1,024 levels (json recursed
        until RecursionError) with a ``JSONDecodeError``: the caller's 400."""
        return orjson.loads(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            decoded = self.decode_json(data)
        except orjson.JSONDecodeError as error:
            text = str(error)
            if "UTF-8" in text or "surrogate" in text:
                raise BadRequest(ErrorCode.INVALID_ENCODING) from error
            if "depth" in text or "recursion" in text.lower():
                raise BadRequest(ErrorCode.TOO_DEEP, max=MAX_JSON_DEPTH) from error
            raise BadRequest(ErrorCode.INVALID_REQUEST) from error
        if not isinstance(decoded, dict | list):  # 42, "x", null, true: not a request
            raise BadRequest(ErrorCode.INVALID_REQUEST)
        return decoded

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Refuse what Strawberry would fail on or silently mangle, in the caller's language."""
        try:
            if isinstance(request, Request):
                _check_query_string(request)
            return await super().run(request, context, root_value)
        except BadRequest as refusal:
            language = negotiate(request.headers.get("accept-language"))
            shown = message(refusal.code, language, refusal.params)
            body = {"errors": [{"message": shown, "extensions": {"code": refusal.code.name}}]}
            return JSONResponse(body, 400)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        if GRAPHQL_RESPONSE in request.headers.get("accept", ""):
            sub_response.media_type = GRAPHQL_RESPONSE
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """For graphql-response+json, a request that never executed has no ``data`` entry."""
        processed = await super().process_result(request, result)
        never_executed = (
            result.data is None and result.errors and all(e.path is None for e in result.errors)
        )
        if never_executed and GRAPHQL_RESPONSE in request.headers.get("accept", ""):
            processed.pop("data", None)
        return processed

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if _all_unavailable(response_data):  # try again shortly: a server is out of reach
            response.status_code = 503
            response.headers["retry-after"] = "1"
        if sub_response.media_type == GRAPHQL_RESPONSE:
            response.headers["content-type"] = GRAPHQL_RESPONSE + "; charset=utf-8"
            if isinstance(response_data, dict) and "data" not in response_data:
                response.status_code = 400
        return response


MAX_JSON_DEPTH = 1024  # orjson's own bound


class BadRequest(HTTPException):
    """A request refused before GraphQL sees it: a typed code and its message's parameters."""

    def __init__(self, code: ErrorCode, **params: Any) -> None:
        super().__init__(400, code.name)
        self.code = code
        self.params = params


def _check_query_string(request: Request) -> None:
    """Starlette decodes a query string's percent escapes with replacement characters: bytes
    that are not UTF-8 would reach the parser as U+FFFD. Refuse them instead (and NUL)."""
    raw: bytes = request.scope.get("query_string") or b""
    if not raw:
        return
    try:
        decoded = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(ErrorCode.INVALID_ENCODING) from error
    if "\x00" in decoded:
        raise BadRequest(ErrorCode.INVALID_ENCODING)


def _all_unavailable(data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> bool:
    """Nothing answered, and only because PostgreSQL or Redis was out of reach."""
    if not isinstance(data, dict) or not data.get("errors"):
        return False
    answered = data.get("data")
    if isinstance(answered, dict) and any(value is not None for value in answered.values()):
        return False
    codes = [
        (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        for error in data.get("errors") or []
    ]
    return all(code == "UNAVAILABLE" for code in codes)
