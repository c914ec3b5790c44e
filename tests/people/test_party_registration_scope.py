"""A party member registers (报到) where they live, and cannot move community by registering.

Issue 13 item 4: ``partyMemberRegister`` with another community's id was accepted; the person then
claimed that community's orders, spent at its exchange, and its admin could adjust their points.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.people.models import Person, RoleAssignment
from tests.orders.helpers import CLAIM, PUBLISHED, published_order
from tests.support import Api, World, gid

REGISTER = """mutation($i: PartyMemberRegisterInput!) {
  partyMemberRegister(input: $i) { person { partyRegisteredAt community { code } }
                                   errors { code field message } } }"""
ADJUST = """mutation($i: LedgerAdjustInput!) {
  ledgerAdjust(input: $i) { transfer { amount } errors { code field } } }"""


async def party_member(session: AsyncSession, world: World, key: str) -> Person:
    member = await session.get(Person, world.people[key])
    assert member is not None
    member.is_party_member = True
    await session.commit()
    return member


async def test_registering_with_another_community_is_refused_and_changes_nothing(
    api: Api, world: World, session: AsyncSession
) -> None:
    await party_member(session, world, "resident_b")  # household hB1, community C1
    token = await api.sign_in(world.phones["resident_b"])
    for language, message in (
        (None, "只能向您居住的社区（您家庭住户所在的社区）报到。"),
        ("en", "You can only register with the community you live in (your household's)."),
    ):
        reply = await api(
            REGISTER,
            {"i": {"communityId": gid("OrgUnit", world.units["C2"]), "partyBranch": "外社区"}},
            token=token,
            language=language,
        )
        assert reply.data["partyMemberRegister"] == {
            "person": None,
            "errors": [
                {"code": "PARTY_REGISTRATION_NOT_HOME", "field": "communityId", "message": message}
            ],
        }
    session.expire_all()
    stored = await session.get(Person, world.people["resident_b"])
    assert stored is not None
    assert (stored.community_id, stored.party_registered_at, stored.party_branch) == (
        world.units["C1"],
        None,
        None,
    )
    units = set(
        await session.scalars(
            select(RoleAssignment.unit_id).where(
                RoleAssignment.person_id == world.people["resident_b"]
            )
        )
    )
    assert units == {world.units["C1"]}  # the resident role only; nothing in C2


async def test_the_rules_of_the_other_community_keep_holding_after_a_refused_move(
    api: Api, world: World, session: AsyncSession
) -> None:
    """The other community's orders, and its admin's adjustments, stay out of reach."""
    await party_member(session, world, "resident_b")
    token = await api.sign_in(world.phones["resident_b"])
    await api(REGISTER, {"i": {"communityId": gid("OrgUnit", world.units["C2"])}}, token=token)
    with clock.frozen(PUBLISHED):
        admin2 = await api.sign_in(world.phones["community_admin2"])
        c2_order = await published_order(
            api, admin2, world, unitId=gid("OrgUnit", world.units["C2"])
        )
        claimed = await api(CLAIM, {"i": {"orderId": c2_order}}, token=token)
    assert claimed.data["orderClaim"]["claim"] is None
    assert claimed.data["orderClaim"]["errors"][0]["code"] in {"NOT_FOUND", "NOT_IN_SCOPE"}
    adjusted = await api(
        ADJUST,
        {
            "i": {
                "personId": gid("Person", world.people["resident_b"]),
                "pointKind": "GRID",
                "amount": 50,
                "reason": "补录",
                "idempotencyKey": "move-1",
            }
        },
        token=admin2,
    )
    assert adjusted.data["ledgerAdjust"]["transfer"] is None
    assert adjusted.data["ledgerAdjust"]["errors"][0]["code"] in {"NOT_FOUND", "FORBIDDEN"}
    me = await api("{ me { community { code } } }", token=token)
    assert me.data["me"]["community"] == {"code": "T-C1"}


async def test_someone_registered_without_a_household_registers_where_they_were_registered(
    api: Api, world: World, session: AsyncSession
) -> None:
    await party_member(session, world, "worker_d")  # registered in community C2, no household
    token = await api.sign_in(world.phones["worker_d"])
    home = await api(
        REGISTER, {"i": {"communityId": gid("OrgUnit", world.units["C2"])}}, token=token
    )
    assert home.data["partyMemberRegister"]["person"]["community"] == {"code": "T-C2"}
    away = await api(
        REGISTER, {"i": {"communityId": gid("OrgUnit", world.units["C1"])}}, token=token
    )
    assert away.data["partyMemberRegister"]["errors"][0]["code"] == "PARTY_REGISTRATION_NOT_HOME"
