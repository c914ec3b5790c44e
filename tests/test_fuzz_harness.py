"""The edge-input fuzz (``bench/fuzz/edges.py``, ``edge_routes.py``) covers every field and route
of the schema and app as they are today, so a new field or route cannot escape it (issue 13,
item 6). In process, no server: the schema's own introspection and the app's route table.

The expectations are computed here independently of the generator, from graphql-core's types.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    introspection_from_schema,
)

from api.app import create_app
from api.settings import Settings
from bench.fuzz import edge_routes, edge_run, edges
from schema.build import build_schema

DATE_LIKE = {"Date": "date", "DateTime": "datetime", "Time": "time"}
# input objects (or argument lists) with two or more date-like siblings that are not a range
NOT_RANGES: dict[str, set[str]] = {}


def _graphql() -> GraphQLSchema:
    return build_schema()._schema


@pytest.fixture(scope="module")
def introspection() -> dict[str, Any]:
    return dict(introspection_from_schema(_graphql()))


@pytest.fixture(scope="module")
def cases(introspection: dict[str, Any]) -> list[edges.Case]:
    return edges.cases(introspection)


def _unwrap(kind: Any) -> Any:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind


def _leaves(kind: GraphQLInputType, name: str, depth: int = 0) -> list[tuple[str, str]]:
    """(leaf name, scalar name) under an argument, through input objects and lists."""
    base = _unwrap(kind)
    if isinstance(base, GraphQLScalarType):
        return [(name, base.name)]
    if isinstance(base, GraphQLInputObjectType) and depth < edges.MAX_INPUT_DEPTH:
        return [leaf for sub, f in base.fields.items() for leaf in _leaves(f.type, sub, depth + 1)]
    return []


def _expected() -> dict[str, set[str]]:
    """label -> the classes its arguments admit."""
    schema = _graphql()
    expected: dict[str, set[str]] = {}
    roots = {"Query": schema.query_type, "Mutation": schema.mutation_type}
    roots["Subscription"] = schema.subscription_type
    for root_name, root in roots.items():
        assert root is not None
        for field_name, field in root.fields.items():
            classes = {"deep"}
            for arg_name, arg in field.args.items():
                for leaf, scalar in _leaves(arg.type, arg_name):
                    lowered = leaf.lower()
                    if scalar in ("String", "ID"):
                        classes |= {"surrogate", "nul"}
                    if scalar in DATE_LIKE or (
                        (scalar == "String" and lowered.endswith("month"))
                        or (scalar == "Int" and lowered.endswith(("year", "month")))
                    ):
                        classes.add("calendar")
            expected[f"{root_name}.{field_name}"] = classes
    return expected


def _covered(cases: list[edges.Case]) -> dict[str, set[str]]:
    covered: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        covered[case.target].add(case.cls)
    return covered


def test_every_field_gets_every_class_its_arguments_admit(cases: list[edges.Case]) -> None:
    expected = _expected()
    covered = _covered(cases)
    assert len(expected) > 100
    missing = {
        label: classes - covered.get(label, set())
        for label, classes in expected.items()
        if classes - covered.get(label, set())
    }
    assert missing == {}
    with_dates = {label for label, classes in expected.items() if "calendar" in classes}
    assert with_dates == {label for label, classes in covered.items() if "calendar" in classes}
    assert len(with_dates) >= 25  # the schema's dates, months and years today


def test_every_calendar_leaf_gets_every_edge(introspection: dict[str, Any]) -> None:
    schema = edges.Schema(introspection)
    for field in schema.fields():
        field_cases = list(edges.field_cases(schema, field, edges.IdPool()))
        for leaf in schema.leaves(field):
            if leaf.kind not in edges.CALENDAR_KINDS:
                continue
            slot = ".".join(leaf.path)
            values = {c.value for c in field_cases if c.cls == "calendar" and c.slot == slot}
            assert len(values) == len(edges.EDGES[leaf.kind]), (field.label, slot)
    assert {"0001-01-01", "9999-12-31", "2026-13-01", "2026-00-10"} <= set(edges.EDGES["date"])
    assert {0, 1, 9999, 10000} <= set(edges.EDGES["year"])
    assert {0, 13} <= set(edges.EDGES["month_int"])


def test_every_range_is_reversed(introspection: dict[str, Any]) -> None:
    """Every input object (and argument list) with two date-like siblings of one scalar gets a
    reversed range, unless listed in NOT_RANGES."""
    schema = _graphql()
    places: dict[str, set[str]] = {}
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        for field_name, field in root.fields.items():
            by_scalar: dict[str, set[str]] = defaultdict(set)
            for arg_name, arg in field.args.items():
                base = _unwrap(arg.type)
                if isinstance(base, GraphQLScalarType) and base.name in DATE_LIKE:
                    by_scalar[base.name].add(arg_name)
            places |= {f"{field_name}({s})": names for s, names in by_scalar.items()}
    for type_name, kind in schema.type_map.items():
        if isinstance(kind, GraphQLInputObjectType):
            by_scalar = defaultdict(set)
            for name, f in kind.fields.items():
                base = _unwrap(f.type)
                if isinstance(base, GraphQLScalarType) and base.name in DATE_LIKE:
                    by_scalar[base.name].add(name)
            places |= {f"{type_name}.{s}": names for s, names in by_scalar.items()}
    ranged = {name for name, siblings in places.items() if len(siblings) >= 2}
    generated = edges.Schema(introspection)
    pairs = {
        (start.path[-1], end.path[-1])
        for field in generated.fields()
        for start, end in generated.ranges(field)
    }
    for place in ranged - set(NOT_RANGES):
        assert any({a, b} <= places[place] for a, b in pairs), place
    assert len(pairs) >= 6


def test_every_field_case_is_sent_in_the_smoke_run(cases: list[edges.Case]) -> None:
    smoke = edge_run.plan(cases, [], smoke=True)
    assert {c.target for c, _ in smoke} == {c.target for c in cases}
    assert len(smoke) == len(cases)
    full = edge_run.plan(cases, [], smoke=False)
    assert len(full) > 3 * len(cases)


def test_surrogates_are_written_as_json_escapes(cases: list[edges.Case]) -> None:
    surrogate = next(c for c in cases if c.cls == "surrogate")
    assert (
        b"\\ud800" in surrogate.body or b"\\udfff" in surrogate.body or b"\\udc00" in surrogate.body
    )
    deep = next(c for c in cases if c.cls == "deep")
    assert deep.body.count(b"[") >= edges.DEEP_LEVELS or deep.body.count(b"{") >= 25_000


@pytest.fixture(scope="module")
def routes() -> list[edge_routes.RouteInfo]:
    """The app's route table (built, never started: nothing connects)."""
    app = create_app(
        Settings(),
        database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none",
        redis_url="redis://127.0.0.1:9/0",
    )
    return edge_routes.routes(app.routes)


def test_every_route_is_classified_and_fuzzed(routes: list[edge_routes.RouteInfo]) -> None:
    paths = {r.path for r in routes}
    assert paths <= edge_routes.NO_MONTH_ROUTES | set(edge_routes.MONTH_ROUTES), (
        "a new route: say in bench/fuzz/edge_routes.py whether a parameter holds a month"
    )
    samples = {"unit_code": "C1", "name": "2026-05.csv"}
    cases = list(edge_routes.path_cases(routes, samples))
    for route in routes:
        if route.methods == ("WS",):
            continue
        mine = [c for c in cases if c.target.endswith(" " + route.path)]
        slots = {c.slot for c in mine}
        assert slots >= (set(route.params) or {"after the path"}), route
        assert any("%00" in c.url for c in mine), route
    months = list(edge_routes.month_route_cases(routes, samples))
    for path in edge_routes.MONTH_ROUTES:
        if path in paths:
            shown = {c.value for c in months if c.target == f"GET {path}"}
            assert {"0001-01", "9999-12", "2026-13", "2026-00"} <= shown


def test_bodies_and_sockets() -> None:
    bodies = list(edge_routes.body_cases())
    raws = {c.body for c in bodies}
    assert {b"42", b'"x"', b"null", b"[]", b"true", b"{", b"\xff\xfe"} <= raws
    assert {c.cls for c in bodies} >= {"body", "encoding", "deep"}
    names = " ".join(s.name for s in edge_routes.WS_SCRIPTS)
    for wanted in ("garbage", "binary", "non-object", "unknown message type", "huge id"):
        assert wanted in names
    assert "subscribe before connection_init" in names


def test_the_judge(tmp_path: Path) -> None:
    assert edge_run.judge_http(500, "") == ["status 500"]
    assert edge_run.judge_http(200, '{"errors": [{"extensions": {"code": "INTERNAL"}}]}')
    assert edge_run.judge_http(200, '{"errors": [{"message": "Internal Server Error"}]}')
    assert edge_run.judge_http(400, '{"errors": [{"extensions": {"code": "INVALID_VALUE"}}]}') == []
    log = tmp_path / "api1-1.log"
    log.write_text("fine\n")
    offsets = edge_run.log_offsets([log])
    with log.open("a") as f:
        f.write('{"level": "error", "message": "boom"}\nTraceback (most recent call last):\n')
    assert len(edge_run.log_problems(offsets)) == 2
