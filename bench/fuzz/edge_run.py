"""Send the edge cases (:mod:`bench.fuzz.edges`, :mod:`bench.fuzz.edge_routes`) to the harness's
API processes and judge every answer.

A violation is an HTTP status of 500 or more, a connection the server dropped, an error coded
``INTERNAL`` or worded "Internal server error" (in any answer, over HTTP or on a socket), an
error without a code, an edge value answered with data and no error (a lone surrogate, a NUL,
a date outside the calendar, a reversed range, 50,000 levels: :data:`MUST_REFUSE`), a socket
closed with 1006 or 1011 (or with a code the protocol does not name) or left open where the
protocol closes it, and any traceback or error-level record in the API processes' logs while
the cases ran.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench.fuzz.edge_routes import ACCEPTED_CLOSES, INIT, WS_SCRIPTS
from bench.fuzz.edges import Case

INTERNAL = re.compile(r'"INTERNAL"|internal server error', re.IGNORECASE)
LOG_PROBLEM = re.compile(r'Traceback|"level": ?"(error|critical)"|\bERROR\b|Exception in ASGI')
CONCURRENCY = 6
UNTYPED = "(no code)"
SAMPLES = 8  # answers kept per class for the report
MUST_REFUSE = frozenset({"surrogate", "nul", "calendar", "reversed", "deep", "encoding"})


@dataclass
class Tally:
    """Cases and their outcomes, by class and by target."""

    cases: Counter[str] = field(default_factory=Counter)  # class -> cases
    by_target: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    accepted: Counter[str] = field(default_factory=Counter)  # answered with data, no error
    codes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    accepted_samples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    untyped_samples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    reversed_detail: list[str] = field(default_factory=list)  # every reversed range's codes
    violations: list[dict[str, Any]] = field(default_factory=list)
    violation_count: Counter[str] = field(default_factory=Counter)

    def add(self, case: Case, outcome: str, problems: list[str], answer: str) -> None:
        self.cases[case.cls] += 1
        self.by_target[case.target][case.cls] += 1
        self.statuses[case.cls][outcome] += 1
        if problems:
            self.violation_count[case.cls] += 1
            if len(self.violations) < 60:
                self.violations.append(
                    {
                        "class": case.cls,
                        "target": case.target,
                        "slot": case.slot,
                        "value": case.value,
                        "role": case.role,
                        "url": case.url[:300],
                        "problems": problems,
                        "answer": answer[:1500],
                    }
                )


def judge_http(status: int, text: str) -> list[str]:
    problems = []
    if status >= 500:
        problems.append(f"status {status}")
    if INTERNAL.search(text):
        problems.append("internal error")
    return problems


def error_codes(text: str) -> list[str]:
    """The codes an answer refused with: its GraphQL errors' and its payloads' typed errors."""
    try:
        answer = json.loads(text)
    except ValueError:
        return []
    if not isinstance(answer, dict):
        return []
    found = [
        str((e.get("extensions") or {}).get("code") or e.get("code") or UNTYPED)
        for e in answer.get("errors") or []
        if isinstance(e, dict)
    ]
    data = answer.get("data")
    for value in data.values() if isinstance(data, dict) else []:
        if isinstance(value, dict):
            found += [str(e.get("code")) for e in value.get("errors") or [] if isinstance(e, dict)]
    return found


def _accepted(status: int, text: str) -> bool:
    if status != 200 or '"errors"' in text:
        return False
    try:
        answer = json.loads(text)
    except ValueError:
        return True  # a file
    data = answer.get("data") if isinstance(answer, dict) else None
    return not (isinstance(data, dict) and any(_typed_errors(v) for v in data.values()))


def _typed_errors(value: Any) -> bool:
    return isinstance(value, dict) and bool(value.get("errors"))


async def send_http(
    urls: list[str], tokens: dict[str, str | None], cases: Iterable[tuple[Case, str]], tally: Tally
) -> None:
    """Each (case, role) once, spread over the API processes."""
    queue: asyncio.Queue[tuple[int, Case, str]] = asyncio.Queue()
    for n, (case, role) in enumerate(cases):
        queue.put_nowait((n, case, role))
    limits = httpx.Limits(max_connections=CONCURRENCY * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                n, case, role = queue.get_nowait()
                token = tokens.get(role)
                headers = dict(case.headers)
                if case.method == "POST" and case.url.startswith("/graphql") and not headers:
                    headers["content-type"] = "application/json"
                if token:
                    headers["authorization"] = f"Bearer {token}"
                url = urls[n % len(urls)] + case.url
                sent = Case(**{**case.__dict__, "role": role})
                try:
                    request = client.build_request(
                        case.method, httpx.URL(url), content=case.body or None, headers=headers
                    )
                except httpx.InvalidURL:
                    tally.add(sent, "unsendable", [], "")  # the client refuses it: not a case
                    continue
                try:
                    reply = await client.send(request)
                except httpx.HTTPError as error:
                    tally.add(sent, "dropped", [f"connection: {error!r}"], "")
                    continue
                text = reply.text
                problems = judge_http(reply.status_code, text)
                accepted = _accepted(reply.status_code, text)
                if accepted and case.cls in MUST_REFUSE:
                    problems.append("accepted: answered with data and no error")
                codes = error_codes(text)
                if UNTYPED in codes:
                    problems.append("an error without a code")
                if accepted:
                    tally.accepted[case.cls] += 1
                    if len(tally.accepted_samples[case.cls]) < SAMPLES:
                        shown = f"{case.target} {case.slot}={case.value} as {role}: {case.url}"
                        tally.accepted_samples[case.cls].append(shown[:200])
                tally.codes[case.cls].update(codes)
                if case.cls == "reversed":
                    tally.reversed_detail.append(
                        f"{case.target} {case.slot} {case.value} as {role}: {sorted(set(codes))}"
                    )
                if UNTYPED in codes and len(tally.untyped_samples[case.cls]) < 8:
                    shown = f"{case.target} {case.slot}={case.value}: {text[:300]}"
                    tally.untyped_samples[case.cls].append(shown)
                tally.add(sent, str(reply.status_code), problems, text)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


# -- WebSocket ------------------------------------------------------------------------------


async def _script(
    base: str, token: str, frames: Iterable[str | bytes], expect_close: bool
) -> tuple[str, list[str], str]:
    """(outcome, problems, what the server sent) of one socket."""
    received: list[str] = []
    try:
        socket = await connect(
            base.replace("http", "ws", 1) + "/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            max_size=None,
            open_timeout=10,
        )
    except InvalidStatus as refused:
        status = refused.response.status_code
        problems = [f"handshake status {status}"] if status >= 500 else []
        return f"handshake {status}", problems, ""
    init = json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    code: int | None = None
    try:
        for frame in frames:
            await socket.send(init if frame == INIT else frame)
            if frame == INIT:
                received.append(str(await asyncio.wait_for(socket.recv(), 10)))
        await _drain(socket, received, 3.0 if expect_close else 1.0)
        if socket.close_code is None:
            await socket.close(1000)
            return "stayed open", [], "\n".join(received)
    except ConnectionClosed:
        pass
    finally:
        if socket.close_code is None:
            await socket.close(1000)
    frame_in = socket.protocol.close_rcvd
    code = frame_in.code if frame_in is not None else 1006
    problems = [] if code in ACCEPTED_CLOSES else [f"closed {code}"]
    text = "\n".join(received)
    if INTERNAL.search(text):
        problems.append("internal error")
    reason = frame_in.reason if frame_in is not None else ""
    return f"closed {code}", problems, f"{text}\nclose {code} {reason}"


async def _drain(socket: ClientConnection, received: list[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = await asyncio.wait_for(socket.recv(), left)
        except TimeoutError:
            return
        received.append(str(message)[:2000])


async def send_ws(base: str, token: str, tally: Tally, replays: list[Case]) -> None:
    """Every script of :data:`WS_SCRIPTS`, a handshake on odd paths, and ``replays``: GraphQL
    edge cases sent as ``subscribe`` messages on signed-in sockets."""
    for script in WS_SCRIPTS:
        outcome, problems, text = await _script(base, token, script.frames, script.expect_close)
        if script.expect_close and outcome == "stayed open":
            problems.append("stayed open: a close was due")
        tally.add(Case("ws", "WS /graphql", script.name, ""), outcome, problems, text)
    for odd in ("%00", "%FF", "%ED%A0%80"):
        outcome, problems, text = await _odd_path(base, odd)
        tally.add(Case("path", "WS /graphql", "after the path", odd), outcome, problems, text)
    batch = 20  # subscriptions a socket carries at most, a few under the server's limit
    for start in range(0, len(replays), batch):
        group = replays[start : start + batch]
        frames: list[str | bytes] = [INIT]
        for n, case in enumerate(group):
            query = json.dumps(case.document)
            payload = f'{{"query": {query}, "variables": {case.variables_json}}}'
            frames.append(f'{{"id": "{n}", "type": "subscribe", "payload": {payload}}}')
        outcome, problems, text = await _script(base, token, frames, False)
        for case in group:
            tally.add(
                Case("ws", case.target, case.slot, case.value, role="ws:" + case.cls),
                outcome,
                problems,
                text,
            )


async def _odd_path(base: str, odd: str) -> tuple[str, list[str], str]:
    try:
        socket = await connect(
            base.replace("http", "ws", 1) + "/graphql" + odd,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            open_timeout=10,
        )
    except InvalidStatus as refused:
        status = refused.response.status_code
        return f"handshake {status}", [f"handshake status {status}"] if status >= 500 else [], ""
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else 1006
        return f"closed {code}", [] if code in ACCEPTED_CLOSES else [f"closed {code}"], ""
    await socket.close()
    return "opened", [], ""


# -- the servers' logs ----------------------------------------------------------------------


def log_offsets(paths: list[Path]) -> dict[Path, int]:
    return {p: p.stat().st_size if p.exists() else 0 for p in paths}


def log_problems(offsets: dict[Path, int]) -> list[str]:
    """Lines with a traceback or an error-level record written since ``offsets``."""
    found: list[str] = []
    for path, offset in offsets.items():
        with path.open("rb") as log:
            log.seek(offset)
            for line in log.read().decode("utf-8", "replace").splitlines():
                if LOG_PROBLEM.search(line):
                    found.append(f"{path.name}: {line[:4000]}")
    return found


# -- the phase ------------------------------------------------------------------------------

GRAPHQL_ROLES = ("community_admin", "street_admin", "grid_worker", "resident", "anonymous")
ROUTE_ROLES = ("community_admin", "anonymous")
ANONYMOUS_ONLY = {"Mutation.signOut", "Mutation.passwordChange"}  # they end the session


def plan(
    field_cases: list[Case], route_cases: list[Case], *, smoke: bool
) -> list[tuple[Case, str]]:
    """(case, role) pairs: in the smoke run every case once, as a community admin (the session
    enders anonymously); in the full run GraphQL cases as five roles and routes as two (the
    50,000-level bodies once each: they never reach a resolver)."""
    graphql_roles = GRAPHQL_ROLES[:1] if smoke else GRAPHQL_ROLES
    route_roles = ROUTE_ROLES[:1] if smoke else ROUTE_ROLES
    pairs: list[tuple[Case, str]] = []
    for case in field_cases:
        if case.target in ANONYMOUS_ONLY:
            pairs.append((case, "anonymous"))
        elif case.cls == "deep":
            pairs.append((case, graphql_roles[0]))
        else:
            pairs += [(case, role) for role in graphql_roles]
    for case in route_cases:
        if case.role is not None or case.cls == "deep":
            pairs.append((case, case.role or route_roles[0]))
        else:
            pairs += [(case, role) for role in route_roles]
    return pairs


def ws_replays(field_cases: list[Case], *, smoke: bool) -> list[Case]:
    """GraphQL edge cases to send again over the socket: per field, the first of each class
    (the smoke run: the first surrogate and calendar case of each field)."""
    seen: set[tuple[str, str]] = set()
    chosen: list[Case] = []
    for case in field_cases:
        if case.cls == "deep" or not case.document or case.target in ANONYMOUS_ONLY:
            continue
        if smoke and case.cls not in ("surrogate", "calendar"):
            continue
        if (case.target, case.cls) not in seen:
            seen.add((case.target, case.cls))
            chosen.append(case)
    return chosen


def summary(
    tally: Tally, log_lines: list[str], seconds: float, fields: int, routes: int
) -> dict[str, Any]:
    return {
        "cases": sum(tally.cases.values()),
        "by_class": dict(sorted(tally.cases.items())),
        "outcomes_by_class": {
            k: dict(sorted(v.items())) for k, v in sorted(tally.statuses.items())
        },
        "accepted_by_class": dict(sorted(tally.accepted.items())),
        "accepted_samples": dict(sorted(tally.accepted_samples.items())),
        "untyped_samples": dict(sorted(tally.untyped_samples.items())),
        "reversed_ranges": sorted(tally.reversed_detail),
        "error_codes_by_class": {
            k: dict(v.most_common(12)) for k, v in sorted(tally.codes.items())
        },
        "violations_by_class": dict(sorted(tally.violation_count.items())),
        "violations": sum(tally.violation_count.values()),
        "first_violations": tally.violations,
        "server_log_problems": len(log_lines),
        "first_server_log_problems": log_lines[:30],
        "by_target": {k: dict(sorted(v.items())) for k, v in sorted(tally.by_target.items())},
        "fields": fields,
        "routes": routes,
        "seconds": round(seconds, 1),
        "passed": not tally.violation_count and not log_lines,
    }
