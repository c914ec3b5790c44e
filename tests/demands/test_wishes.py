"""The wish wall: post, support (once, never one's own, all concurrent supporters counted), the
grid adopts a wish as a demand or a draft order, or declines it; neighbours only."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.demands.wishes import WishSupport
from tests.demands.helpers import T0, Demands
from tests.support import Api, World, add_residents, gid

WISH = "id title state supporters supportedByMe mine authorName reason demand { id reportedOnBehalf } order { id status title }"
POST = (
    "mutation($i: WishPostInput!) { wishPost(input: $i) { wish { "
    + WISH
    + " } errors { code field } } }"
)
SUPPORT = (
    "mutation($i: WishInput!) { wishSupport(input: $i) { wish { "
    + WISH
    + " } errors { code field } } }"
)
WITHDRAW = (
    "mutation($i: WishInput!) { wishWithdraw(input: $i) { wish { "
    + WISH
    + " } errors { code field } } }"
)
DECLINE = (
    "mutation($i: WishDeclineInput!) { wishDecline(input: $i) { wish { "
    + WISH
    + " } errors { code field } } }"
)
AS_DEMAND = (
    "mutation($i: WishAdoptAsDemandInput!) { wishAdoptAsDemand(input: $i) { wish { "
    + WISH
    + " } demand { id status level reportedOnBehalf } errors { code field } } }"
)
AS_ORDER = (
    "mutation($i: WishAdoptAsOrderInput!) { wishAdoptAsOrder(input: $i) { wish { "
    + WISH
    + " } order { id status title places } errors { code field } } }"
)
WALL = (
    "query($g: ID!, $s: [WishState!]) { wishWall(gridId: $g, states: $s) { nodes { "
    + WISH
    + " } } }"
)
NODE = "query($id: ID!) { node(id: $id) { ... on Wish { " + WISH + " } } }"


async def run(demands: Demands, who: str, document: str, **values: Any) -> dict[str, Any]:
    return await demands.act(who, document, **values)


async def post(demands: Demands, who: str = "resident_a") -> dict[str, Any]:
    payload = await run(
        demands, who, POST, title="楼道装扶手", content="3号楼老人多，楼梯想装扶手。"
    )
    assert payload["errors"] == [], payload
    wish = payload["wish"]
    assert (wish["state"], wish["supporters"], wish["mine"]) == ("OPEN", 0, True)
    name = f"测试{who}"
    assert wish["authorName"] == name[0] + "*" * (len(name) - 2) + name[-1]  # masked
    return dict(wish)


async def test_neighbours_support_once_and_never_their_own(demands: Demands) -> None:
    wish = await post(demands)
    own = await run(demands, "resident_a", SUPPORT, wishId=wish["id"])
    assert own["errors"] == [{"code": "OWN_WISH", "field": "wishId"}]
    supported = await run(demands, "resident_a2", SUPPORT, wishId=wish["id"])
    assert supported["errors"] == []
    assert (supported["wish"]["supporters"], supported["wish"]["supportedByMe"]) == (1, True)
    again = await run(demands, "resident_a2", SUPPORT, wishId=wish["id"])
    assert again["errors"] == [{"code": "ALREADY_SUPPORTED", "field": "wishId"}]
    # a neighbour in the next grid of the same community sees the wall and supports too
    other_grid = await run(demands, "resident_b", SUPPORT, wishId=wish["id"])
    assert other_grid["wish"]["supporters"] == 2
    wall = await demands.api(
        WALL,
        {"g": gid("OrgUnit", demands.world.units["A"])},
        token=await demands.token("resident_b"),
    )
    [seen] = wall.data["wishWall"]["nodes"]
    assert (seen["id"], seen["supporters"], seen["mine"]) == (wish["id"], 2, False)


async def test_another_community_neither_sees_nor_supports(demands: Demands, world: World) -> None:
    wish = await post(demands)
    token = await demands.token("worker_d")  # community C2
    assert (await demands.api(NODE, {"id": wish["id"]}, token=token)).data["node"] is None
    refused = await run(demands, "worker_d", SUPPORT, wishId=wish["id"])
    assert refused["errors"] == [{"code": "NOT_FOUND", "field": "wishId"}]
    wall = await demands.api(WALL, {"g": gid("OrgUnit", world.units["A"])}, token=token)
    assert wall.error_codes == ["FORBIDDEN"]


async def test_concurrent_supporters_are_all_counted(
    demands: Demands, api: Api, world: World, session: AsyncSession
) -> None:
    phones = await add_residents(session, world, count=20)
    await session.commit()
    wish = await post(demands)
    tokens = [await api.login(world.people[p]) for p in phones]
    replies = await asyncio.gather(
        *(api(SUPPORT, {"i": {"wishId": wish["id"]}}, token=t) for t in tokens)
    )
    assert all(r.data["wishSupport"]["errors"] == [] for r in replies)
    final = await demands.api(NODE, {"id": wish["id"]}, token=await demands.token("resident_a"))
    assert final.data["node"]["supporters"] == 20
    assert await session.scalar(select(func.count()).select_from(WishSupport)) == 20


async def test_the_grid_worker_turns_a_wish_into_a_demand(demands: Demands) -> None:
    wish = await post(demands)
    category = await demands.category()
    refused = await run(demands, "worker_b", AS_DEMAND, wishId=wish["id"], categoryId=category)
    assert refused["errors"] == [{"code": "NOT_ASSIGNED", "field": None}]
    adopted = await run(demands, "worker_a", AS_DEMAND, wishId=wish["id"], categoryId=category)
    assert adopted["errors"] == []
    assert adopted["wish"]["state"] == "ADOPTED"
    assert adopted["demand"] == {
        "id": adopted["wish"]["demand"]["id"],
        "status": "WAITING",
        "level": "GRID",
        "reportedOnBehalf": True,
    }
    # the author follows it as their own demand
    mine = await demands.read("resident_a", adopted["demand"]["id"])
    assert mine is not None and mine["reportedOnBehalf"] is True
    late = await run(demands, "resident_a2", SUPPORT, wishId=wish["id"])
    assert late["errors"] == [{"code": "INVALID_STATE", "field": "wishId"}]
    twice = await run(demands, "worker_a", AS_DEMAND, wishId=wish["id"], categoryId=category)
    assert twice["errors"] == [{"code": "INVALID_STATE", "field": "wishId"}]


async def test_a_wish_becomes_a_draft_order_or_is_declined(demands: Demands) -> None:
    with clock.frozen(T0):
        wish = await post(demands)
        order = {
            "category": "助老",
            "location": "3号楼",
            "startsAt": (T0 + timedelta(days=3)).isoformat(),
            "endsAt": (T0 + timedelta(days=3, hours=2)).isoformat(),
            "claimDeadline": (T0 + timedelta(days=2)).isoformat(),
            "places": 4,
            "points": 10,
            "pointKind": "WORK",
        }
        # the grid worker may not publish orders; the community admin may
        refused = await run(demands, "worker_a", AS_ORDER, wishId=wish["id"], **order)
        assert refused["errors"][0]["code"] == "FORBIDDEN"
        adopted = await run(demands, "community_admin", AS_ORDER, wishId=wish["id"], **order)
        assert adopted["errors"] == []
        assert adopted["order"]["status"] == "DRAFT"
        assert (adopted["order"]["title"], adopted["order"]["places"]) == ("楼道装扶手", 4)
        assert adopted["wish"]["order"]["id"] == adopted["order"]["id"]

        other = await post(demands, "resident_a2")
        blank = await run(demands, "worker_a", DECLINE, wishId=other["id"], reason=" ")
        assert blank["errors"] == [{"code": "REASON_REQUIRED", "field": "reason"}]
        declined = await run(demands, "worker_a", DECLINE, wishId=other["id"], reason="已有扶手")
        assert (declined["wish"]["state"], declined["wish"]["reason"]) == ("DECLINED", "已有扶手")
        not_hers = await run(demands, "resident_a", WITHDRAW, wishId=other["id"])
        assert not_hers["errors"] == [{"code": "FORBIDDEN", "field": "wishId"}]
        third = await post(demands, "resident_a2")
        gone = await run(demands, "resident_a2", WITHDRAW, wishId=third["id"])
        assert gone["wish"]["state"] == "WITHDRAWN"
    wall = await demands.api(
        WALL,
        {"g": gid("OrgUnit", demands.world.units["A"]), "s": ["OPEN"]},
        token=await demands.token("worker_a"),
    )
    assert wall.data["wishWall"]["nodes"] == []
