"""People and the roles they hold, each scoped to an org unit."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, created_at, pg_enum, uuid_pk
from services.orgs.models import NAME_MAX

PHONE_LENGTH = 11
BRANCH_MAX = 100


class Role(StrEnum):
    RESIDENT = "resident"
    PARTY_MEMBER = "party_member"
    GRID_WORKER = "grid_worker"
    GRID_LEADER = "grid_leader"
    BUILDING_LEADER = "building_leader"
    COMMUNITY_ADMIN = "community_admin"
    MEETING_MEMBER = "meeting_member"
    STREET_ADMIN = "street_admin"
    DEPARTMENT_STAFF = "department_staff"
    SYSTEM_ADMIN = "system_admin"


class SeatType(StrEnum):
    """The seat a joint-meeting member holds (联席会议)."""

    PARTY_ORG = "party_org"
    PARTY_MEMBER_REP = "party_member_rep"
    RESIDENT_REP = "resident_rep"
    ASSESSMENT_GROUP = "assessment_group"


class Person(Base):
    """Anyone who signs in: residents, party members, grid workers, staff.

    ``community_id`` is the home community (NULL for street and department staff and system admins).
    With a household it is the household's community, held by the database (a composite foreign
    key): nothing else, a party registration (报到) included, can set it elsewhere. A party member
    registers with that home community: ``party_registered_at``.
    """

    __tablename__ = "person"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    phone: Mapped[str] = mapped_column(String(PHONE_LENGTH), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("household.id", ondelete="SET NULL"), index=True
    )
    is_party_member: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    party_branch: Mapped[str | None] = mapped_column(String(BRANCH_MAX))
    party_registered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        ForeignKeyConstraint(
            ["household_id", "community_id"],
            ["household.id", "household.community_id"],
            name="fk_person_household_community",
        ),
        CheckConstraint(
            "household_id IS NULL OR community_id IS NOT NULL", name="household_has_community"
        ),
    )


class RoleAssignment(Base):
    """A role held over an org unit; the unit's subtree is the role's scope.

    A system admin's assignment has no unit: its scope is everything.
    """

    __tablename__ = "role_assignment"

    id: Mapped[uuid.UUID] = uuid_pk()
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(pg_enum(Role, "role"))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    seat_type: Mapped[SeatType | None] = mapped_column(pg_enum(SeatType, "seat_type"))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        UniqueConstraint(
            "person_id",
            "role",
            "unit_id",
            name="uq_role_assignment_person_role_unit",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_role_assignment_person", "person_id"),
        CheckConstraint(
            "(role = 'meeting_member') = (seat_type IS NOT NULL)", name="seat_type_iff_meeting"
        ),
        CheckConstraint("(role = 'system_admin') = (unit_id IS NULL)", name="unit_unless_system"),
    )
