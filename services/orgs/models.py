"""Org units (one tree) and households."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, created_at, pg_enum, uuid_pk


class UnitKind(StrEnum):
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"
    MICRO_GRID = "micro_grid"
    DEPARTMENT = "department"


# Which kind of unit may sit under which (None: a root).
PARENT_KIND: dict[UnitKind, tuple[UnitKind | None, ...]] = {
    UnitKind.STREET: (None,),
    UnitKind.COMMUNITY: (UnitKind.STREET,),
    UnitKind.GRID: (UnitKind.COMMUNITY,),
    UnitKind.MICRO_GRID: (UnitKind.GRID,),
    UnitKind.DEPARTMENT: (None, UnitKind.STREET),
}

NAME_MAX = 100
CODE_MAX = 40
ADDRESS_MAX = 200


class OrgUnit(Base):
    """A street, community, grid, micro-grid or department.

    ``path`` holds the ids from the root down to this unit itself, so "is X inside scope S" is
    ``S = ANY(X.path)`` and a scope filter is one array-overlap test. ``community_id`` is the
    community the unit belongs to (itself for a community; NULL above or beside communities), the
    distribution key should the data ever be spread by community.
    """

    __tablename__ = "org_unit"

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[UnitKind] = mapped_column(pg_enum(UnitKind, "unit_kind"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    code: Mapped[str] = mapped_column(String(CODE_MAX), unique=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    path: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index("ix_org_unit_path", "path", postgresql_using="gin"),
        CheckConstraint("path[array_length(path, 1)] = id", name="path_ends_at_self"),
    )


class Household(Base):
    """A household (户) at an address inside a grid; ~15 of them look to a center household."""

    __tablename__ = "household"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), index=True)
    grid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), index=True)
    micro_grid_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"))
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX))
    center_household_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("center_household.id", ondelete="SET NULL", use_alter=True), index=True
    )
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("community_id", "address", name="uq_household_community_address"),
        # what a person's (household, community) pair refers to (person.household_community)
        UniqueConstraint("id", "community_id", name="uq_household_id_community"),
        Index("ix_household_grid_address", "grid_id", "address", "id"),
    )


class CenterHousehold(Base):
    """党员中心户: a party member who looks after the nearby households linked to it."""

    __tablename__ = "center_household"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), unique=True)
    created_at: Mapped[datetime] = created_at()


class ExpiryPolicy(StrEnum):
    """When a community's points lapse (applied by :mod:`services.ledger.expiry`)."""

    NEVER = "never"
    YEAR_END = "year_end"  # 年底清零: what was booked before 1 January lapses
    AFTER_MONTHS = "after_months"  # points lapse ``expiry_months`` months after booking


DEFAULT_PUBLICITY_DAYS = 5
PUBLICITY_DAYS_MIN, PUBLICITY_DAYS_MAX = 1, 30
EXPIRY_MONTHS_MIN, EXPIRY_MONTHS_MAX = 1, 120


DEFAULT_SMS_DAILY_BUDGET = 200  # SMS per community per day (notifications; sign-in codes aside)


class CommunitySettings(Base):
    """A community's own policies (one row per community; absent means the defaults).

    ``expiry_applied_on`` is bookkeeping, not policy: the Asia/Shanghai day expiry last ran for
    the community, so the worker runs it at most once a day (a changed policy clears it).
    """

    __tablename__ = "community_settings"

    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    publicity_days: Mapped[int] = mapped_column(
        Integer, server_default=text(str(DEFAULT_PUBLICITY_DAYS))
    )
    expiry_policy: Mapped[ExpiryPolicy] = mapped_column(
        pg_enum(ExpiryPolicy, "expiry_policy"), server_default=ExpiryPolicy.NEVER.value
    )
    expiry_months: Mapped[int | None] = mapped_column(Integer)
    expiry_applied_on: Mapped[date | None] = mapped_column(Date)
    sms_daily_budget: Mapped[int] = mapped_column(
        Integer, server_default=text(str(DEFAULT_SMS_DAILY_BUDGET))
    )

    __table_args__ = (
        CheckConstraint(
            f"publicity_days BETWEEN {PUBLICITY_DAYS_MIN} AND {PUBLICITY_DAYS_MAX}",
            name="publicity_days",
        ),
        CheckConstraint(
            "(expiry_policy = 'after_months') = (expiry_months IS NOT NULL) AND (expiry_months "
            f"IS NULL OR expiry_months BETWEEN {EXPIRY_MONTHS_MIN} AND {EXPIRY_MONTHS_MAX})",
            name="expiry_months",
        ),
    )
