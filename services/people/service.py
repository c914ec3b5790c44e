"""People and role assignments: scoped reads, creation, roles, party registration."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, delete, false, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services import validation
from services.authz import ALL_UNITS, Actor, Permission, allows, scope
from services.authz.policy import RESERVED_ROLES
from services.errors import DomainError, ErrorCode
from services.events import outbox
from services.orgs.households import get_household
from services.orgs.models import NAME_MAX, Household, OrgUnit, UnitKind
from services.orgs.service import require_unit
from services.pagination import Page, keyset_page
from services.people.models import BRANCH_MAX, Person, Role, RoleAssignment, SeatType
from services.registration.invites import invite_after_commit
from services.sms import SmsGateway

# The kind of unit each role is held over.
ROLE_UNIT_KINDS: dict[Role, tuple[UnitKind, ...]] = {
    Role.RESIDENT: (UnitKind.COMMUNITY,),
    Role.PARTY_MEMBER: (UnitKind.COMMUNITY,),
    Role.GRID_WORKER: (UnitKind.GRID,),
    Role.GRID_LEADER: (UnitKind.GRID,),
    Role.BUILDING_LEADER: (UnitKind.GRID, UnitKind.MICRO_GRID),
    Role.COMMUNITY_ADMIN: (UnitKind.COMMUNITY,),
    Role.MEETING_MEMBER: (UnitKind.COMMUNITY,),
    Role.STREET_ADMIN: (UnitKind.STREET,),
    Role.DEPARTMENT_STAFF: (UnitKind.DEPARTMENT,),
    Role.SYSTEM_ADMIN: (),
}


def readable(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the people ``actor`` may read (themselves, and whoever is in their scope)."""
    units = scope(actor, Permission.PERSON_READ)
    if units is ALL_UNITS:
        return Person.id.is_not(None)
    assert isinstance(units, frozenset)
    conditions: list[ColumnElement[bool]] = [Person.id == actor.person_id]
    if units:
        within = select(OrgUnit.id).where(OrgUnit.path.overlap(list(units)))
        conditions += [
            Person.community_id.in_(within),
            Person.household_id.in_(select(Household.id).where(Household.grid_id.in_(within))),
            Person.id.in_(
                select(RoleAssignment.person_id).where(RoleAssignment.unit_id.in_(within))
            ),
        ]
    return or_(false(), *conditions)


async def get_person(session: AsyncSession, actor: Actor, person_id: uuid.UUID) -> Person | None:
    return await session.scalar(select(Person).where(Person.id == person_id, readable(actor)))


async def get_role_assignment(
    session: AsyncSession, actor: Actor, assignment_id: uuid.UUID
) -> RoleAssignment | None:
    """A role assignment, visible to whoever may see the person holding it."""
    return await session.scalar(
        select(RoleAssignment)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.id == assignment_id, readable(actor))
    )


async def people_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Person]:
    rows = await session.scalars(select(Person).where(Person.id.in_(ids), readable(actor)))
    return {row.id: row for row in rows}


async def names_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names only, for public roles (joint-meeting members; the public board masks them)."""
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    return {person_id: name for person_id, name in rows}


async def members_of_households(
    session: AsyncSession, household_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Person]]:
    """Members of each household; the caller has already checked the households are readable."""
    rows = await session.scalars(
        select(Person).where(Person.household_id.in_(household_ids)).order_by(Person.name)
    )
    grouped: dict[uuid.UUID, list[Person]] = {hid: [] for hid in household_ids}
    for person in rows:
        assert person.household_id is not None
        grouped[person.household_id].append(person)
    return grouped


async def roles_of_people(
    session: AsyncSession, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RoleAssignment]]:
    rows = await session.scalars(
        select(RoleAssignment)
        .where(RoleAssignment.person_id.in_(person_ids))
        .order_by(RoleAssignment.created_at, RoleAssignment.role, RoleAssignment.id)
    )
    grouped: dict[uuid.UUID, list[RoleAssignment]] = {pid: [] for pid in person_ids}
    for assignment in rows:
        grouped[assignment.person_id].append(assignment)
    return grouped


async def list_people(
    session: AsyncSession,
    actor: Actor,
    *,
    unit_id: uuid.UUID | None = None,
    role: Role | None = None,
    first: int,
    after: str | None = None,
) -> Page[Person]:
    stmt = select(Person).where(readable(actor))
    if unit_id is not None:
        within = select(OrgUnit.id).where(OrgUnit.path.contains([unit_id]))
        stmt = stmt.where(
            or_(
                Person.community_id.in_(within),
                Person.household_id.in_(select(Household.id).where(Household.grid_id.in_(within))),
            )
        )
    if role is not None:
        stmt = stmt.where(
            Person.id.in_(select(RoleAssignment.person_id).where(RoleAssignment.role == role))
        )
    return await keyset_page(session, stmt, (Person.name, Person.id), first=first, after=after)


async def get_by_phone(session: AsyncSession, phone: str) -> Person | None:
    return await session.scalar(select(Person).where(Person.phone == phone))


async def ensure_system_admin(
    session: AsyncSession, *, phone: str, name: str, password_hash: str
) -> Person:
    """The server operator's bootstrap: make the account at ``phone`` (created if need be) a
    system admin with this password. No actor: only the CLI on the server calls it."""
    person = await get_by_phone(session, phone)
    if person is None:
        person = Person(name=name, phone=phone)
        session.add(person)
    person.password_hash = password_hash
    await session.flush()
    await session.execute(
        pg_insert(RoleAssignment)
        .values(person_id=person.id, role=Role.SYSTEM_ADMIN, unit_id=None)
        .on_conflict_do_nothing(constraint="uq_role_assignment_person_role_unit")
    )
    return person


async def set_password_hash(session: AsyncSession, *, phone: str, password_hash: str) -> bool:
    """The operator sets an account's password (e.g. an imported resident's first one)."""
    result = await session.execute(
        update(Person).where(Person.phone == phone).values(password_hash=password_hash)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def create_person(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    phone: str,
    household_id: uuid.UUID | None = None,
    community_id: uuid.UUID | None = None,
    is_party_member: bool = False,
    party_branch: str | None = None,
    password_hash: str | None = None,
    sms: SmsGateway | None = None,
) -> Person:
    """Register a person in a household (or directly in a community) the actor manages.

    Everyone registered here is a resident of that community (the RESIDENT role is granted).
    With ``sms`` they are sent an invite after the commit (sign in with a code; no password).
    """
    name = validation.required_text(name, field="name", max_length=NAME_MAX)
    phone = validation.phone(phone)
    party_branch = validation.text(
        party_branch, field="partyBranch", max_length=BRANCH_MAX, required=False
    )
    if household_id is not None:
        household = await get_household(session, actor, household_id)
        if household is None:
            raise DomainError(ErrorCode.NOT_FOUND, field="householdId")
        grid = await session.get(OrgUnit, household.grid_id)
        assert grid is not None
        path = grid.path
        community_id = household.community_id
        home = await session.get(OrgUnit, community_id)
        assert home is not None
    elif community_id is not None:
        home = await require_unit(
            session, community_id, kinds=[UnitKind.COMMUNITY], field="communityId"
        )
        path = home.path
    else:
        raise DomainError(ErrorCode.REQUIRED, field="householdId")
    if not allows(actor, Permission.PERSON_MANAGE, path):
        raise DomainError(ErrorCode.FORBIDDEN, field="householdId")
    person = Person(
        name=name,
        phone=phone,
        household_id=household_id,
        community_id=community_id,
        is_party_member=is_party_member,
        party_branch=party_branch,
        password_hash=password_hash,
    )
    try:
        async with session.begin_nested():
            session.add(person)
            await session.flush()
    except IntegrityError as error:
        raise DomainError(ErrorCode.PHONE_TAKEN, field="phone") from error
    session.add(RoleAssignment(person_id=person.id, role=Role.RESIDENT, unit_id=community_id))
    if is_party_member:
        session.add(
            RoleAssignment(person_id=person.id, role=Role.PARTY_MEMBER, unit_id=community_id)
        )
    await session.flush()
    invite_after_commit(session, sms, phone=phone, community=home.name)
    return person


async def assign_role(
    session: AsyncSession,
    actor: Actor,
    *,
    person_id: uuid.UUID,
    role: Role,
    unit_id: uuid.UUID | None,
    seat_type: SeatType | None = None,
) -> RoleAssignment:
    """Give ``person_id`` a role over a unit inside the actor's ROLE_MANAGE scope."""
    if role in RESERVED_ROLES:
        if not actor.is_system_admin:
            raise DomainError(ErrorCode.FORBIDDEN, field="role")
        unit_id = None
    else:
        if unit_id is None:
            raise DomainError(ErrorCode.REQUIRED, field="unitId")
        unit = await require_unit(session, unit_id, kinds=ROLE_UNIT_KINDS[role], field="unitId")
        if not allows(actor, Permission.ROLE_MANAGE, unit.path):
            raise DomainError(ErrorCode.FORBIDDEN, field="unitId")
    if (role is Role.MEETING_MEMBER) != (seat_type is not None):
        raise DomainError(ErrorCode.SEAT_TYPE_REQUIRED, field="seatType")
    if await session.get(Person, person_id) is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="personId")
    assignment = RoleAssignment(
        person_id=person_id, role=role, unit_id=unit_id, seat_type=seat_type
    )
    try:
        async with session.begin_nested():
            session.add(assignment)
            await session.flush()
    except IntegrityError as error:
        raise DomainError(ErrorCode.ROLE_EXISTS, field="role") from error
    outbox.authority_changed(session, person_id)
    return assignment


async def revoke_role(session: AsyncSession, actor: Actor, *, assignment_id: uuid.UUID) -> None:
    assignment = await session.get(RoleAssignment, assignment_id)
    if assignment is None:
        raise DomainError(ErrorCode.NOT_FOUND, field="id")
    if assignment.unit_id is None:
        allowed = actor.is_system_admin
    else:
        unit = await session.get(OrgUnit, assignment.unit_id)
        assert unit is not None
        allowed = allows(actor, Permission.ROLE_MANAGE, unit.path)
    if not allowed:
        raise DomainError(ErrorCode.FORBIDDEN, field="id")
    await session.execute(delete(RoleAssignment).where(RoleAssignment.id == assignment_id))
    outbox.authority_changed(session, assignment.person_id)


async def register_party_member(
    session: AsyncSession, actor: Actor, *, community_id: uuid.UUID, party_branch: str | None
) -> Person:
    """报到: a party member registers with the residential community they live in.

    The community must be their home: their household's community (or, for someone registered
    without a household, the community they were registered in). Another community is refused
    (PARTY_REGISTRATION_NOT_HOME), never a move: a person's community decides which orders they
    may claim, which exchange they spend at, whose admins adjust their points, where their wishes
    and demands go; letting a registration set it would let anyone pick those. Moving is a change
    of household, done by the staff of the receiving grid. Refusing is simplest and safe; an
    approval by the receiving community would need that community's staff in the loop anyway.
    """
    person = await session.get(Person, actor.person_id)
    assert person is not None
    if not person.is_party_member:
        raise DomainError(ErrorCode.NOT_A_PARTY_MEMBER)
    community = await require_unit(
        session, community_id, kinds=[UnitKind.COMMUNITY], field="communityId"
    )
    branch = validation.text(
        party_branch, field="partyBranch", max_length=BRANCH_MAX, required=False
    )
    if community.id != await home_community(session, person):
        raise DomainError(ErrorCode.PARTY_REGISTRATION_NOT_HOME, field="communityId")
    person.party_branch = branch or person.party_branch
    person.party_registered_at = datetime.now(UTC)
    await session.execute(
        delete(RoleAssignment).where(
            RoleAssignment.person_id == person.id, RoleAssignment.role == Role.PARTY_MEMBER
        )
    )
    session.add(RoleAssignment(person_id=person.id, role=Role.PARTY_MEMBER, unit_id=community.id))
    await session.flush()
    return person


async def home_community(session: AsyncSession, person: Person) -> uuid.UUID | None:
    """Where ``person`` lives: their household's community, else the one they were registered in
    (the database holds the two equal whenever there is a household)."""
    if person.household_id is None:
        return person.community_id
    return await session.scalar(
        select(Household.community_id).where(Household.id == person.household_id)
    )
