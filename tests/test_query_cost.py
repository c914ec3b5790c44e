"""The cost limit (schema/cost.py) and the document bounds checked before validation
(schema/bounds.py): refused before any SQL, priced in every answer's extensions."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import DocumentNode, FragmentDefinitionNode, OperationDefinitionNode, parse

from api.state import AppState
from schema.bounds import DocumentBounds, excess
from schema.build import Limits, build_schema
from schema.cost import DEFAULT_BUDGET, LIST_SIZES, list_size, lists_of_objects, query_cost
from tests.support import Api, World
from tests.test_query_count import counting

NESTED = (
    "orgUnits(first: 100) { nodes { children(first: 100) { nodes { children(first: 100) { nodes {"
    " households(first: 100) { nodes { members { id name } } } } } } } } }"
)
NESTED_ALIASES = "{ " + " ".join(f"a{n}: {NESTED}" for n in range(30)) + " }"
PAGED = (
    "query($n: Int!) { ...Units } fragment Units on Query { orgUnits(first: $n) { nodes {"
    " children(first: $n) { nodes { households(first: $n) { nodes { id } } } } } } }"
)
WEB = Path(__file__).resolve().parent.parent / "web" / "src" / "graphql"
SCHEMA = build_schema()._schema


async def test_nested_lists_over_the_budget_are_refused_before_any_sql(
    api: Api, world: World, state: AppState
) -> None:
    token = await api.sign_in(world.phones["admin"])
    with counting(state) as statements:
        reply = await api(NESTED_ALIASES, token=token, language="en")
    assert statements == []
    assert not reply.body.get("data"), reply.body
    assert reply.error_codes == ["QUERY_TOO_COSTLY"]
    error = reply.errors[0]
    cost = 30 * (1 + 100 * (2 + 100 * (2 + 100 * (2 + 100 * (1 + 10)))))
    assert error["extensions"]["cost"] == cost
    assert error["extensions"]["budget"] == DEFAULT_BUDGET
    assert f"up to {cost} objects" in error["message"]
    assert f"limit of {DEFAULT_BUDGET}" in error["message"]
    assert reply.body["extensions"]["cost"] == {"requested": cost, "budget": DEFAULT_BUDGET}
    chinese = await api(NESTED_ALIASES, token=token, language="zh-CN")
    assert f"{cost} 个对象" in chinese.errors[0]["message"]
    assert str(DEFAULT_BUDGET) in chinese.errors[0]["message"]


async def test_variables_and_fragments_are_priced(api: Api, world: World, state: AppState) -> None:
    token = await api.sign_in(world.phones["admin"])
    with counting(state) as statements:
        refused = await api(PAGED, {"n": 100}, token=token)
    assert statements == []
    assert refused.error_codes == ["QUERY_TOO_COSTLY"]
    assert refused.errors[0]["extensions"]["cost"] == 1 + 100 * (2 + 100 * (2 + 100))
    answered = await api(PAGED, {"n": 5}, token=token)
    assert answered.data["orgUnits"]["nodes"], answered.body
    requested = 1 + 5 * (2 + 5 * (2 + 5))
    assert answered.body["extensions"]["cost"] == {"requested": requested, "budget": DEFAULT_BUDGET}


async def test_every_answer_reports_its_cost(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    me = await api("{ me { id household { members { id } } } }", token=token)
    assert me.data["me"]["id"]
    assert me.body["extensions"]["cost"] == {"requested": 1 + 1 + 10, "budget": DEFAULT_BUDGET}
    default_page = await api(
        "{ households { nodes { id } pageInfo { hasNextPage } } }", token=token
    )
    assert default_page.body["extensions"]["cost"]["requested"] == 1 + 20 + 1
    signed_out = await api("mutation { signOut { signedOut errors { code } } }", token=token)
    assert signed_out.data["signOut"]["signedOut"] is True
    assert signed_out.body["extensions"]["cost"] == {"requested": 1 + 10, "budget": DEFAULT_BUDGET}


DIRECTIVES = "{ me " + "@skip(if: false) " * 500 + "{ id } }"
REPEATS = "{ me { " + "household { id address } " * 300 + "} }"
FRAGMENTS = " ".join(f"fragment F{n} on Person {{ id }}" for n in range(60))
FRAGMENTS += " { me { " + " ".join(f"...F{n}" for n in range(60)) + " } }"
SHORT_DIRECTIVES = "{ me " + "@include(if: true) " * 60 + "{ id } }"  # under 2,000 characters
VARIABLES = "query(" + " ".join(f"$v{n}: Int" for n in range(60)) + ") { me { id } }"
ARGUMENTS = "{ me(" + " ".join(f"a{n}: 1" for n in range(30)) + ") { id } }"


@pytest.mark.parametrize(
    ("query", "part", "count"),
    [
        (DIRECTIVES, "directives", 500),
        (SHORT_DIRECTIVES, "directives", 60),
        (REPEATS, "repeats", 300),
        (FRAGMENTS, "fragments", 120),
        (VARIABLES, "variables", 60),
        (ARGUMENTS, "arguments", 30),
    ],
)
async def test_documents_over_the_bounds_are_refused_before_validation(
    api: Api, world: World, state: AppState, query: str, part: str, count: int
) -> None:
    """One typed error, ours: validation would have answered with up to 100 of its own."""
    token = await api.sign_in(world.phones["admin"])
    with counting(state) as statements:
        reply = await api(query, token=token, language="en")
    assert statements == []
    assert not reply.body.get("data"), reply.body
    assert reply.error_codes == ["QUERY_TOO_COMPLEX"], reply.body
    assert reply.errors[0]["extensions"]["part"] == part
    assert reply.errors[0]["extensions"]["count"] == count
    assert f": {count}, at most" in reply.errors[0]["message"]


async def test_bounds_speak_the_requests_language(api: Api) -> None:
    reply = await api(SHORT_DIRECTIVES, language="zh-CN")
    assert reply.errors[0]["message"] == "查询中的指令过多：60 个，最多 50 个。"


def _web_operations() -> list[tuple[str, DocumentNode]]:
    documents = [parse(path.read_text()) for path in sorted(WEB.glob("*.graphql"))]
    fragments = [
        d for doc in documents for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
    ]
    return [
        (d.name.value if d.name else "", DocumentNode(definitions=(d, *fragments)))
        for doc in documents
        for d in doc.definitions
        if isinstance(d, OperationDefinitionNode)
    ]


def test_every_web_app_operation_fits_the_budget_with_room_to_spare() -> None:
    """Priced without variables: every page at MAX_FIRST, the worst the web app can ask."""
    operations = _web_operations()
    assert len(operations) > 80
    for name, document in operations:
        assert query_cost(SCHEMA, document, name) <= DEFAULT_BUDGET // 3, name
        assert excess(document, DocumentBounds()) is None, name


def test_every_list_of_objects_has_a_bound_and_every_bound_a_list() -> None:
    lists = set(lists_of_objects(SCHEMA))
    assert {name for name in lists if list_size(*name.split(".")) is None} == set()
    assert set(LIST_SIZES) - lists == set()


async def test_the_budget_is_a_setting() -> None:
    schema = build_schema(Limits(max_cost=50))
    result = await schema.execute("{ households(first: 50) { nodes { id } } }")
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "QUERY_TOO_COSTLY", "cost": 51, "budget": 50}
    assert result.extensions == {"cost": {"requested": 51, "budget": 50}}


async def test_a_costly_subscription_is_refused_before_it_subscribes() -> None:
    query = (
        "subscription { myRedemptionChanged { person { roles { unit { children(first: 100) {"
        " nodes { households(first: 100) { nodes { members { id } } } } } } } } } }"
    )
    stream = await build_schema().subscribe(query)
    result = stream if not hasattr(stream, "__anext__") else await stream.__anext__()
    assert result.errors is not None
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions["code"] == "QUERY_TOO_COSTLY"
    requested = 1 + 1 + 10 * (1 + 1 + 1 + 100 * (1 + 1 + 100 * (1 + 10)))
    assert result.errors[0].extensions["cost"] == requested


async def test_pricing_comes_before_validation_and_survives_a_fragment_cycle(api: Api) -> None:
    costly_and_invalid = await api(NESTED_ALIASES.replace("{ id name }", "{ id nope }"))
    assert costly_and_invalid.error_codes == ["QUERY_TOO_COSTLY"]
    cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { me { id } ...A }"
    reply = await api(cycle, language="en")
    assert reply.errors and "Cannot spread fragment 'A'" in reply.errors[0]["message"]
    assert reply.body["extensions"]["cost"]["requested"] == 1
