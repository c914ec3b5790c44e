"""Community settings in the graph: the publicity period and the points expiry policy."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.meetings.decisions import publicity_days
from tests.support import Api, World, gid

SETTINGS = """query($c: ID!) { communitySettings(communityId: $c) {
  community { code } publicityDays expiryPolicy expiryMonths expiryAppliedOn } }"""
UPDATE = """mutation($i: CommunitySettingsUpdateInput!) { communitySettingsUpdate(input: $i) {
  settings { publicityDays expiryPolicy expiryMonths } errors { code field } } }"""


def update(world: World, community: str = "C1", **changes: Any) -> dict[str, Any]:
    return {"i": {"communityId": gid("OrgUnit", world.units[community]), **changes}}


async def test_anyone_signed_in_reads_the_settings_and_the_defaults_first(
    api: Api, world: World
) -> None:
    token = await api.sign_in(world.phones["resident_b"])
    read = await api(SETTINGS, {"c": gid("OrgUnit", world.units["C1"])}, token=token)
    assert read.data["communitySettings"] == {
        "community": {"code": "T-C1"},
        "publicityDays": 5,
        "expiryPolicy": "NEVER",
        "expiryMonths": None,
        "expiryAppliedOn": None,
    }
    grid = await api(SETTINGS, {"c": gid("OrgUnit", world.units["A"])}, token=token)
    assert grid.error_codes == ["WRONG_UNIT_KIND"]
    assert (await api(SETTINGS, {"c": gid("OrgUnit", world.units["C1"])})).error_codes == [
        "UNAUTHENTICATED"
    ]


async def test_only_the_communitys_admins_change_its_settings(api: Api, world: World) -> None:
    change = update(world, expiryPolicy="YEAR_END")
    for key in ("resident_a", "worker_a", "member", "department", "community_admin2"):
        token = await api.sign_in(world.phones[key])
        reply = (await api(UPDATE, change, token=token)).data["communitySettingsUpdate"]
        assert reply == {
            "settings": None,
            "errors": [{"code": "FORBIDDEN", "field": "communityId"}],
        }
    for key in ("community_admin", "street_admin", "admin"):
        token = await api.sign_in(world.phones[key])
        reply = (await api(UPDATE, change, token=token)).data["communitySettingsUpdate"]
        assert reply["errors"] == [], key


async def test_settings_are_checked_field_by_field(
    api: Api, world: World, session: AsyncSession
) -> None:
    token = await api.sign_in(world.phones["community_admin"])

    async def errors(**changes: Any) -> list[dict[str, Any]]:
        reply = await api(UPDATE, update(world, **changes), token=token)
        found: list[dict[str, Any]] = reply.data["communitySettingsUpdate"]["errors"]
        return found

    assert await errors(expiryPolicy="AFTER_MONTHS") == [
        {"code": "REQUIRED", "field": "expiryMonths"}
    ]
    for months in (0, 121, -3):
        assert await errors(expiryPolicy="AFTER_MONTHS", expiryMonths=months) == [
            {"code": "INVALID_VALUE", "field": "expiryMonths"}
        ]
    assert await errors(expiryPolicy="YEAR_END", expiryMonths=12) == [
        {"code": "INVALID_VALUE", "field": "expiryMonths"}
    ]
    assert await errors(expiryMonths=12) == [{"code": "INVALID_VALUE", "field": "expiryMonths"}]
    for days in (0, 31):
        assert await errors(publicityDays=days) == [
            {"code": "INVALID_VALUE", "field": "publicityDays"}
        ]
    assert await errors(community="A", publicityDays=7) == [
        {"code": "WRONG_UNIT_KIND", "field": "communityId"}
    ]

    # an update changes only what it is given
    async def settings(**changes: Any) -> dict[str, Any]:
        reply = (await api(UPDATE, update(world, **changes), token=token)).data
        assert reply["communitySettingsUpdate"]["errors"] == []
        found: dict[str, Any] = reply["communitySettingsUpdate"]["settings"]
        return found

    assert await settings(expiryPolicy="AFTER_MONTHS", expiryMonths=120) == {
        "publicityDays": 5,
        "expiryPolicy": "AFTER_MONTHS",
        "expiryMonths": 120,
    }
    assert await settings(publicityDays=7) == {
        "publicityDays": 7,
        "expiryPolicy": "AFTER_MONTHS",
        "expiryMonths": 120,
    }
    assert await settings(expiryMonths=1) == {
        "publicityDays": 7,
        "expiryPolicy": "AFTER_MONTHS",
        "expiryMonths": 1,
    }
    assert await settings(expiryPolicy="YEAR_END") == {
        "publicityDays": 7,
        "expiryPolicy": "YEAR_END",
        "expiryMonths": None,
    }
    # the joint meeting's publicity follows the setting
    assert await publicity_days(session, world.units["C1"]) == 7
    assert await publicity_days(session, world.units["C2"]) == 5
