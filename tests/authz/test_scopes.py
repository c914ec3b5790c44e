"""Each role sees and changes only what its scope holds, through lists and ``node(id:)`` alike."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.orgs.models import Household
from tests.support import Api, World, gid

HOUSEHOLDS = "{ households(first: 50) { edges { node { id address } } } }"
PEOPLE = "{ people(first: 50) { nodes { name } } }"
NODE = (
    "query($id: ID!) { node(id: $id) { id ... on Household { address } ... on Person { name } } }"
)
UPDATE = """mutation($i: HouseholdUpdateInput!) {
  householdUpdate(input: $i) { household { address } errors { code field } } }"""


async def addresses(api: Api, token: str) -> set[str]:
    edges = (await api(HOUSEHOLDS, token=token)).data["households"]["edges"]
    return {edge["node"]["address"] for edge in edges}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("worker_a", {"hA1", "hA2"}),
        ("worker_b", {"hB1"}),
        ("community_admin", {"hA1", "hA2", "hB1"}),
        ("community_admin2", {"hD1"}),
        ("street_admin", {"hA1", "hA2", "hB1", "hD1"}),
        ("admin", {"hA1", "hA2", "hB1", "hD1"}),
        ("resident_a", {"hA1"}),
        ("department", set()),
        ("member", set()),
    ],
)
async def test_household_list_is_scoped(
    api: Api, world: World, who: str, expected: set[str]
) -> None:
    token = await api.sign_in(world.phones[who])
    assert await addresses(api, token) == {f"{key}号楼101室" for key in expected}


async def test_grid_worker_cannot_reach_another_grid_through_node(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["worker_a"])
    own = await api(NODE, {"id": gid("Household", world.households["hA1"])}, token=token)
    assert own.data["node"]["address"] == "hA1号楼101室"
    other = await api(NODE, {"id": gid("Household", world.households["hB1"])}, token=token)
    assert other.data["node"] is None
    person_b = await api(NODE, {"id": gid("Person", world.people["resident_b"])}, token=token)
    assert person_b.data["node"] is None
    person_a = await api(NODE, {"id": gid("Person", world.people["resident_a"])}, token=token)
    assert person_a.data["node"]["name"] == "测试resident_a"


async def test_grid_worker_cannot_change_another_grids_household(
    api: Api, world: World, session: AsyncSession
) -> None:
    token = await api.sign_in(world.phones["worker_a"])
    reply = await api(
        UPDATE,
        {"i": {"id": gid("Household", world.households["hB1"]), "address": "改了"}},
        token=token,
    )
    assert reply.data["householdUpdate"] == {
        "household": None,
        "errors": [{"code": "NOT_FOUND", "field": "id"}],
    }
    household = await session.get(Household, world.households["hB1"])
    assert household is not None
    assert household.address == "hB1号楼101室"

    mine = await api(
        UPDATE,
        {"i": {"id": gid("Household", world.households["hA1"]), "address": "新地址1号"}},
        token=token,
    )
    assert mine.data["householdUpdate"]["household"] == {"address": "新地址1号"}


async def test_grid_worker_cannot_create_households_in_another_grid(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["worker_a"])
    create = """mutation($i: HouseholdCreateInput!) {
      householdCreate(input: $i) { household { address grid { code } } errors { code field } } }"""
    other = await api(
        create, {"i": {"gridId": gid("OrgUnit", world.units["B"]), "address": "x"}}, token=token
    )
    assert other.data["householdCreate"]["errors"] == [{"code": "FORBIDDEN", "field": "gridId"}]
    own = await api(
        create, {"i": {"gridId": gid("OrgUnit", world.units["A"]), "address": "y"}}, token=token
    )
    assert own.data["householdCreate"]["household"] == {"address": "y", "grid": {"code": "T-A"}}


async def test_resident_sees_own_household_and_self_only(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["resident_a"])
    assert (await api(PEOPLE, token=token)).data["people"]["nodes"] == [{"name": "测试resident_a"}]
    neighbour = await api(NODE, {"id": gid("Household", world.households["hA2"])}, token=token)
    assert neighbour.data["node"] is None
    me = await api("{ me { household { address members { name } } } }", token=token)
    assert me.data["me"]["household"] == {
        "address": "hA1号楼101室",
        "members": [{"name": "测试resident_a"}],
    }


async def test_people_directory_is_scoped(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["worker_a"])
    names = {n["name"] for n in (await api(PEOPLE, token=token)).data["people"]["nodes"]}
    assert names == {"测试worker_a", "测试resident_a", "测试resident_a2"}
    token = await api.sign_in(world.phones["community_admin2"])
    names = {n["name"] for n in (await api(PEOPLE, token=token)).data["people"]["nodes"]}
    assert "测试resident_a" not in names
    assert {"测试community_admin2", "测试worker_d"} <= names


async def test_lists_need_a_signed_in_user(api: Api, world: World) -> None:
    reply = await api(HOUSEHOLDS)
    assert reply.status == 200
    assert reply.body["data"] is None
    assert reply.error_codes == ["UNAUTHENTICATED"]
    assert reply.errors[0]["message"] == "请先登录。"


ASSIGN = """mutation($i: RoleAssignInput!) {
  roleAssign(input: $i) { roleAssignment { role unit { code } seatType } errors { code field } } }"""


async def test_role_assignment_stays_inside_the_assigners_scope(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["community_admin"])
    person = gid("Person", world.people["resident_a"])
    inside = await api(
        ASSIGN,
        {
            "i": {
                "personId": person,
                "role": "GRID_LEADER",
                "unitId": gid("OrgUnit", world.units["A"]),
            }
        },
        token=token,
    )
    assert inside.data["roleAssign"] == {
        "roleAssignment": {"role": "GRID_LEADER", "unit": {"code": "T-A"}, "seatType": None},
        "errors": [],
    }
    again = await api(
        ASSIGN,
        {
            "i": {
                "personId": person,
                "role": "GRID_LEADER",
                "unitId": gid("OrgUnit", world.units["A"]),
            }
        },
        token=token,
    )
    assert again.data["roleAssign"]["errors"] == [{"code": "ROLE_EXISTS", "field": "role"}]
    outside = await api(
        ASSIGN,
        {
            "i": {
                "personId": person,
                "role": "GRID_WORKER",
                "unitId": gid("OrgUnit", world.units["D"]),
            }
        },
        token=token,
    )
    assert outside.data["roleAssign"]["errors"] == [{"code": "FORBIDDEN", "field": "unitId"}]
    system = await api(ASSIGN, {"i": {"personId": person, "role": "SYSTEM_ADMIN"}}, token=token)
    assert system.data["roleAssign"]["errors"] == [{"code": "FORBIDDEN", "field": "role"}]
    wrong_kind = await api(
        ASSIGN,
        {
            "i": {
                "personId": person,
                "role": "GRID_WORKER",
                "unitId": gid("OrgUnit", world.units["C1"]),
            }
        },
        token=token,
    )
    assert wrong_kind.data["roleAssign"]["errors"] == [
        {"code": "WRONG_UNIT_KIND", "field": "unitId"}
    ]
    seatless = await api(
        ASSIGN,
        {
            "i": {
                "personId": person,
                "role": "MEETING_MEMBER",
                "unitId": gid("OrgUnit", world.units["C1"]),
            }
        },
        token=token,
    )
    assert seatless.data["roleAssign"]["errors"] == [
        {"code": "SEAT_TYPE_REQUIRED", "field": "seatType"}
    ]
    seated = await api(
        ASSIGN,
        {
            "i": {
                "personId": person,
                "role": "MEETING_MEMBER",
                "unitId": gid("OrgUnit", world.units["C1"]),
                "seatType": "RESIDENT_REP",
            }
        },
        token=token,
    )
    assert seated.data["roleAssign"]["roleAssignment"]["seatType"] == "RESIDENT_REP"


async def test_a_new_role_takes_effect_on_the_next_request(api: Api, world: World) -> None:
    resident = await api.sign_in(world.phones["resident_a"])
    assert await addresses(api, resident) == {"hA1号楼101室"}
    admin = await api.sign_in(world.phones["community_admin"])
    await api(
        ASSIGN,
        {
            "i": {
                "personId": gid("Person", world.people["resident_a"]),
                "role": "GRID_WORKER",
                "unitId": gid("OrgUnit", world.units["B"]),
            }
        },
        token=admin,
    )
    assert await addresses(api, resident) == {"hA1号楼101室", "hB1号楼101室"}


async def test_only_org_managers_add_units(api: Api, world: World) -> None:
    create = """mutation($i: OrgUnitCreateInput!) {
      orgUnitCreate(input: $i) { orgUnit { code parent { code } community { code } } errors { code field } } }"""
    resident = await api.sign_in(world.phones["resident_a"])
    denied = await api(
        create,
        {
            "i": {
                "kind": "GRID",
                "name": "新网格",
                "code": "T-N",
                "parentId": gid("OrgUnit", world.units["C1"]),
            }
        },
        token=resident,
    )
    assert denied.data["orgUnitCreate"]["errors"] == [{"code": "FORBIDDEN", "field": "parentId"}]
    admin = await api.sign_in(world.phones["community_admin"])
    made = await api(
        create,
        {
            "i": {
                "kind": "GRID",
                "name": "新网格",
                "code": "T-N",
                "parentId": gid("OrgUnit", world.units["C1"]),
            }
        },
        token=admin,
    )
    assert made.data["orgUnitCreate"]["orgUnit"] == {
        "code": "T-N",
        "parent": {"code": "T-C1"},
        "community": {"code": "T-C1"},
    }
    elsewhere = await api(
        create,
        {
            "i": {
                "kind": "GRID",
                "name": "别处",
                "code": "T-X",
                "parentId": gid("OrgUnit", world.units["C2"]),
            }
        },
        token=admin,
    )
    assert elsewhere.data["orgUnitCreate"]["errors"] == [{"code": "FORBIDDEN", "field": "parentId"}]
    taken = await api(
        create,
        {
            "i": {
                "kind": "GRID",
                "name": "重复",
                "code": "T-A",
                "parentId": gid("OrgUnit", world.units["C1"]),
            }
        },
        token=admin,
    )
    assert taken.data["orgUnitCreate"]["errors"] == [{"code": "CODE_TAKEN", "field": "code"}]
