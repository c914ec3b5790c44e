"""The application factory: health checks, the GraphQL endpoint and the web app's files."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api import gc_tuning, logs, worker
from api.client_address import ClientAddressMiddleware
from api.downloads import ROUTES as DOWNLOAD_ROUTES
from api.graphql_view import GraphQLView
from api.ledger_export import ROUTES as LEDGER_ROUTES
from api.photos import ROUTES as PHOTO_ROUTES
from api.settings import Settings, get_settings
from api.state import AppState
from schema.bounds import DocumentBounds
from schema.build import Limits, build_schema
from schema.context import drain_relays
from services.notices import jobs

log = logging.getLogger("gridpoints")

WEB = Path(__file__).resolve().parent.parent / "web"


def web_directory(settings: Settings) -> Path | None:
    """The folder served at ``/``: the setting, else the built app, else the placeholder page."""
    candidates = [settings.web_dir] if settings.web_dir else [WEB / "dist", WEB / "public"]
    return next((path for path in candidates if (path / "index.html").exists()), None)


async def healthz(request: Request) -> Response:
    """The process is up (no dependency is checked)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """PostgreSQL and Redis both answer within a second."""
    state: AppState = request.app.state.gridpoints
    checks: dict[str, str] = {}

    async def database() -> None:
        async with state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    for name, probe in (("postgres", database), ("redis", state.redis.ping)):
        try:
            await asyncio.wait_for(probe(), timeout=1.0)
            checks[name] = "ok"
        except Exception as error:  # any failure means "not ready"
            log.warning("readiness check failed", extra={"check": name, "error": repr(error)})
            checks[name] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", **checks}, 200 if ready else 503
    )


class RefuseUnnamablePaths:
    """A URL path with a NUL (``%00``) or text that is not UTF-8 names nothing: 404 before any
    route sees it (PostgreSQL's text cannot hold a NUL, the file system refuses it in a name:
    both failed as 500s). Issue 13, item 6."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not _namable(scope.get("path", "")):
            if scope["type"] == "http":
                await Response(status_code=404)(scope, receive, send)
            else:  # refuse the handshake
                await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)


def _namable(path: str) -> bool:
    if "\x00" in path:
        return False
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def create_app(settings: Settings | None = None, *, database_url: str, redis_url: str) -> Starlette:
    """Build the app for already-resolved URLs (migrations and embedded servers happen before)."""
    settings = settings or get_settings()
    state = AppState.open(settings, database_url, redis_url)
    schema = build_schema(
        Limits(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_cost=settings.max_cost,
            document=DocumentBounds(
                max_directives=settings.max_directives,
                max_fragments=settings.max_fragments,
                max_repeats=settings.max_field_repeats,
                max_variables=settings.max_variables,
                max_arguments=settings.max_arguments,
            ),
            introspection=settings.introspection,
            response_cache=settings.response_cache,
        )
    )
    graphql = GraphQLView(
        state,
        schema=schema,
        graphql_ide="graphiql" if settings.graphiql else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),  # the one with our limits
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout),
        max_subscriptions_per_connection=settings.ws_max_subscriptions,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.start()
        background = (
            asyncio.create_task(
                worker.run(
                    state.sessions,
                    state.redis,
                    interval=settings.worker_interval,
                    store=settings.photo_store,
                )
            )
            if settings.worker_interval > 0
            else None
        )
        queue = (
            asyncio.create_task(
                jobs.supervise(
                    lambda: jobs.make_app(state.job_runtime(), state.database_url),
                    concurrency=settings.jobs_concurrency,
                )
            )
            if settings.jobs_concurrency > 0
            else None
        )
        try:
            yield
        finally:
            for task in (background, queue):
                if task is not None:
                    task.cancel()
            if queue is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await queue  # its jobs' sessions end before the engine closes
            await drain_relays()
            await state.close()

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        *PHOTO_ROUTES,
        *LEDGER_ROUTES,
        *DOWNLOAD_ROUTES,
    ]
    web = web_directory(settings)
    if web is not None:
        routes.append(Mount("/", StaticFiles(directory=web, html=True), name="web"))
    else:
        log.warning("no web app found: / is not served", extra={"looked_in": str(WEB)})
    client_addresses = Middleware(ClientAddressMiddleware, proxies=settings.trusted_proxy_networks)
    middleware = [Middleware(RefuseUnnamablePaths), client_addresses]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.gridpoints = state
    return app


def from_environment() -> Starlette:
    """One of ``gridpoints serve --workers N``'s processes: the parent resolved the URLs (and
    started any embedded server) and put them in the environment."""
    settings = get_settings()
    logs.configure(settings.log_level, json_lines=settings.json_logs)
    settings.configure_passwords()
    database_url, redis_url = settings.database_url, settings.redis_url
    if not database_url or not redis_url:
        raise RuntimeError("DATABASE_URL and REDIS_URL must be set (gridpoints serve sets both)")
    application = create_app(settings, database_url=database_url, redis_url=redis_url)
    gc_tuning.tune()
    return application
