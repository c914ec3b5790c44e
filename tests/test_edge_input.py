"""Edge input at the HTTP layer (issue 13, item 6): a body that is not a request, bytes that are
not UTF-8, a lone UTF-16 surrogate, variables nested 50,000 deep and a NUL in a URL path are each
a 4xx with a typed code in the caller's language, never a 500 and never ``INTERNAL``."""

from __future__ import annotations

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from schema.build import build_schema
from services.orgs.models import Household
from tests.support import Api, World, gid

NODE = "query($id: ID!) { node(id: $id) { id } }"
CREATE = (
    "mutation($i: HouseholdCreateInput!) {"
    " householdCreate(input: $i) { household { id } errors { code field } } }"
)
JSON = {"content-type": "application/json"}


def create_body(grid: str, address_json: str) -> bytes:
    """A householdCreate request whose address is ``address_json`` as written in the JSON."""
    variables = {"i": {"gridId": grid, "address": "@@"}}
    body = orjson.dumps({"query": CREATE, "variables": variables})
    return body.replace(b'"@@"', f'"{address_json}"'.encode())


def refused(reply: httpx.Response, code: str, status: int = 400) -> str:
    """The typed refusal: status, code, and its message (returned for the language checks)."""
    assert reply.status_code == status, reply.text
    error = reply.json()["errors"][0]
    assert error["extensions"]["code"] == code
    assert "Traceback" not in reply.text
    return str(error["message"])


@pytest.mark.parametrize("body", [b"42", b'"x"', b"null", b"true", b"3.5", b"{"])
async def test_a_body_that_is_not_a_request_object(api: Api, body: bytes) -> None:
    reply = await api.client.post("/graphql", content=body, headers=JSON)
    assert refused(reply, "INVALID_REQUEST").startswith("请求格式不正确")
    english = await api.client.post(
        "/graphql", content=body, headers={**JSON, "accept-language": "en"}
    )
    assert refused(english, "INVALID_REQUEST").startswith("Malformed request")


async def test_a_list_body_is_a_4xx_batching_being_off(api: Api) -> None:
    for body in (b"[]", b"[1]", b'[{"query": "{ __typename }"}]'):
        reply = await api.client.post("/graphql", content=body, headers=JSON)
        assert reply.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ __typename }\xff"}',
        b'{"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": "\xc3("}}',
    ],
)
async def test_a_body_that_is_not_utf8(api: Api, body: bytes) -> None:
    reply = await api.client.post("/graphql", content=body, headers=JSON)
    refused(reply, "INVALID_ENCODING")


@pytest.mark.parametrize(
    "query_string",
    [
        "query=%7B__typename%7D%FF",
        'query=query($id:ID!){node(id:$id){id}}&variables={"id":"%FF%FE"}',
        "query=%7B__typename%7D%00",
    ],
)
async def test_a_query_string_that_is_not_utf8(api: Api, query_string: str) -> None:
    reply = await api.client.get("/graphql?" + query_string)
    refused(reply, "INVALID_ENCODING")


async def test_a_lone_surrogate_in_a_variable_changes_nothing(
    api: Api, world: World, session: AsyncSession
) -> None:
    token = await api.sign_in(world.phones["admin"])
    before = await session.scalar(select(func.count()).select_from(Household))
    grid = gid("OrgUnit", world.units["A"])
    for escape in ("\\ud800", "\\udfff", "x\\udc00y"):
        body = create_body(grid, escape)
        reply = await api.client.post(
            "/graphql", content=body, headers={**JSON, "authorization": f"Bearer {token}"}
        )
        refused(reply, "INVALID_ENCODING")
    get = await api.client.get(
        '/graphql?query=query($id:ID!){node(id:$id){id}}&variables={"id":"\\ud800"}'
    )
    refused(get, "INVALID_ENCODING")
    assert await session.scalar(select(func.count()).select_from(Household)) == before


async def test_a_well_paired_surrogate_is_an_ordinary_character(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["admin"])
    grid = gid("OrgUnit", world.units["A"])
    body = create_body(grid, "\\ud83d\\ude00 1号")
    reply = await api.client.post(
        "/graphql", content=body, headers={**JSON, "authorization": f"Bearer {token}"}
    )
    assert reply.json()["data"]["householdCreate"]["errors"] == []


async def test_a_lone_surrogate_from_any_transport_is_refused_before_execution() -> None:
    """The schema's own guard, for transports that decode JSON more leniently than ours."""
    result = await build_schema().execute(NODE, variable_values={"id": "\ud800"})
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "INVALID_ENCODING", "field": "input"}


@pytest.mark.parametrize(
    ("opening", "closing"), [(b"[", b"]"), (b'{"a":', b"}"), (b'[{"a":', b"}]")]
)
async def test_variables_nested_50000_deep(api: Api, opening: bytes, closing: bytes) -> None:
    depth = 50_000
    value = opening * depth + b"1" * (opening != b"[") + closing * depth
    body = b'{"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": %s}}'
    reply = await api.client.post("/graphql", content=body % value, headers=JSON)
    refused(reply, "TOO_DEEP")


async def test_variables_nested_past_the_schema_are_refused_before_coercion(api: Api) -> None:
    """1,000 levels pass the JSON decoder's bound; the schema's guard stops them."""
    nested: object = 1
    for _ in range(40):
        nested = [nested]
    reply = await api(NODE, {"id": nested})
    assert reply.error_codes == ["TOO_DEEP"]
    body = b'{"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": %s}}'
    deep = await api.client.post(
        "/graphql", content=body % (b"[" * 1000 + b"]" * 1000), headers=JSON
    )
    assert deep.status_code == 200
    assert deep.json()["errors"][0]["extensions"]["code"] == "TOO_DEEP"


@pytest.mark.parametrize(
    "path",
    [
        "/photos/%00",
        "/photos/abc%00",
        "/ledger/%00.json",
        "/ledger/C1%00.json",
        "/reports/assessment/%00/2024-01.csv",
        "/reports/assessment/C1/2024-01%00.pdf",
        "/certificates/%00.pdf",
        "/index%00.html",
        "/%00",
        "/assets/%00x.js",
        "/graphql%00",
    ],
)
async def test_a_nul_in_a_url_path_is_404(app: Starlette, path: str) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://gridpoints.test",
    ) as client:
        reply = await client.get(path)
    assert reply.status_code == 404, (path, reply.status_code, reply.text)
