"""Edge input outside the GraphQL arguments (issue 13, item 6): request bodies, URL paths of every
Starlette route, the download routes' months, and graphql-transport-ws frames.

- ``body``: JSON that is not an object (``42``, ``"x"``, ``null``, ``[]``, ``true``...), text that
  is not JSON, an empty body, odd content types; at ``POST /graphql``, ``GET /graphql`` and
  ``POST /photos``;
- ``encoding``: bytes that are not UTF-8 (and UTF-8's encoding of a surrogate) in those bodies;
- ``path``: a NUL (``%00``) and other odd bytes in every path parameter of every route (and
  after every fixed path, and in the query string of every ``GET`` route);
- ``calendar``: the month of every download route that takes one, at the calendar's ends;
- ``ws``: frames on ``/graphql`` (see :data:`WS_SCRIPTS`), each judged by its close code.

Routes come from the app's own route table (:func:`routes`), so a new route is fuzzed the day it
is added; :data:`MONTH_ROUTES` says which path parameter of which route is a month, and
``tests/test_fuzz_harness.py`` fails for a route it does not classify.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from bench.fuzz.edges import DEEP_LEVELS, EDGES, Case, deep_value

JSON = {"content-type": "application/json"}
NOT_OBJECTS = (b"42", b'"x"', b"null", b"[]", b"true", b"3.5", b"[1]", b'[{"query": "{ a }"}]')
NOT_JSON = (b"", b"{", b"query { __typename }", b"{'query': 1}", b"\x00", b"NaN", b'{"query"}')
NOT_REQUESTS = (  # objects, but not requests
    b'{"query": 42}',
    b'{"query": null}',
    b'{"query": ["{ __typename }"]}',
    b'{"query": "{ __typename }", "variables": 42}',
    b'{"query": "{ __typename }", "variables": "x"}',
    b'{"query": "{ __typename }", "variables": []}',
    b'{"query": "{ __typename }", "operationName": 5}',
    b'{"query": "{ __typename }", "extensions": "x"}',
    b"{}",
)
NOT_UTF8 = (
    b"\xff\xfe",
    b'{"query": "{ __typename }\xff"}',
    b'{"query": "{ __typename }", "variables": {"a": "\xc3("}}',
    b'{"query": "{ __typename }", "variables": {"a": "\xed\xa0\x80"}}',  # a surrogate, as UTF-8
    b'{"query": "{ __typename }", "variables": {"a": "\xf4\x90\x80\x80"}}',  # past U+10FFFF
    b'{"query": "\xc0\xaf"}',  # an overlong "/"
)
CONTENT_TYPES = ("application/json", "text/plain", "application/x-www-form-urlencoded", "")
QUERY_STRINGS = (
    "query=%7B__typename%7D%FF",
    "query=%7B__typename%7D%00",
    "query=%ED%A0%80",
    "query=%7B__typename%7D&variables=42",
    "query=%7B__typename%7D&variables=%5B%5D",
    "query=%7B__typename%7D&variables=%7B",
    'query=query($a:String){__typename}&variables={"a":"\\ud800"}',
    "query=",
    "variables=%7B%7D",
)
PATH_BYTES = (
    "%00",
    "a%00b",
    "%FF",
    "%C3%28",
    "%ED%A0%80",
    "%C0%AF",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%5c..%5cwin.ini",
    "%25",
    "%0d%0aX-Injected:%201",
    "%F0%9F%98%80",
    "%EF%BF%BF",
    "x" * 4000,
)
QUERY_BYTES = ("lang=%00", "lang=%FF", "lang=%ED%A0%80", "%00=1", "lang=" + "x" * 4000)
MONTH_TEXTS = (*EDGES["month"], "2026-5", "abcd-ef", "2026-05-01", "-2026-05", "")
# route path -> (the parameter holding a month, how the month is written in it)
MONTH_ROUTES = {"/reports/assessment/{unit_code}/{name}": ("name", ("{}.csv", "{}.pdf"))}
# routes whose parameters hold no date: the self-check fails for a route in neither
NO_MONTH_ROUTES = {
    "/healthz",
    "/readyz",
    "/graphql",
    "/photos",
    "/photos/{photo_id}",
    "/ledger/{code}.json",
    "/certificates/{certificate_id}.pdf",
    "/",
}


@dataclass(frozen=True)
class RouteInfo:
    path: str  # "/ledger/{code}.json"; "/" for the web app's mount
    methods: tuple[str, ...]  # HTTP methods, or ("WS",)
    params: tuple[str, ...]


def routes(app_routes: Iterable[Any]) -> list[RouteInfo]:
    """The app's routes (Starlette ``Route``, ``WebSocketRoute``, ``Mount``), as plain data."""
    found: list[RouteInfo] = []
    for route in app_routes:
        path = getattr(route, "path", "") or "/"
        params = tuple(re.findall(r"{([^}:]+)(?::[^}]+)?}", path))
        methods = getattr(route, "methods", None)
        if type(route).__name__ == "WebSocketRoute":
            found.append(RouteInfo(path, ("WS",), params))
        elif type(route).__name__ == "Mount":
            found.append(RouteInfo(path, ("GET",), params))
        else:
            found.append(
                RouteInfo(path, tuple(sorted(set(methods or ("GET",)) - {"HEAD"})), params)
            )
    return found


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"{([^}:]+)(?::[^}]+)?}", lambda m: values.get(m.group(1), "x"), path)


def body_cases(photo_role: str = "community_admin") -> Iterator[Case]:
    for raw in NOT_OBJECTS + NOT_JSON + NOT_REQUESTS:
        for content_type in CONTENT_TYPES:
            headers = {"content-type": content_type} if content_type else {}
            yield Case(
                "body", "POST /graphql", content_type or "none", _shown(raw), raw, headers=headers
            )
    for raw in NOT_UTF8:
        yield Case("encoding", "POST /graphql", "body", _shown(raw), raw, headers=JSON)
    for query in QUERY_STRINGS:
        cls = "encoding" if re.search("%(FF|ED|00)|ud800", query) else "body"
        yield Case(
            cls, "GET /graphql", "query string", query, method="GET", url="/graphql?" + query
        )
    deep = b'{"query": "{ __typename }", "variables": {"a": %s}}' % deep_value("list")
    yield Case("deep", "POST /graphql", "variables", f"{DEEP_LEVELS} levels", deep, headers=JSON)
    deep_query = b'{"query": %s}' % (b"[" * DEEP_LEVELS + b"]" * DEEP_LEVELS)
    yield Case("deep", "POST /graphql", "query", f"{DEEP_LEVELS} levels", deep_query, headers=JSON)
    for raw in (
        b"",
        b"42",
        b"null",
        b"\xff\xd8\xff\xe0garbage",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    ):
        for content_type in ("image/jpeg", "image/png", "application/json", ""):
            headers = {"content-type": content_type} if content_type else {}
            yield Case(
                "body",
                "POST /photos",
                content_type or "none",
                _shown(raw),
                raw,
                "POST",
                "/photos",
                headers,
                role=photo_role,
            )


def _shown(raw: bytes) -> str:
    return raw[:60].decode("latin-1").encode("unicode_escape").decode()


def path_cases(found: list[RouteInfo], samples: dict[str, str]) -> Iterator[Case]:
    """Odd bytes in every parameter of every route (the others filled with real ``samples``),
    after every fixed path, and in every GET route's query string."""
    for route in found:
        if route.methods == ("WS",):
            continue
        method = route.methods[0] if route.methods else "GET"
        target = f"{method} {route.path}"
        if route.params:
            for param in route.params:
                for odd in PATH_BYTES:
                    url = _fill(route.path, {**samples, param: odd})
                    yield Case("path", target, param, odd[:40], method=method, url=url)
        else:
            base = route.path.rstrip("/")
            forms = ("/{}", "/{}.html", "/assets/{}.js") if not base else ("{}", "/{}", "/{}.html")
            for odd in PATH_BYTES:
                for url in (base + form.format(odd) for form in forms):
                    yield Case("path", target, "after the path", odd[:40], method=method, url=url)
        if "GET" in route.methods:
            for odd in QUERY_BYTES:
                url = _fill(route.path, samples) + "?" + odd
                yield Case("path", target, "query string", odd[:40], method="GET", url=url)


def month_route_cases(found: list[RouteInfo], samples: dict[str, str]) -> Iterator[Case]:
    for route in found:
        if route.path not in MONTH_ROUTES:
            continue
        param, forms = MONTH_ROUTES[route.path]
        for month in MONTH_TEXTS:
            for form in forms:
                url = _fill(route.path, {**samples, param: form.format(month)})
                yield Case(
                    "calendar",
                    f"GET {route.path}",
                    param,
                    month or "(empty)",
                    method="GET",
                    url=url,
                )


# -- WebSocket ------------------------------------------------------------------------------

INIT = "@init"  # replaced by a connection_init carrying the session token
ACCEPTED_CLOSES = frozenset({1000, 1008, 1009, 1013, 4400, 4401, 4403, 4406, 4408, 4409, 4429})


@dataclass(frozen=True)
class WsScript:
    name: str
    frames: tuple[str | bytes, ...]  # sent in order; INIT is the signed-in connection_init
    expect_close: bool = True  # the server must close (else: it answers and stays open)


def _subscribe(payload: Any, ident: Any = "1") -> str:
    return json.dumps({"id": ident, "type": "subscribe", "payload": payload}, ensure_ascii=True)


def _deep_subscribe() -> str:
    head = '{"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }", "variables": '
    return head + '{"a": ' + deep_value("list").decode() + "}}}"


SUB = "subscription { myClaimChanged { id } }"
WS_SCRIPTS: tuple[WsScript, ...] = (
    WsScript("garbage text", ("not json at all",)),
    WsScript("garbage text after init", (INIT, "{{{")),
    WsScript("binary frame", (b"\x00\xff\xfe",)),
    WsScript("binary frame after init", (INIT, b'{"type": "ping"}')),
    *(WsScript(f"non-object JSON {raw}", (raw,)) for raw in ("42", '"x"', "null", "[]", "true")),
    *(WsScript(f"non-object JSON {raw} after init", (INIT, raw)) for raw in ("42", "[]", "null")),
    WsScript("unknown message type", (INIT, '{"type": "nope"}')),
    WsScript("message type not a string", (INIT, '{"type": 5}')),
    WsScript("no message type", (INIT, '{"id": "1"}')),
    WsScript("subscribe before connection_init", (_subscribe({"query": SUB}),)),
    WsScript("connection_init twice", (INIT, INIT)),
    *(
        WsScript(
            f"connection_init payload {p}", ('{"type": "connection_init", "payload": ' + p + "}",)
        )
        for p in ("42", '"x"', "[]", "true")
    ),
    WsScript(
        "connection_init, a lone surrogate as the token",
        ('{"type": "connection_init", "payload": {"Authorization": "Bearer \\ud800"}}',),
    ),
    WsScript("connection_init without a token", ('{"type": "connection_init"}',)),
    WsScript("huge id", (INIT, _subscribe({"query": SUB}, "x" * 200_000))),
    WsScript("id a number", (INIT, _subscribe({"query": SUB}, 5))),
    WsScript("id null", (INIT, _subscribe({"query": SUB}, None))),
    WsScript("id a lone surrogate", (INIT, _subscribe({"query": SUB}, "\ud800"))),
    WsScript("id with a NUL", (INIT, _subscribe({"query": SUB}, "a\x00b")), expect_close=False),
    WsScript("duplicate id", (INIT, _subscribe({"query": SUB}), _subscribe({"query": SUB}))),
    WsScript("subscribe payload not an object", (INIT, _subscribe(42))),
    WsScript("subscribe without a query", (INIT, _subscribe({}))),
    WsScript("subscribe with a query not a string", (INIT, _subscribe({"query": 42}))),
    WsScript(
        "subscribe, variables not an object", (INIT, _subscribe({"query": SUB, "variables": 42}))
    ),
    WsScript(
        "subscribe, a lone surrogate in the variables",
        (INIT, _subscribe({"query": SUB, "variables": {"a": "\ud800"}})),
        expect_close=False,
    ),
    WsScript(
        "subscribe, a NUL in the document",
        (INIT, _subscribe({"query": "subscription { myClaimChanged { id } } # \x00"})),
        expect_close=False,
    ),
    WsScript(
        "subscribe, a lone surrogate in the document",
        (INIT, _subscribe({"query": 'query { node(id: "\\ud800") { id } }'})),
        expect_close=False,
    ),
    WsScript(f"subscribe, variables nested {DEEP_LEVELS} deep", (INIT, _deep_subscribe())),
    WsScript(f"frame nested {DEEP_LEVELS} deep", (INIT, deep_value("object").decode())),
    WsScript("ping with a payload not an object", (INIT, '{"type": "ping", "payload": 42}')),
    WsScript(
        "complete for an unknown id",
        (INIT, '{"type": "complete", "id": "nope"}'),
        expect_close=False,
    ),
    WsScript("pong before init", ('{"type": "pong"}',), expect_close=False),
    WsScript(  # under the server's frame limit: an ordinary ping
        "a 2 MB frame",
        (INIT, '{"type": "ping", "payload": {"a": "' + "x" * 2_000_000 + '"}}'),
        expect_close=False,
    ),
)
