"""Bad input gets a typed error or a GraphQL validation error: never a 500, never a traceback."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.orgs.models import Household
from tests.support import Api, Response, World, gid

NODE = "query($id: ID!) { node(id: $id) { id } }"
UPDATE = """mutation($i: HouseholdUpdateInput!) {
  householdUpdate(input: $i) { household { address } errors { code field message } } }"""
CREATE = """mutation($i: HouseholdCreateInput!) {
  householdCreate(input: $i) { household { id } errors { code field message } } }"""


def assert_clean(reply: Response) -> None:
    """No server error and nothing that looks like a stack trace, SQL or a driver."""
    assert reply.status < 500
    text = str(reply.body)
    for leak in ("Traceback", 'File "', "sqlalchemy", "asyncpg", "SELECT ", "psycopg"):
        assert leak not in text, text


async def test_unknown_but_well_formed_id_is_null(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    reply = await api(NODE, {"id": gid("Household", uuid.uuid4())}, token=token)
    assert_clean(reply)
    assert reply.data["node"] is None


@pytest.mark.parametrize(
    "bad_id",
    ["", "not-base64!", "SG91c2Vob2xkOm5vdC1hLXV1aWQ", "QmFkVHlwZQ", "x" * 5000, "🙂"],
)
async def test_malformed_global_id_is_invalid_id(api: Api, world: World, bad_id: str) -> None:
    token = await api.sign_in(world.phones["admin"])
    reply = await api(NODE, {"id": bad_id}, token=token)
    assert_clean(reply)
    assert reply.error_codes == ["INVALID_ID"]
    assert reply.errors[0]["message"] == "编号格式不正确。"


async def test_id_of_the_wrong_type_in_a_mutation_is_typed(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    reply = await api(
        UPDATE, {"i": {"id": gid("Person", world.people["admin"]), "address": "x"}}, token=token
    )
    assert_clean(reply)
    assert reply.data["householdUpdate"]["errors"][0]["code"] == "INVALID_ID"
    assert reply.data["householdUpdate"]["errors"][0]["field"] == "id"


async def test_unknown_id_in_a_mutation_is_not_found(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    reply = await api(
        CREATE, {"i": {"gridId": gid("OrgUnit", uuid.uuid4()), "address": "x"}}, token=token
    )
    assert_clean(reply)
    assert reply.data["householdCreate"]["errors"] == [
        {"code": "NOT_FOUND", "field": "gridId", "message": "找不到该对象。"}
    ]


async def test_over_long_string_is_refused_and_changes_nothing(
    api: Api, world: World, session: AsyncSession
) -> None:
    token = await api.sign_in(world.phones["admin"])
    before = await session.scalar(select(func.count()).select_from(Household))
    reply = await api(
        CREATE,
        {"i": {"gridId": gid("OrgUnit", world.units["A"]), "address": "长" * 201}},
        token=token,
        language="en",
    )
    assert_clean(reply)
    assert reply.data["householdCreate"]["errors"] == [
        {"code": "TOO_LONG", "field": "address", "message": "Too long: at most 200 characters."}
    ]
    assert await session.scalar(select(func.count()).select_from(Household)) == before


async def test_wrong_types_are_validation_errors(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    for query, variables in (
        ('{ households(first: "many") { nodes { id } } }', None),
        (CREATE, {"i": {"gridId": 12, "address": ["a"]}}),
        ("{ households(first: 1) { nodes { nope } } }", None),
        ("{ households(first: 1) { ", None),
    ):
        reply = await api(query, variables, token=token)
        assert_clean(reply)
        assert reply.errors, reply.body
        assert reply.body.get("data") is None


@pytest.mark.parametrize("first", [101, 1_000_000, -1])
async def test_first_out_of_range_is_typed(api: Api, world: World, first: int) -> None:
    token = await api.sign_in(world.phones["admin"])
    reply = await api(
        "query($n: Int!) { households(first: $n) { nodes { id } } }", {"n": first}, token=token
    )
    assert_clean(reply)
    assert reply.error_codes == ["FIRST_OUT_OF_RANGE"]


async def test_first_beyond_int32_is_a_validation_error(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    reply = await api("{ households(first: 99999999999) { nodes { id } } }", token=token)
    assert_clean(reply)
    assert reply.errors
    assert reply.body.get("data") is None


async def test_forged_cursor_is_typed(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    for cursor in ("garbage", "WyJhIl0", "WyJhIiwiYiJd"):
        reply = await api(
            "query($c: String) { households(first: 1, after: $c) { nodes { id } } }",
            {"c": cursor},
            token=token,
        )
        assert_clean(reply)
        assert reply.error_codes == ["INVALID_CURSOR"]


async def test_keyset_pagination_walks_every_row_once(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    seen: list[str] = []
    after = None
    while True:
        reply = await api(
            "query($c: String) { households(first: 3, after: $c) { edges { node { address } cursor }"
            " pageInfo { hasNextPage endCursor } } }",
            {"c": after},
            token=token,
        )
        page = reply.data["households"]
        seen += [edge["node"]["address"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 4


async def test_deep_query_is_refused(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    deep = "{ me { community " + "{ parent " * 14 + "{ id }" + " }" * 14 + " } }"
    reply = await api(deep, token=token)
    assert_clean(reply)
    assert reply.errors
    assert "exceeds maximum operation depth" in reply.errors[0]["message"]


async def test_too_many_aliases_are_refused(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    query = "{ " + " ".join(f"a{n}: me {{ id }}" for n in range(100)) + " }"
    reply = await api(query, token=token)
    assert_clean(reply)
    assert reply.errors
    assert "aliases" in reply.errors[0]["message"]


async def test_too_many_tokens_are_refused_before_validation(api: Api) -> None:
    query = "{ " + "me { id } " * 3000 + "}"
    reply = await api(query)
    assert_clean(reply)
    assert reply.errors
    assert "token" in reply.errors[0]["message"].lower()


async def test_unexpected_errors_are_masked_and_localized(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.orgs import households

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(households, "list_households", broken)
    token = await api.sign_in(world.phones["admin"])
    reply = await api("{ households { nodes { id } } }", token=token, language="en")
    assert_clean(reply)
    assert reply.errors[0]["message"] == "Internal server error."
    assert reply.error_codes == ["INTERNAL"]
    assert "hunter2" not in str(reply.body)
