"""``gridpoints seed demo``: one street, 3 communities, 20 grids, 600 households, every role.

Deterministic (same names and phones every time) so the README can list the demo logins. Runs once:
if the demo street exists it does nothing. Every demo account shares one password (hashed once).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.auth.passwords import hash_password
from services.notices import inbox
from services.orgs.models import CenterHousehold, Household, OrgUnit, UnitKind
from services.people.models import Person, Role, RoleAssignment, SeatType

STREET_CODE = "DX"
COMMUNITIES = (("DX-C1", "稻香社区", 7), ("DX-C2", "和平社区", 7), ("DX-C3", "幸福社区", 6))
DEPARTMENTS = (
    ("DX-D1", "城市管理局"),
    ("DX-D2", "物业管理办"),
    ("DX-D3", "稻香派出所"),
    ("DX-D4", "卫生健康局"),
)
HOUSEHOLDS_PER_GRID = 30
MICRO_GRIDS_PER_GRID = 3
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强永红海燕"

# The demo logins the README lists.
SYSTEM_ADMIN_PHONE = "13800000000"
STREET_ADMIN_PHONE = "13800000001"


def community_admin_phone(n: int) -> str:
    return f"1380000001{n}"


def grid_worker_phone(n: int) -> str:
    return f"1381000{n:04d}"


def grid_leader_phone(n: int) -> str:
    return f"1382000{n:04d}"


def department_staff_phone(n: int) -> str:
    return f"1383000{n:04d}"


def meeting_member_phone(community: int, seat: int) -> str:
    return f"1384000{community}{seat:03d}"


def building_leader_phone(n: int) -> str:
    return f"1385000{n:04d}"


def resident_phone(n: int) -> str:
    return f"139{n:08d}"


@dataclass
class _Batch:
    units: list[dict[str, Any]] = field(default_factory=list)
    households: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    centers: list[dict[str, Any]] = field(default_factory=list)
    center_links: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)


@dataclass(frozen=True)
class SeedSummary:
    created: bool
    units: int = 0
    households: int = 0
    people: int = 0
    roles: int = 0
    orders: int = 0


def _unit(
    batch: _Batch, kind: UnitKind, name: str, code: str, parent: dict[str, Any] | None
) -> dict[str, Any]:
    unit_id = uuid.uuid4()
    if kind is UnitKind.COMMUNITY:
        community_id: uuid.UUID | None = unit_id
    else:
        community_id = parent["community_id"] if parent else None
    row = {
        "id": unit_id,
        "kind": kind,
        "name": name,
        "code": code,
        "parent_id": parent["id"] if parent else None,
        "community_id": community_id,
        "path": [*(parent["path"] if parent else []), unit_id],
    }
    batch.units.append(row)
    return row


def _person(batch: _Batch, name: str, phone: str, password_hash: str, **extra: Any) -> uuid.UUID:
    person_id = uuid.uuid4()
    batch.people.append(
        {
            "id": person_id,
            "name": name,
            "phone": phone,
            "password_hash": password_hash,
            "community_id": extra.get("community_id"),
            "household_id": extra.get("household_id"),
            "is_party_member": extra.get("is_party_member", False),
            "party_branch": extra.get("party_branch"),
        }
    )
    return person_id


def _role(
    batch: _Batch,
    person_id: uuid.UUID,
    role: Role,
    unit_id: uuid.UUID | None,
    seat: SeatType | None = None,
) -> None:
    batch.roles.append(
        {"person_id": person_id, "role": role, "unit_id": unit_id, "seat_type": seat}
    )


def _build(password_hash: str) -> _Batch:
    rng = random.Random(2026)

    def name() -> str:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))

    batch = _Batch()
    street = _unit(batch, UnitKind.STREET, "稻香街道", STREET_CODE, None)
    admin = _person(batch, "系统管理员", SYSTEM_ADMIN_PHONE, password_hash)
    _role(batch, admin, Role.SYSTEM_ADMIN, None)
    street_admin = _person(batch, "街道" + name(), STREET_ADMIN_PHONE, password_hash)
    _role(batch, street_admin, Role.STREET_ADMIN, street["id"])
    for index, (code, dname) in enumerate(DEPARTMENTS, start=1):
        department = _unit(batch, UnitKind.DEPARTMENT, dname, code, street)
        staff = _person(batch, name(), department_staff_phone(index), password_hash)
        _role(batch, staff, Role.DEPARTMENT_STAFF, department["id"])
    grid_number = 0
    resident_number = 0
    for c_index, (c_code, c_name, grids) in enumerate(COMMUNITIES, start=1):
        community = _unit(batch, UnitKind.COMMUNITY, c_name, c_code, street)
        cid = community["id"]
        c_admin = _person(
            batch, name(), community_admin_phone(c_index), password_hash, community_id=cid
        )
        _role(batch, c_admin, Role.COMMUNITY_ADMIN, cid)
        for seat_index, seat in enumerate(SeatType, start=1):
            member = _person(
                batch,
                name(),
                meeting_member_phone(c_index, seat_index),
                password_hash,
                community_id=cid,
                is_party_member=seat is SeatType.PARTY_ORG,
            )
            _role(batch, member, Role.MEETING_MEMBER, cid, seat)
            _role(batch, member, Role.RESIDENT, cid)
        for g in range(1, grids + 1):
            grid_number += 1
            grid = _unit(
                batch, UnitKind.GRID, f"{c_name}第{g}网格", f"{c_code}-G{g:02d}", community
            )
            micro = [
                _unit(
                    batch,
                    UnitKind.MICRO_GRID,
                    f"{grid['name']}{m}号微网格",
                    f"{grid['code']}-M{m}",
                    grid,
                )
                for m in range(1, MICRO_GRIDS_PER_GRID + 1)
            ]
            worker = _person(
                batch, name(), grid_worker_phone(grid_number), password_hash, community_id=cid
            )
            _role(batch, worker, Role.GRID_WORKER, grid["id"])
            leader = _person(
                batch,
                name(),
                grid_leader_phone(grid_number),
                password_hash,
                community_id=cid,
                is_party_member=True,
                party_branch=f"{c_name}第{g}网格党小组",
            )
            _role(batch, leader, Role.GRID_LEADER, grid["id"])
            _role(batch, leader, Role.PARTY_MEMBER, cid)
            centers: list[uuid.UUID] = []
            for h in range(HOUSEHOLDS_PER_GRID):
                household_id = uuid.uuid4()
                building, room = divmod(h, 10)
                batch.households.append(
                    {
                        "id": household_id,
                        "community_id": cid,
                        "grid_id": grid["id"],
                        "micro_grid_id": micro[building % len(micro)]["id"],
                        "address": (
                            f"{c_name}{grid_number}区{building + 1}栋"
                            f"{room // 2 + 1}单元{room + 101}室"
                        ),
                    }
                )
                resident_number += 1
                party = rng.random() < 0.12
                person = _person(
                    batch,
                    name(),
                    resident_phone(resident_number),
                    password_hash,
                    community_id=cid,
                    household_id=household_id,
                    is_party_member=party,
                    party_branch=f"{c_name}党支部" if party else None,
                )
                _role(batch, person, Role.RESIDENT, cid)
                if party:
                    _role(batch, person, Role.PARTY_MEMBER, cid)
                    if len(centers) < 2:
                        center_id = uuid.uuid4()
                        batch.centers.append(
                            {"id": center_id, "community_id": cid, "person_id": person}
                        )
                        centers.append(center_id)
                if centers:
                    batch.center_links[household_id] = centers[h % len(centers)]
            _role(
                batch,
                _person(
                    batch,
                    name(),
                    building_leader_phone(grid_number),
                    password_hash,
                    community_id=cid,
                ),
                Role.BUILDING_LEADER,
                micro[0]["id"],
            )
    for household in batch.households:
        household["center_household_id"] = batch.center_links.get(household["id"])
    return batch


async def seed_demo(session: AsyncSession, password: str) -> SeedSummary:
    """Write the demo data set in the caller's transaction, unless it is there already."""
    if await session.scalar(select(OrgUnit.id).where(OrgUnit.code == STREET_CODE)):
        return SeedSummary(created=False)
    # the history's inbox entries, without texting ~700 people about the past when it starts
    session.info[inbox.IN_APP_ONLY] = True
    batch = _build(hash_password(password))
    await session.execute(insert(OrgUnit), batch.units)
    # household -> center household -> person -> household: households first, links last
    await session.execute(
        insert(Household), [{**h, "center_household_id": None} for h in batch.households]
    )
    await session.execute(insert(Person), batch.people)
    await session.execute(insert(CenterHousehold), batch.centers)
    table = Household.__table__
    assert isinstance(table, Table)
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("hid"))
        .values(center_household_id=bindparam("cid")),
        [
            {"hid": h["id"], "cid": h["center_household_id"]}
            for h in batch.households
            if h["center_household_id"] is not None
        ],
    )
    await session.execute(insert(RoleAssignment), batch.roles)
    from api.seed_exchange import seed_exchange
    from api.seed_flows import seed_volunteering
    from api.seed_grid_work import seed_grid_work

    orders = await seed_volunteering(session, clock.now())
    await seed_exchange(session, clock.now())
    await seed_grid_work(session, clock.now())
    return SeedSummary(
        True, len(batch.units), len(batch.households), len(batch.people), len(batch.roles), orders
    )
