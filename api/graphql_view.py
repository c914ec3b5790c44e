"""The GraphQL endpoint: Strawberry's ASGI view with our context and GraphQL-over-HTTP answers.

A client that accepts ``application/graphql-response+json`` gets that media type, and a request
that fails before execution (syntax, validation) gets 400, as the GraphQL-over-HTTP spec asks;
``application/json`` clients get 200 as before.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api.state import AppState
from schema.context import Context
from schema.ws import TransportWSHandler
from services.i18n import negotiate

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

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = self.state
        client = request.client.host if request.client else "unknown"
        return Context(
            sessions=state.sessions,
            redis=state.redis,
            auth=state.auth,
            language=negotiate(request.headers.get("accept-language")),
            token=bearer_token(request.headers),
            client=client,
            engine=state.engine,
            headers=response.headers if isinstance(response, Response) else None,
            hub=state.hub,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

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
