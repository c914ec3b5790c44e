"""Hostile queries are refused before any SQL runs, even with a valid token (bench/fuzz measures
their time over HTTP; this proves the "no database" part in the suite)."""

from __future__ import annotations

import pytest

from api.state import AppState
from tests.support import Api, World
from tests.test_query_count import counting

DEEP = "{ me { household { grid { " + "parent { " * 20 + "id" + " }" * 20 + " } } } }"
ALIASES = "{ " + " ".join(f"a{n}: __typename" for n in range(1000)) + " }"
MANY_TOKENS = "{ " + " ".join(f"a{n}: me {{ id }}" for n in range(1000)) + " }"
SIGN_IN = 'signIn(input: {phone: "13800000000", password: "x"}) { token }'
INTROSPECTION = (
    "{ __schema { types { fields { type { " + "ofType { " * 12 + "name" + " }" * 16 + " }"
)
DIRECTIVES = "{ me " + "@skip(if: false) " * 1000 + "{ id } }"
ALIASED_SIGN_INS = "mutation { " + " ".join(f"s{n}: {SIGN_IN}" for n in range(100)) + " }"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (DEEP, None),
        (ALIASES, None),
        (MANY_TOKENS, None),
        (ALIASED_SIGN_INS, None),
        (INTROSPECTION, None),
        (DIRECTIVES, None),
        ("{ households(first: 1000000) { nodes { id } } }", None),
        ("{ households(first: -1) { nodes { id } } }", None),
        ("query($n: Int!) { households(first: $n) { nodes { id } } }", {"n": 10_000}),
        ("query($n: Int = 500) { orders(first: $n) { nodes { id } } }", None),
        (
            "{ me { household { members { roles { unit { children(first: 101) { nodes { id } } } } } } } }",
            None,
        ),
    ],
)
async def test_refused_without_touching_the_database(
    api: Api, world: World, state: AppState, query: str, variables: dict[str, int] | None
) -> None:
    token = await api.sign_in(world.phones["admin"])
    with counting(state) as statements:
        reply = await api(query, variables, token=token)
    assert reply.status < 500
    assert reply.errors, reply.body
    assert not reply.body.get("data"), reply.body
    assert statements == []


async def test_page_size_refusal_is_the_resolvers_own(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    reply = await api("{ households(first: 101) { nodes { id } } }", token=token, language="en")
    assert reply.error_codes == ["FIRST_OUT_OF_RANGE"]
    assert reply.errors[0]["extensions"]["field"] == "first"
    fine = await api("query($n: Int = 100) { households(first: $n) { nodes { id } } }", token=token)
    assert not fine.errors, fine.body


async def test_batched_sign_ins_are_refused(api: Api, state: AppState) -> None:
    batch = [{"query": f"mutation {{ {SIGN_IN} }}"} for _ in range(100)]
    with counting(state) as statements:
        reply = await api.client.post("/graphql", json=batch)
    assert 400 <= reply.status_code < 500
    assert statements == []


async def test_a_long_document_within_the_limits_is_answered(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    fields = " ".join(f"a{n}: me {{ name }}" for n in range(25))
    text = "x" * 3000
    tricky = 'o: orders(category: "{ a: b: c: { { #", first: 1) { nodes { id } }'
    query = f"# {text}\n{{ {fields} {tricky} }}"
    reply = await api(query, token=token)
    assert not reply.errors, reply.body
    assert len(reply.data) == 26


async def test_long_hostile_documents_are_refused_with_the_limits_messages(
    api: Api, world: World
) -> None:
    token = await api.sign_in(world.phones["admin"])
    reply = await api(ALIASES, token=token)
    assert reply.errors[0]["message"] == "1000 aliases found. Allowed: 30"
    reply = await api(MANY_TOKENS, token=token)
    assert "more than 4000 tokens" in reply.errors[0]["message"]
