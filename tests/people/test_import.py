"""Importing residents from CSV: good rows in, bad rows reported one by one, nothing half done."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.cli import OPERATOR
from services.errors import ErrorCode
from services.orgs.models import Household
from services.people.importer import import_residents
from services.people.models import Person, Role, RoleAssignment
from services.sms.dev import read_messages
from tests.support import World

HEADER = "name,phone,grid_code,address,party_member,party_branch\n"
GOOD = [
    "王新,13512340001,T-A,新村1栋101,是,稻香党支部\n",
    "李新,13512340002,T-A,新村1栋101,否,\n",  # same household as the row above
    "张新,135 1234 0003,T-B,新村2栋202,no,\n",
    "赵新,13512340004,T-A,hA1号楼101室,,\n",  # joins an existing household
]
BAD = [
    "钱坏,12345,T-A,新村3栋1,,\n",  # invalid phone
    "孙坏,13512340001,T-A,新村3栋2,,\n",  # phone repeated in the file
    "周坏,13700000008,T-A,新村3栋3,,\n",  # phone already registered (resident_a)
    "吴坏,13512340005,NOPE,新村3栋4,,\n",  # unknown grid
    ",13512340006,T-A,新村3栋5,,\n",  # no name
    "郑坏,13512340007,T-A," + "长" * 201 + ",,\n",  # address too long
    "冯坏,13512340008,T-A,新村3栋6,maybe,\n",  # unreadable party flag
]


def rows(lines: list[str]) -> list[dict[str, str | None]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(HEADER + "".join(lines))))


async def count(session: AsyncSession, model: type[Household] | type[Person]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_good_rows_import_and_bad_rows_are_reported(
    session: AsyncSession, world: World
) -> None:
    households_before = await count(session, Household)
    report = await import_residents(session, OPERATOR, rows(GOOD + BAD))
    await session.commit()

    assert (report.rows, report.imported, report.rejected) == (11, 4, 7)
    assert report.households_created == 2
    assert [(e.line, e.field, e.code) for e in report.errors] == [
        (6, "phone", ErrorCode.INVALID_PHONE),
        (7, "phone", ErrorCode.PHONE_TAKEN),
        (8, "phone", ErrorCode.PHONE_TAKEN),
        (9, "grid_code", ErrorCode.NOT_FOUND),
        (10, "name", ErrorCode.REQUIRED),
        (11, "address", ErrorCode.TOO_LONG),
        (12, "party_member", ErrorCode.INVALID_VALUE),
    ]
    assert await count(session, Household) == households_before + 2
    imported = {
        p.phone: p
        for p in await session.scalars(select(Person).where(Person.phone.like("1351234%")))
    }
    assert set(imported) == {"13512340001", "13512340002", "13512340003", "13512340004"}
    assert imported["13512340001"].household_id == imported["13512340002"].household_id
    assert imported["13512340004"].household_id == world.households["hA1"]
    assert imported["13512340001"].is_party_member
    assert imported["13512340001"].party_branch == "稻香党支部"
    roles = set(
        await session.scalars(
            select(RoleAssignment.role).where(
                RoleAssignment.person_id == imported["13512340001"].id
            )
        )
    )
    assert roles == {Role.RESIDENT, Role.PARTY_MEMBER}


async def test_all_or_nothing_keeps_the_whole_file_out(session: AsyncSession, world: World) -> None:
    people_before = await count(session, Person)
    report = await import_residents(session, OPERATOR, rows(GOOD + BAD[:1]), all_or_nothing=True)
    await session.commit()
    assert (report.imported, report.rejected) == (0, 1)
    assert await count(session, Person) == people_before


async def test_a_registered_phone_is_taken_however_it_is_typed(
    session: AsyncSession, world: World
) -> None:
    """The check for phones already registered normalizes as the rows do (one rule, in
    services.validation): a tab, a no-break space, full-width digits or +86 change nothing."""
    registered = world.phones["resident_a"]
    typed = [
        registered[:3] + "\t" + registered[3:],
        registered[:3] + "\u00a0" + registered[3:],
        "".join(chr(ord(digit) + 0xFEE0) for digit in registered),
        "+86 " + registered,
    ]
    lines = [f"重复{n},{phone},T-A,新村9栋{n},,\n" for n, phone in enumerate(typed)]
    people_before = await count(session, Person)
    report = await import_residents(session, OPERATOR, rows(lines))
    await session.commit()
    assert [(e.line, e.field, e.code) for e in report.errors] == [
        (line, "phone", ErrorCode.PHONE_TAKEN) for line in range(2, 6)
    ]
    assert await count(session, Person) == people_before


async def test_cli_import_prints_a_summary_and_a_message_per_bad_row(
    session: AsyncSession, world: World, database_url: str, tmp_path: Path
) -> None:
    csv_file = tmp_path / "residents.csv"
    csv_file.write_text(HEADER + "".join(GOOD + BAD[:2]), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        "import",
        "residents",
        str(csv_file),
        "--language",
        "en",
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "COLUMNS": "200",
            "GRIDPOINTS_SMS_OUTBOX": str(tmp_path / "sms.jsonl"),
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await asyncio.wait_for(process.communicate(), 60))[0].decode()
    assert process.returncode == 1, output  # some rows were rejected
    assert "rows: 6  imported: 4  rejected: 2  households created: 2" in output
    assert "The phone number must be 11 digits." in output
    assert "This phone number is already registered." in output
    assert await count(session, Person) == 12 + 4
    # every imported resident is invited by SMS (sent after the commit, before the CLI exits)
    invites = read_messages(tmp_path / "sms.jsonl")
    assert sorted(str(m["phone"]) for m in invites) == [f"1351234000{n}" for n in (1, 2, 3, 4)]
    assert {m["template"] for m in invites} == {"registration_invite"}


async def test_cli_refuses_a_file_without_the_required_columns(
    tmp_path: Path, database_url: str
) -> None:
    csv_file = tmp_path / "wrong.csv"
    csv_file.write_text("姓名,电话\n张三,13500000000\n", encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api.cli",
        "import",
        "residents",
        str(csv_file),
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await asyncio.wait_for(process.communicate(), 60))[0].decode()
    assert process.returncode == 2
    assert "缺少列: name, phone, grid_code, address" in output
