"""SQL statements per request, counted in-process (the app over httpx's ASGI transport with a
listener on its engine), and the redeem mutation's SQL captured for the pgbench replay."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

from api.app import create_app
from api.settings import Settings
from api.state import AppState
from schema.context import drain_relays

Captured = list[tuple[str, Any]]


RELAY = "FROM outbox_event"  # the relay's first statement (services.events.outbox.relay)


@contextmanager
def capturing(state: AppState) -> Iterator[Captured]:
    statements: Captured = []
    seen: list[tuple[Any, str, Any]] = []  # (connection, statement, parameters)

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        seen.append((conn, statement, parameters))  # held: no id is reused meanwhile

    engine = state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
        # the request's own statements (the actor's, then its transaction's), not those of the
        # outbox relay that its commit starts on another connection
        relays = {id(conn) for conn, statement, _ in seen if RELAY in statement}
        statements.extend((s, p) for conn, s, p in seen if id(conn) not in relays)


class InProcess:
    """The app without a server, for counting what each request sends to PostgreSQL."""

    def __init__(self, database_url: str, redis_url: str) -> None:
        from api.embedded import normalize_database_url

        self.app = create_app(
            Settings(worker_interval=0, graphiql=False),
            database_url=normalize_database_url(database_url),
            redis_url=redis_url,
        )
        self.state: AppState = self.app.state.gridpoints
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://bench"
        )

    async def close(self) -> None:
        await self.client.aclose()
        await self.state.close()

    async def call(
        self, document: str, variables: dict[str, Any], token: str
    ) -> tuple[dict[str, Any], Captured]:
        await drain_relays()  # nothing of an earlier request runs meanwhile
        with capturing(self.state) as statements:
            answer = await self.client.post(
                "/graphql",
                json={"query": document, "variables": variables},
                headers={"authorization": f"Bearer {token}"},
            )
        body: dict[str, Any] = answer.json()
        return body, list(statements)


def is_transaction_control(statement: str) -> bool:
    head = statement.lstrip().split(None, 1)[0].upper()
    return head in {"SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"}


def count(statements: Captured) -> dict[str, int]:
    control = sum(1 for s, _ in statements if is_transaction_control(s))
    return {"statements": len(statements) - control, "savepoint_statements": control}


def fresh_uuids(statements: Captured) -> list[uuid.UUID]:
    """UUIDs made during the request (version 4; the city's own ids are version 0)."""
    found: list[uuid.UUID] = []
    for _, parameters in statements:
        for value in _flat(parameters):
            if isinstance(value, uuid.UUID) and value.version == 4 and value not in found:
                found.append(value)
            if isinstance(value, str):
                for part in _uuid_texts(value):
                    if part.version == 4 and part not in found:
                        found.append(part)
    return found


def _flat(parameters: Any) -> Iterator[Any]:
    if isinstance(parameters, dict):
        yield from parameters.values()
    elif isinstance(parameters, list | tuple):
        for value in parameters:
            if isinstance(value, list | tuple):
                yield from value
            else:
                yield value
    elif parameters is not None:
        yield parameters


def _uuid_texts(text: str) -> Iterator[uuid.UUID]:
    import re

    for match in re.finditer(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text):
        yield uuid.UUID(match.group(0))
