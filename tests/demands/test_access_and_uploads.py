"""Who sees what, the race to accept, and uploads that must leave nothing behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import OPERATOR
from services import clock
from services.demands.models import Demand, DemandPhoto
from services.people import service as people_service
from services.people.models import Role
from tests.demands.helpers import ACCEPT, ASSIGN, ESCALATE, PNG, REPORT, T0, Demands
from tests.support import World, gid

QUEUE = """query($u: ID!) { demandQueue(unitId: $u) { nodes { id status respondDueAt } } }"""
ASSIGNED = """{ assignedDemands { nodes { id } } }"""
MINE = """{ myDemands { nodes { id } } }"""


def stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


async def test_two_workers_accepting_at_once_one_wins(
    demands: Demands, world: World, session: AsyncSession
) -> None:
    # a second grid worker in grid A
    await people_service.assign_role(
        session,
        OPERATOR,
        person_id=world.people["member"],
        role=Role.GRID_WORKER,
        unit_id=world.units["A"],
        seat_type=None,
    )
    await session.commit()
    with clock.frozen(T0):
        demand = await demands.report()
        await demands.token("worker_a"), await demands.token("member")
        replies = await asyncio.gather(
            *(demands.act(who, ACCEPT, demandId=demand["id"]) for who in ("worker_a", "member") * 3)
        )
    codes = sorted(str(r["errors"]) for r in replies)
    assert codes.count("[]") == 1
    assert codes.count("[{'code': 'ALREADY_ACCEPTED', 'field': None}]") == 5
    winner = next(r["demand"]["ownerName"] for r in replies if not r["errors"])
    stored = await session.scalar(select(Demand.owner_id))
    assert winner == ("测试worker_a" if stored == world.people["worker_a"] else "测试member")


async def test_each_sees_only_their_own(demands: Demands, world: World) -> None:
    api = demands.api
    with clock.frozen(T0):
        status, photo = await demands.upload("resident_a", PNG)
        assert status == 201
        demand = await demands.report(photoIds=[photo["id"]])
        photo_url = f"/photos/{photo['id']}"

        async def sees(who: str) -> bool:
            return await demands.read(who, demand["id"]) is not None

        async def photo_status(who: str) -> int:
            headers = {"Authorization": f"Bearer {await demands.token(who)}"}
            return (await api.client.get(photo_url, headers=headers)).status_code

        # the resident, the grid's worker, the community and street above: yes
        for who in ("resident_a", "worker_a", "community_admin", "street_admin"):
            assert await sees(who), who
            assert await photo_status(who) == 200, who
        # another resident, another grid's worker, another community, the department: no
        for who in ("resident_a2", "worker_b", "worker_d", "community_admin2", "department"):
            assert not await sees(who), who
            assert await photo_status(who) == 404, who
        assert (await api.client.get(photo_url)).status_code == 401

        # lists answer the same way
        mine = await api(MINE, token=await demands.token("resident_b"))
        assert mine.data["myDemands"]["nodes"] == []
        queue = await api(
            QUEUE, {"u": gid("OrgUnit", world.units["A"])}, token=await demands.token("worker_a")
        )
        assert [n["id"] for n in queue.data["demandQueue"]["nodes"]] == [demand["id"]]
        other = await api(
            QUEUE, {"u": gid("OrgUnit", world.units["A"])}, token=await demands.token("worker_b")
        )
        assert other.error_codes == ["FORBIDDEN"]
        refused = await demands.act("worker_b", ACCEPT, demandId=demand["id"])
        assert refused["errors"] == [{"code": "NOT_ASSIGNED", "field": None}]
        none = await api(ASSIGNED, token=await demands.token("department"))
        assert none.data["assignedDemands"]["nodes"] == []

        # once the street summons the department, its staff see it, photos included
        await demands.ok("worker_a", ACCEPT, demandId=demand["id"])
        await demands.ok("worker_a", ESCALATE, demandId=demand["id"])
        await demands.ok("community_admin", ESCALATE, demandId=demand["id"])
        await demands.ok(
            "street_admin",
            ASSIGN,
            demandId=demand["id"],
            leadDepartmentId=gid("OrgUnit", world.units["DEP"]),
        )
        some = await api(ASSIGNED, token=await demands.token("department"))
        assert [n["id"] for n in some.data["assignedDemands"]["nodes"]] == [demand["id"]]
        assert await sees("department")
        assert await photo_status("department") == 200


async def test_bad_uploads_leave_nothing(
    demands: Demands, session: AsyncSession, photo_dir: Path
) -> None:
    gif = b"GIF89a" + b"\x00" * 32
    text = "这不是图片".encode()
    too_large = PNG + b"\x00" * (5 * 1024 * 1024)
    for data, status, code in (
        (gif, 415, "UPLOAD_WRONG_TYPE"),
        (text, 415, "UPLOAD_WRONG_TYPE"),
        (b"", 415, "UPLOAD_WRONG_TYPE"),
        (too_large, 413, "UPLOAD_TOO_LARGE"),
    ):
        got, body = await demands.upload("resident_a", data)
        assert (got, body["errors"][0]["code"]) == (status, code)
    _, body = await demands.upload("resident_a", too_large)
    assert body["errors"][0]["message"] == "图片不能超过 5 MB。"
    assert await session.scalar(select(func.count()).select_from(DemandPhoto)) == 0
    assert stored_files(photo_dir) == []

    # a photo can be cited once, only by its uploader
    status, photo = await demands.upload("resident_a", PNG)
    assert status == 201
    assert len(stored_files(photo_dir)) == 1
    values = {
        "type": "HELP",
        "categoryId": await demands.category(),
        "description": "求助",
        "photoIds": [photo["id"]],
    }
    stolen = await demands.api(REPORT, {"i": values}, token=await demands.token("resident_a2"))
    assert stolen.data["demandReport"]["errors"] == [{"code": "NOT_FOUND", "field": "photoIds"}]
    assert await session.scalar(select(func.count()).select_from(Demand)) == 0
