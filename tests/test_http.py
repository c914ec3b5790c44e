"""GraphQL over HTTP: media types and status codes, as clients expect them."""

from __future__ import annotations

from tests.support import Api

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_graphql_response_json_gets_its_media_type(api: Api) -> None:
    reply = await api.client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert reply.json() == {
        "data": {"me": None},
        "extensions": {"cost": {"requested": 1, "budget": 10_000}},
    }


async def test_validation_error_is_400_without_data_for_graphql_response_json(api: Api) -> None:
    reply = await api.client.post(
        "/graphql", json={"query": "{ nope }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert reply.status_code == 400
    body = reply.json()
    assert "data" not in body
    assert "Cannot query field 'nope'" in body["errors"][0]["message"]


async def test_plain_json_clients_keep_200(api: Api) -> None:
    reply = await api.client.post("/graphql", json={"query": "{ nope }"})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json()["data"] is None


async def test_json_is_utf8_not_escaped(api: Api) -> None:
    reply = await api.client.post("/graphql", json={"query": "{ households { nodes { id } } }"})
    assert "请先登录" in reply.text


async def test_unparseable_body_is_400(api: Api) -> None:
    reply = await api.client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert reply.status_code == 400


async def test_mutations_are_refused_over_get(api: Api) -> None:
    reply = await api.client.get("/graphql", params={"query": "mutation { signOut { signedOut } }"})
    assert reply.status_code in (400, 405)
