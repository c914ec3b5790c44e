"""The WebSocket clients, in a process of their own: each one is a tab of the web app.

A client opens ``/graphql`` with the ``graphql-transport-ws`` subprotocol, sends its token in
``connection_init``, waits for the ack and sends the web app's six subscriptions (read from
``web/src/graphql/subscriptions.graphql``, so the documents are exactly the app's). Every
``next`` is recorded with the wall-clock time it arrived: (client, field, object id, time).
Nothing is checked here: :mod:`bench.subs.check` compares the deliveries with the outbox.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ROOT / "web" / "src" / "graphql" / "subscriptions.graphql"


def documents() -> dict[str, str]:
    """The web app's subscriptions: top-level field -> document, as the app sends them."""
    found: dict[str, str] = {}
    for line in DOCUMENTS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"subscription \w+ \{ (\w+) ", line)
        if match:
            found[match.group(1)] = line.strip()
    return found


def local_id(global_id: str) -> str:
    """``base64("Type:uuid")`` -> ``uuid`` (the outbox names objects by their uuid)."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        return base64.urlsafe_b64decode(padded).decode().split(":", 1)[1]
    except (ValueError, IndexError, UnicodeDecodeError):
        return global_id


@dataclass(frozen=True, slots=True)
class Spec:
    index: int
    token: str


@dataclass
class Outcome:
    """One client's life: its deliveries and anything that went wrong."""

    index: int
    acked: bool = False
    ack_s: float = 0.0  # connect to ack
    subscribed: int = 0
    errors: list[str] = field(default_factory=list)  # error messages, completes, closes
    closed_early: int | None = None  # close code when the server closed before we did
    deliveries: list[tuple[str, str, float]] = field(default_factory=list)


@dataclass
class Shared:
    """Counters the parent reads while the clients run."""

    acked: Synchronized[int]
    subscribed: Synchronized[int]
    failed: Synchronized[int]
    delivered: Synchronized[int]
    warm: Synchronized[int]  # clients that heard a warm-up goods


async def _client(
    url: str,
    spec: Spec,
    docs: dict[str, str],
    warm_goods: set[str],
    shared: Shared,
    stop: asyncio.Event,
    outcome: Outcome,
) -> None:
    fields = list(docs)
    warmed = False
    began = time.monotonic()
    socket: ClientConnection | None = None
    try:
        socket = await connect(
            url,
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            open_timeout=60,
            ping_interval=None,  # the protocol's own ping/pong; the server pings if it wants
            max_queue=None,
        )
        await socket.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {spec.token}"}}
            )
        )
        first = json.loads(await asyncio.wait_for(socket.recv(), 60))
        if first.get("type") != "connection_ack":
            raise RuntimeError(f"no ack: {first}")
        outcome.acked, outcome.ack_s = True, time.monotonic() - began
        with shared.acked.get_lock():
            shared.acked.value += 1
        for n, name in enumerate(fields, start=1):
            message = {"id": str(n), "type": "subscribe", "payload": {"query": docs[name]}}
            await socket.send(json.dumps(message))
        outcome.subscribed = len(fields)
        with shared.subscribed.get_lock():
            shared.subscribed.value += len(fields)
        reading = asyncio.ensure_future(socket.recv())
        stopping = asyncio.ensure_future(stop.wait())
        while True:
            done, _ = await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if stopping in done:
                reading.cancel()
                break
            raw = reading.result()
            reading = asyncio.ensure_future(socket.recv())
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "next":
                name = fields[int(message["id"]) - 1]
                data = (message.get("payload") or {}).get("data") or {}
                obj = local_id(str((data.get(name) or {}).get("id", "")))
                outcome.deliveries.append((name, obj, time.time()))
                with shared.delivered.get_lock():
                    shared.delivered.value += 1
                if not warmed and name == "stockChanged" and obj in warm_goods:
                    warmed = True
                    with shared.warm.get_lock():
                        shared.warm.value += 1
                if message.get("payload", {}).get("errors"):
                    outcome.errors.append(f"{name}: {message['payload']['errors']}"[:300])
            elif kind == "ping":
                await socket.send(json.dumps({"type": "pong"}))
            elif kind in ("error", "complete"):
                name = fields[int(message["id"]) - 1]
                outcome.errors.append(f"{kind} {name}: {message.get('payload')}"[:300])
    except websockets.ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else 1006
        outcome.closed_early = code
        outcome.errors.append(f"closed {code}: {closed.rcvd.reason if closed.rcvd else ''}")
    except Exception as error:  # refused, timed out: recorded, the run goes on
        outcome.errors.append(f"{type(error).__name__}: {error}"[:300])
    finally:
        if outcome.errors:
            with shared.failed.get_lock():
                shared.failed.value += 1
        if socket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(socket.close(), 5)


async def _run(
    url: str,
    specs: list[Spec],
    warm_goods: set[str],
    rate: float,
    shared: Shared,
    control: Connection,
) -> dict[str, Any]:
    docs = documents()
    stop = asyncio.Event()
    outcomes = [Outcome(spec.index) for spec in specs]
    cpu0, wall0 = time.process_time(), time.monotonic()
    tasks = []
    for spec, outcome in zip(specs, outcomes, strict=True):
        tasks.append(
            asyncio.create_task(_client(url, spec, docs, warm_goods, shared, stop, outcome))
        )
        await asyncio.sleep(1 / rate)  # a ramp, as tabs open: not 2,000 handshakes at once
    marks: dict[str, tuple[float, float]] = {"ramped": (time.process_time(), time.monotonic())}
    while True:  # the parent's marks (for the client's own CPU over each phase), then "stop"
        if not await asyncio.to_thread(control.poll, 0.5):
            continue
        label = str(control.recv())
        marks[label] = (time.process_time(), time.monotonic())
        if label == "stop":
            break
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "outcomes": [o.__dict__ for o in outcomes],
        "marks": {k: (v[0] - cpu0, v[1] - wall0) for k, v in marks.items()},
    }


def main(
    url: str,
    specs: list[Spec],
    warm_goods: list[str],
    rate: float,
    shared: Shared,
    control: Connection,
) -> None:
    """The process's entry point: run until the parent sends anything, send the results back."""
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        runner = asyncio.run
    result = runner(_run(url, specs, set(warm_goods), rate, shared, control))
    result["loop"] = "uvloop" if runner is not asyncio.run else "asyncio"
    control.send(result)
