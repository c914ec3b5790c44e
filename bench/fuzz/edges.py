"""Edge input for every field (issue 13, item 6): the cases, generated from the schema itself.

From an introspection result, every argument of every query, mutation and subscription field is
walked down through its input objects and lists to its leaves, and each leaf gets the cases its
type admits:

- ``surrogate``: a lone UTF-16 surrogate (``"\\ud800"`` as the JSON writes it) in every ``String``
  and ``ID``; ``nul``: a NUL character in the same leaves;
- ``calendar``: year 1, year 9999, year 0 and 10000, months 0 and 13, a 30th of February in every
  ``Date``, ``DateTime`` and ``Time``, every ``String`` named like a month (``YYYY-MM``) and
  every ``Int`` named ``year`` or ``month``;
- ``reversed``: a time range whose end is before its start, for every pair of siblings named as
  one (``startsAt``/``endsAt``, ``startsOn``/``endsOn``, ``firstDay``/``lastDay``,
  ``opens``/``closes``, ``checkedInAt``/``checkedOutAt``, ``startedAt``/``endedAt``...);
- ``deep``: variables nested 50,000 levels (lists, objects, both) once per field.

Every other argument carries a plain valid value of its type, so the case reaches as far as the
server lets it. The HTTP routes' and the WebSocket's cases are in :mod:`bench.fuzz.edge_routes`.
Nothing here needs a server: ``tests/test_fuzz_harness.py`` checks the coverage in process.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import get_introspection_query

INTROSPECTION = get_introspection_query()
TypeRef = dict[str, Any]  # an introspection type reference: {"kind", "name", "ofType"}
Path = tuple[str, ...]  # argument name, then input field names (lists are transparent)

SURROGATES = ("\ud800", "\udfff", "x\udc00y")
NULS = ("\x00", "a\x00b")
LITERALS = ("\\ud800", "x\\udfffy", "\\u0000")  # GraphQL string escapes, in the document
EDGES: dict[str, tuple[Any, ...]] = {
    "date": (
        "0001-01-01",
        "9999-12-31",
        "0000-01-01",
        "10000-01-01",
        "2026-13-01",
        "2026-00-10",
        "2026-02-30",
    ),
    "datetime": (
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+08:00",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-12:00",
        "0000-01-01T00:00:00Z",
        "10000-01-01T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-10T10:00:00+08:00",
    ),
    "time": ("24:00", "25:00", "-01:00", "12:60", "T"),
    "month": ("0001-01", "9999-12", "0000-01", "10000-01", "2026-13", "2026-00", "9999-13"),
    "year": (0, 1, 9999, 10000, -1, 2_147_483_647),
    "month_int": (0, 13, -1),
}
CALENDAR_KINDS = frozenset(EDGES)  # every value above is refused wherever it is sent
PLAIN: dict[str, Any] = {
    "date": "2026-06-01",
    "datetime": "2026-06-01T10:00:00+08:00",
    "time": "10:00",
    "month": "2026-05",
    "year": 2026,
    "month_int": 5,
}
REVERSED_KINDS = frozenset({"date", "datetime", "time", "month", "year"})


def reversed_values(kind: str, today: dt.date) -> list[tuple[Any, Any]]:
    """(start, end) with the end before the start: a month ahead (what is planned) and a few
    days back (what is recorded), so the range is the one thing wrong with it."""
    if kind == "time":
        return [("18:00", "08:00")]
    if kind == "month":
        return [(f"{today.year}-06", f"{today.year}-05")]
    if kind == "year":
        return [(today.year, today.year - 1)]
    found: list[tuple[Any, Any]] = []
    for day in (today + dt.timedelta(days=30), today - dt.timedelta(days=3)):
        if kind == "date":
            found.append((str(day + dt.timedelta(days=1)), str(day)))
        else:
            found.append((f"{day}T10:00:00+08:00", f"{day}T09:00:00+08:00"))
    return found


# a sibling named by the start word's counterpart is the range's end
RANGE_WORDS = (
    ("starts", "ends"),
    ("started", "ended"),
    ("start", "end"),
    ("opens", "closes"),
    ("first", "last"),
    ("checkedIn", "checkedOut"),
    ("from", "to"),
    ("since", "until"),
    ("begin", "end"),
)
DEEP_LEVELS = 50_000
DEEP_SHAPES = ("list", "object", "mixed")
MAX_INPUT_DEPTH = 6  # recursive input types: far enough to reach every leaf once
ROOTS = (("Query", "query"), ("Mutation", "mutation"), ("Subscription", "subscription"))


@dataclass(frozen=True)
class Leaf:
    path: Path
    scalar: str  # String, ID, Int, Date...
    kind: str  # "text", one of CALENDAR_KINDS, or "other"


@dataclass(frozen=True)
class Field:
    label: str  # "Mutation.orderCreate"
    operation: str  # query, mutation or subscription
    name: str
    args: tuple[tuple[str, TypeRef], ...]
    selection: str  # " { __typename errors { code field } }", or "" for a scalar


@dataclass(frozen=True)
class Case:
    cls: str  # surrogate, nul, calendar, reversed, deep, body, encoding, path, ws
    target: str  # a field's label or a route
    slot: str  # what is edged: a path in the arguments, a body's shape, a path parameter
    value: str  # the edge value, as written in the report
    body: bytes = b""
    method: str = "POST"
    url: str = "/graphql"
    headers: Mapping[str, str] = field(default_factory=dict)
    role: str | None = None  # the role it is sent as (None: the runner's default)
    document: str = ""  # for WebSocket replays: the operation and its variables' JSON
    variables_json: str = ""


def named(ref: TypeRef) -> TypeRef:
    while ref.get("ofType") is not None and ref["kind"] in ("NON_NULL", "LIST"):
        ref = ref["ofType"]
    return ref


def type_string(ref: TypeRef) -> str:
    if ref["kind"] == "NON_NULL":
        return type_string(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return "[" + type_string(ref["ofType"]) + "]"
    return str(ref["name"])


def leaf_kind(scalar: str, name: str) -> str:
    lowered = name.lower()
    if scalar in ("String", "ID"):
        return "month" if scalar == "String" and lowered.endswith("month") else "text"
    if scalar == "Int" and lowered.endswith("year"):
        return "year"
    if scalar == "Int" and lowered.endswith("month"):
        return "month_int"
    return {"Date": "date", "DateTime": "datetime", "Time": "time"}.get(scalar, "other")


class Schema:
    """The introspected schema's types, fields and their leaves."""

    def __init__(self, introspection: Mapping[str, Any]) -> None:
        data = introspection.get("data", introspection)
        data = data.get("__schema", data)
        self.types: dict[str, dict[str, Any]] = {t["name"]: t for t in data["types"]}

    def fields(self) -> list[Field]:
        found: list[Field] = []
        for root, operation in ROOTS:
            for f in (self.types.get(root) or {}).get("fields") or []:
                returned = named(f["type"])
                selection = ""
                if returned["kind"] in ("OBJECT", "INTERFACE", "UNION"):
                    selection = " { __typename" + self._errors(returned["name"]) + " }"
                found.append(
                    Field(
                        label=f"{root}.{f['name']}",
                        operation=operation,
                        name=f["name"],
                        args=tuple((a["name"], a["type"]) for a in f["args"]),
                        selection=selection,
                    )
                )
        return found

    def _errors(self, type_name: str) -> str:
        """A payload's typed errors, selected so that an answer shows whether it refused."""
        fields = {f["name"]: f for f in self.types[type_name].get("fields") or []}
        if "errors" not in fields:
            return ""
        error_type = self.types[named(fields["errors"]["type"])["name"]]
        names = {f["name"] for f in error_type.get("fields") or []}
        return " errors { " + " ".join(n for n in ("code", "field") if n in names) + " }"

    def input_fields(self, ref: TypeRef) -> list[tuple[str, TypeRef, bool]]:
        """(name, type, required) of an input object type."""
        definition = self.types[named(ref)["name"]]
        return [
            (f["name"], f["type"], f["type"]["kind"] == "NON_NULL" and f["defaultValue"] is None)
            for f in definition.get("inputFields") or []
        ]

    def leaves(self, fld: Field) -> list[Leaf]:
        found: list[Leaf] = []
        for name, ref in fld.args:
            found += self._leaves(ref, (name,), 0)
        return found

    def _leaves(self, ref: TypeRef, path: Path, depth: int) -> list[Leaf]:
        base = named(ref)
        if base["kind"] == "SCALAR":
            return [Leaf(path, base["name"], leaf_kind(base["name"], path[-1]))]
        if base["kind"] != "INPUT_OBJECT" or depth >= MAX_INPUT_DEPTH:
            return []
        found: list[Leaf] = []
        for name, sub, _ in self.input_fields(ref):
            found += self._leaves(sub, (*path, name), depth + 1)
        return found

    def ranges(self, fld: Field) -> list[tuple[Leaf, Leaf]]:
        """(start, end) leaf pairs: siblings of one kind named as a range."""
        leaves = [leaf for leaf in self.leaves(fld) if leaf.kind in REVERSED_KINDS]
        by_path = {leaf.path: leaf for leaf in leaves}
        pairs: list[tuple[Leaf, Leaf]] = []
        for leaf in leaves:
            *parent, name = leaf.path
            for start, end in RANGE_WORDS:
                if start in name:
                    other = by_path.get((*parent, name.replace(start, end, 1)))
                    if other is not None and other.kind == leaf.kind and other != leaf:
                        pairs.append((leaf, other))
                        break
        return pairs

    # -- values --------------------------------------------------------------------------

    def value(
        self, ref: TypeRef, name: str, overrides: Mapping[Path, Any], ids: IdPool, depth: int = 0
    ) -> Any:
        """A plain valid value of ``ref``, with the values of ``overrides`` (paths relative to
        it) in place."""
        if () in overrides:
            return overrides[()]
        if ref["kind"] == "NON_NULL":
            return self.value(ref["ofType"], name, overrides, ids, depth)
        if ref["kind"] == "LIST":
            return [self.value(ref["ofType"], name, overrides, ids, depth)]
        if ref["kind"] == "ENUM":
            return self.types[ref["name"]]["enumValues"][0]["name"]
        if ref["kind"] == "INPUT_OBJECT":
            result: dict[str, Any] = {}
            for sub_name, sub, required in self.input_fields(ref):
                inner = {p[1:]: v for p, v in overrides.items() if p and p[0] == sub_name}
                if required or inner:
                    result[sub_name] = self.value(sub, sub_name, inner, ids, depth + 1)
            return result
        return plain_scalar(ref["name"], name, ids)

    def request(
        self, fld: Field, overrides: Mapping[Path, Any], ids: IdPool
    ) -> tuple[str, dict[str, Any]]:
        """The operation calling ``fld`` with every required argument (and every overridden
        one) as a variable, and those variables."""
        declared: list[str] = []
        passed: list[str] = []
        variables: dict[str, Any] = {}
        for name, ref in fld.args:
            inner = {p[1:]: v for p, v in overrides.items() if p[0] == name}
            required = ref["kind"] == "NON_NULL"
            if not (required or inner):
                continue
            declared.append(f"${name}: {type_string(ref)}")
            passed.append(f"{name}: ${name}")
            variables[name] = self.value(ref, name, inner, ids)
        head = f"{fld.operation} Edge({', '.join(declared)})" if declared else fld.operation
        call = f"{fld.name}({', '.join(passed)})" if passed else fld.name
        return f"{head} {{ {call}{fld.selection} }}", variables


@dataclass
class IdPool:
    """Real global IDs by the argument's name (``communityId``) or type (``VolunteerOrder``)."""

    by_name: dict[str, str] = field(default_factory=dict)
    by_type: dict[str, list[str]] = field(default_factory=dict)
    turn: int = 0

    def pick(self, name: str) -> str:
        if name in self.by_name:
            return self.by_name[name]
        stem = re.sub(r"Ids?$", "", name)
        stem = ID_TYPES.get(stem, stem).lower()
        pools = [ids for t, ids in self.by_type.items() if ids and t.lower().endswith(stem)]
        if not pools and name == "id":
            pools = [ids for ids in self.by_type.values() if ids]
        if pools:
            self.turn += 1
            pool = pools[self.turn % len(pools)]
            return pool[self.turn % len(pool)]
        return "Tm9uZTowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA"  # None:0000...


ID_TYPES = {  # an argument's stem -> the node type its IDs name
    "order": "VolunteerOrder",
    "item": "AgendaItem",
    "meeting": "JointMeeting",
    "transfer": "LedgerTransfer",
    "session": "ServiceSession",
    "category": "DemandCategory",
    "assignment": "RoleAssignment",
}


def plain_scalar(scalar: str, name: str, ids: IdPool) -> Any:
    kind = leaf_kind(scalar, name)
    if kind in PLAIN:
        return PLAIN[kind]
    if scalar == "ID":
        return ids.pick(name)
    if scalar == "Int":
        return 5 if name in ("first", "last") else 1
    if scalar == "Float":
        return 1.0
    if scalar == "Boolean":
        return False
    return "fuzz"


def body(document: str, variables: Any) -> bytes:
    """The JSON body, lone surrogates written as ``\\udXXX`` escapes (as a client could)."""
    return json.dumps({"query": document, "variables": variables}, ensure_ascii=True).encode()


def deep_value(shape: str, levels: int = DEEP_LEVELS) -> bytes:
    if shape == "list":
        return b"[" * levels + b"]" * levels
    if shape == "object":
        return b'{"a":' * levels + b"1" + b"}" * levels
    return b'[{"a":' * (levels // 2) + b"1" + b"}]" * (levels // 2)


def field_cases(
    schema: Schema,
    fld: Field,
    ids: IdPool,
    *,
    deep_shapes: int = 3,
    today: dt.date | None = None,
) -> Iterator[Case]:
    """Every edge case of one field."""
    leaves = schema.leaves(fld)
    for leaf in leaves:
        slot = ".".join(leaf.path)
        edged: list[tuple[str, tuple[Any, ...]]] = []
        if leaf.kind in ("text", "month"):
            edged += [("surrogate", SURROGATES), ("nul", NULS)]
        if leaf.kind in CALENDAR_KINDS:
            edged.append(("calendar", EDGES[leaf.kind]))
        for cls, values in edged:
            for value in values:
                document, variables = schema.request(fld, {leaf.path: value}, ids)
                yield _case(cls, fld, slot, value, document, variables)
        if len(leaf.path) == 1 and leaf.kind in ("text", "month"):  # in the document itself
            for escape in LITERALS:
                document, variables = schema.request(fld, {leaf.path: "@@"}, ids)
                name = leaf.path[0]
                document = re.sub(rf"\${name}: [^,)]+(, )?", "", document, count=1)
                document = document.replace(f"{name}: ${name}", f'{name}: "{escape}"')
                document = document.replace(" Edge()", "")
                variables.pop(name)
                cls = "nul" if "0000" in escape else "surrogate"
                yield _case(cls, fld, slot + " (literal)", escape, document, variables)
    for start, end in schema.ranges(fld):
        for first, then in reversed_values(start.kind, today or dt.date.today()):
            document, variables = schema.request(fld, {start.path: first, end.path: then}, ids)
            slot = ".".join(start.path) + ">" + end.path[-1]
            yield _case("reversed", fld, slot, f"{first} > {then}", document, variables)
    document, variables = schema.request(fld, {}, ids)
    name = next(iter(variables), "unused")
    for shape in DEEP_SHAPES[:deep_shapes]:
        variables_json = json.dumps({**variables, name: "@@"}).encode()
        variables_json = variables_json.replace(b'"@@"', deep_value(shape))
        raw = b'{"query": %s, "variables": %s}' % (json.dumps(document).encode(), variables_json)
        yield Case("deep", fld.label, name, f"{DEEP_LEVELS} levels, {shape}", body=raw)


def _case(
    cls: str, fld: Field, slot: str, value: Any, document: str, variables: dict[str, Any]
) -> Case:
    return Case(
        cls,
        fld.label,
        slot,
        json.dumps(value),
        body=body(document, variables),
        document=document,
        variables_json=json.dumps(variables, ensure_ascii=True),
    )


def cases(
    introspection: Mapping[str, Any], ids: IdPool | None = None, *, deep_shapes: int = 3
) -> list[Case]:
    """Every edge case of every field of the schema."""
    schema = Schema(introspection)
    pool = ids or IdPool()
    return [
        c for f in schema.fields() for c in field_cases(schema, f, pool, deep_shapes=deep_shapes)
    ]
