"""Import residents from CSV rows.

Every row is checked before anything is written; good rows are then written together in the caller's
transaction, bad rows are reported one message each (line, field, code), and no row is ever half
imported (a person without a household, a household without its person). With ``all_or_nothing``
one bad row keeps the whole file out.

Columns: ``name, phone, grid_code, address`` and optionally ``party_member`` (yes/no, 是/否, 1/0)
and ``party_branch``. A household is found by (community, address) or created.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services import validation
from services.authz import Actor, Permission, allows
from services.errors import DomainError, ErrorCode
from services.orgs.models import ADDRESS_MAX, NAME_MAX, Household, OrgUnit, UnitKind
from services.people.models import BRANCH_MAX, Person, Role, RoleAssignment
from services.registration.invites import invite_after_commit
from services.sms import SmsGateway

REQUIRED_COLUMNS = ("name", "phone", "grid_code", "address")
_TRUE = {"yes", "y", "true", "1", "是", "党员"}
_FALSE = {"", "no", "n", "false", "0", "否"}


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str | None
    code: ErrorCode
    params: dict[str, Any]


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    imported: int = 0
    households_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({error.line for error in self.errors})


@dataclass(frozen=True, slots=True)
class _Row:
    name: str
    phone: str
    grid: OrgUnit
    address: str
    is_party_member: bool
    party_branch: str | None


async def import_residents(
    session: AsyncSession,
    actor: Actor,
    rows: Iterable[Mapping[str, str | None]],
    *,
    first_line: int = 2,
    all_or_nothing: bool = False,
    password_hash: str | None = None,
    on_row: Callable[[], None] | None = None,
    sms: SmsGateway | None = None,
) -> ImportReport:
    """Check every row, then write the good ones; ``on_row`` is called as each row is checked.
    With ``sms`` every imported resident is sent an invite after the commit."""
    report = ImportReport()
    raw = list(rows)
    report.rows = len(raw)
    grids = await _grids_by_code(session, {(r.get("grid_code") or "").strip() for r in raw})
    taken = await _taken_phones(session, raw)
    good: list[_Row] = []
    for offset, row in enumerate(raw):
        line = first_line + offset
        try:
            parsed = _parse(row, grids, actor)
            if parsed.phone in taken:
                raise DomainError(ErrorCode.PHONE_TAKEN, field="phone")
            taken.add(parsed.phone)
            good.append(parsed)
        except DomainError as error:
            report.errors.append(RowError(line, error.field, error.code, error.params))
        if on_row is not None:
            on_row()
    if not good or (all_or_nothing and report.errors):
        return report
    households, created = await _households_for(session, good)
    report.households_created = created
    await _write_people(session, good, households, password_hash)
    report.imported = len(good)
    if sms is not None:
        await _invite(session, sms, good)
    return report


async def _invite(session: AsyncSession, sms: SmsGateway, good: list[_Row]) -> None:
    ids = {row.grid.community_id for row in good}
    found = await session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids)))
    names: dict[uuid.UUID | None, str] = {unit_id: name for unit_id, name in found}
    for row in good:
        community = names[row.grid.community_id]
        invite_after_commit(session, sms, phone=row.phone, community=community)


def _parse(row: Mapping[str, str | None], grids: dict[str, OrgUnit], actor: Actor) -> _Row:
    name = validation.required_text(row.get("name"), field="name", max_length=NAME_MAX)
    phone = validation.phone(row.get("phone") or "")
    code = (row.get("grid_code") or "").strip()
    if not code:
        raise DomainError(ErrorCode.REQUIRED, field="grid_code")
    grid = grids.get(code)
    if grid is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="grid_code")
    if not allows(actor, Permission.PERSON_MANAGE, grid.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="grid_code")
    address = validation.required_text(row.get("address"), field="address", max_length=ADDRESS_MAX)
    flag = (row.get("party_member") or "").strip().lower()
    if flag not in _TRUE | _FALSE:
        raise DomainError(ErrorCode.INVALID_VALUE, field="party_member")
    branch = validation.text(
        row.get("party_branch"), field="party_branch", max_length=BRANCH_MAX, required=False
    )
    return _Row(name, phone, grid, address, flag in _TRUE, branch)


async def _grids_by_code(session: AsyncSession, codes: set[str]) -> dict[str, OrgUnit]:
    rows = await session.scalars(
        select(OrgUnit).where(OrgUnit.code.in_(codes), OrgUnit.kind == UnitKind.GRID)
    )
    return {unit.code: unit for unit in rows}


async def _taken_phones(session: AsyncSession, raw: list[Mapping[str, str | None]]) -> set[str]:
    candidates = set()
    for row in raw:  # normalized as the rows will be (each malformed one fails on its own)
        try:
            candidates.add(validation.phone(row.get("phone") or ""))
        except DomainError:
            continue
    rows = await session.scalars(select(Person.phone).where(Person.phone.in_(candidates)))
    return set(rows)


async def _households_for(
    session: AsyncSession, good: list[_Row]
) -> tuple[dict[tuple[uuid.UUID, str], uuid.UUID], int]:
    wanted = {(row.grid.community_id, row.address): row.grid.id for row in good}
    inserted = await session.execute(
        pg_insert(Household)
        .values(
            [
                {"community_id": community, "grid_id": grid, "address": address}
                for (community, address), grid in wanted.items()
            ]
        )
        .on_conflict_do_nothing(constraint="uq_household_community_address")
        .returning(Household.id)
    )
    created = len(inserted.all())
    found = await session.execute(
        select(Household.community_id, Household.address, Household.id).where(
            tuple_(Household.community_id, Household.address).in_(list(wanted))
        )
    )
    return {(c, a): hid for c, a, hid in found.all()}, created


async def _write_people(
    session: AsyncSession,
    good: list[_Row],
    households: dict[tuple[uuid.UUID, str], uuid.UUID],
    password_hash: str | None,
) -> None:
    people = [
        {
            "id": uuid.uuid4(),
            "name": row.name,
            "phone": row.phone,
            "community_id": row.grid.community_id,
            "household_id": households[(row.grid.community_id, row.address)],  # type: ignore[index]
            "is_party_member": row.is_party_member,
            "party_branch": row.party_branch,
            "password_hash": password_hash,
        }
        for row in good
    ]
    await session.execute(insert(Person), people)
    roles = [
        {"person_id": p["id"], "role": role, "unit_id": p["community_id"]}
        for p in people
        for role in (
            (Role.RESIDENT, Role.PARTY_MEMBER) if p["is_party_member"] else (Role.RESIDENT,)
        )
    ]
    await session.execute(insert(RoleAssignment), roles)
