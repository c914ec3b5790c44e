"""Registering people, party registration (报到), center households and revoking roles."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.people.models import Person
from tests.support import Api, World, gid

CREATE = """mutation($i: PersonCreateInput!) {
  personCreate(input: $i) { person { name phone isPartyMember household { address }
                                     roles { role unit { code } } } errors { code field } } }"""
REGISTER = """mutation($i: PartyMemberRegisterInput!) {
  partyMemberRegister(input: $i) { person { partyBranch partyRegisteredAt community { code } }
                                   errors { code } } }"""
LINK = """mutation($i: CenterHouseholdLinkInput!) {
  centerHouseholdLink(input: $i) { centerHousehold { name phone } errors { code field } } }"""


async def test_grid_worker_registers_a_resident_in_their_grid(api: Api, world: World) -> None:
    token = await api.sign_in(world.phones["worker_a"])
    reply = await api(
        CREATE,
        {
            "i": {
                "name": " 新居民 ",
                "phone": "135-0000-0001",
                "householdId": gid("Household", world.households["hA2"]),
                "isPartyMember": True,
                "partyBranch": "稻香党支部",
            }
        },
        token=token,
    )
    assert reply.data["personCreate"] == {
        "person": {
            "name": "新居民",
            "phone": "13500000001",
            "isPartyMember": True,
            "household": {"address": "hA2号楼101室"},
            "roles": [
                {"role": "RESIDENT", "unit": {"code": "T-C1"}},
                {"role": "PARTY_MEMBER", "unit": {"code": "T-C1"}},
            ],
        },
        "errors": [],
    }


async def test_person_create_refusals_change_nothing(
    api: Api, world: World, session: AsyncSession
) -> None:
    before = await session.scalar(select(func.count()).select_from(Person))
    token = await api.sign_in(world.phones["worker_a"])
    cases = [
        (
            {
                "name": "甲",
                "phone": "13500000002",
                "householdId": gid("Household", world.households["hB1"]),
            },
            [{"code": "NOT_FOUND", "field": "householdId"}],
        ),
        (
            {
                "name": "乙",
                "phone": world.phones["resident_a"],
                "householdId": gid("Household", world.households["hA1"]),
            },
            [{"code": "PHONE_TAKEN", "field": "phone"}],
        ),
        (
            {
                "name": "丙",
                "phone": "1234",
                "householdId": gid("Household", world.households["hA1"]),
            },
            [{"code": "INVALID_PHONE", "field": "phone"}],
        ),
        (
            {
                "name": "   ",
                "phone": "13500000003",
                "householdId": gid("Household", world.households["hA1"]),
            },
            [{"code": "REQUIRED", "field": "name"}],
        ),
        ({"name": "丁", "phone": "13500000004"}, [{"code": "REQUIRED", "field": "householdId"}]),
        (
            {
                "name": "戊",
                "phone": "13500000005",
                "communityId": gid("OrgUnit", world.units["C1"]),
            },
            [{"code": "FORBIDDEN", "field": "householdId"}],
        ),
    ]
    for given, errors in cases:
        reply = await api(CREATE, {"i": given}, token=token)
        assert reply.data["personCreate"] == {"person": None, "errors": errors}, given
    assert await session.scalar(select(func.count()).select_from(Person)) == before


async def test_only_party_members_register(api: Api, world: World) -> None:
    resident = await api.sign_in(world.phones["resident_a"])
    refused = await api(
        REGISTER, {"i": {"communityId": gid("OrgUnit", world.units["C2"])}}, token=resident
    )
    assert refused.data["partyMemberRegister"] == {
        "person": None,
        "errors": [{"code": "NOT_A_PARTY_MEMBER"}],
    }


async def test_registration_sets_time_branch_and_role_in_the_home_community(
    api: Api, world: World, session: AsyncSession
) -> None:
    member = await session.get(Person, world.people["resident_b"])  # lives in hB1, community C1
    assert member is not None
    member.is_party_member = True
    await session.commit()
    token = await api.sign_in(world.phones["resident_b"])
    reply = await api(
        REGISTER,
        {"i": {"communityId": gid("OrgUnit", world.units["C1"]), "partyBranch": "机关第三支部"}},
        token=token,
    )
    person = reply.data["partyMemberRegister"]["person"]
    assert person["partyBranch"] == "机关第三支部"
    assert person["community"] == {"code": "T-C1"}
    assert person["partyRegisteredAt"] is not None
    roles = (await api("{ me { roles { role unit { code } } } }", token=token)).data["me"]["roles"]
    assert {"role": "PARTY_MEMBER", "unit": {"code": "T-C1"}} in roles


async def test_center_household_is_shown_to_the_households_it_serves(
    api: Api, world: World, session: AsyncSession
) -> None:
    member = await session.get(Person, world.people["resident_a2"])
    assert member is not None
    member.is_party_member = True
    await session.commit()
    worker = await api.sign_in(world.phones["worker_a"])
    households = [gid("Household", world.households[k]) for k in ("hA1", "hA2")]
    reply = await api(
        LINK,
        {"i": {"personId": gid("Person", member.id), "householdIds": households}},
        token=worker,
    )
    assert reply.data["centerHouseholdLink"] == {
        "centerHousehold": {"name": "测试resident_a2", "phone": world.phones["resident_a2"]},
        "errors": [],
    }
    resident = await api.sign_in(world.phones["resident_a"])
    mine = await api("{ me { household { centerHousehold { name phone } } } }", token=resident)
    assert mine.data["me"]["household"]["centerHousehold"]["name"] == "测试resident_a2"
    # the center household reads the households it serves
    center = await api.sign_in(world.phones["resident_a2"])
    seen = await api("{ households { nodes { address } } }", token=center)
    assert {n["address"] for n in seen.data["households"]["nodes"]} == {
        "hA1号楼101室",
        "hA2号楼101室",
    }
    # a grid worker of grid A cannot link grid B's household
    other = await api(
        LINK,
        {
            "i": {
                "personId": gid("Person", member.id),
                "householdIds": [gid("Household", world.households["hB1"])],
            }
        },
        token=worker,
    )
    assert other.data["centerHouseholdLink"]["errors"] == [
        {"code": "NOT_FOUND", "field": "householdIds"}
    ]
    not_member = await api(
        LINK,
        {"i": {"personId": gid("Person", world.people["resident_a"]), "householdIds": households}},
        token=worker,
    )
    assert not_member.data["centerHouseholdLink"]["errors"] == [
        {"code": "NOT_A_PARTY_MEMBER", "field": "personId"}
    ]


async def test_role_revoke_respects_scope(api: Api, world: World) -> None:
    admin2 = await api.sign_in(world.phones["community_admin2"])
    worker = await api.sign_in(world.phones["worker_a"])
    roles = (await api("{ me { roles { id role } } }", token=worker)).data["me"]["roles"]
    grid_role = next(r["id"] for r in roles if r["role"] == "GRID_WORKER")
    revoke = (
        "mutation($i: RoleRevokeInput!) { roleRevoke(input: $i) { revokedId errors { code } } }"
    )
    denied = await api(revoke, {"i": {"id": grid_role}}, token=admin2)
    assert denied.data["roleRevoke"] == {"revokedId": None, "errors": [{"code": "FORBIDDEN"}]}
    admin = await api.sign_in(world.phones["community_admin"])
    done = await api(revoke, {"i": {"id": grid_role}}, token=admin)
    assert done.data["roleRevoke"] == {"revokedId": grid_role, "errors": []}
    assert (await api("{ households { nodes { id } } }", token=worker)).data["households"][
        "nodes"
    ] == []
