"""A newcomer's application to be registered as a resident of a grid.

One phone has at most one pending application (a unique partial index): applying again while it
waits replaces it. A decision is made once: the row's status leaves ``pending`` in one guarded
UPDATE, and the checks below hold what each outcome carries.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, created_at, pg_enum, uuid_pk
from services.orgs.models import ADDRESS_MAX, NAME_MAX
from services.people.models import BRANCH_MAX, PHONE_LENGTH

REASON_MAX = 200


class HouseholdRelation(StrEnum):
    """How the applicant relates to the household (与户主关系)."""

    HEAD = "head"  # 户主
    SPOUSE = "spouse"  # 配偶
    CHILD = "child"  # 子女
    PARENT = "parent"  # 父母
    SIBLING = "sibling"  # 兄弟姐妹
    TENANT = "tenant"  # 租户
    OTHER = "other"  # 其他


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class RegistrationApplication(Base):
    __tablename__ = "registration_application"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    grid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    phone: Mapped[str] = mapped_column(String(PHONE_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX))
    relation: Mapped[HouseholdRelation] = mapped_column(
        pg_enum(HouseholdRelation, "household_relation")
    )
    is_party_member: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    party_branch: Mapped[str | None] = mapped_column(String(BRANCH_MAX))
    status: Mapped[ApplicationStatus] = mapped_column(
        pg_enum(ApplicationStatus, "registration_status"),
        server_default=ApplicationStatus.PENDING.value,
    )
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("household.id"))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        Index(
            "uq_registration_application_pending_phone",
            "phone",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_registration_application_queue", "grid_id", "status", "submitted_at", "id"),
        CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL AND decided_by IS NULL)",
            name="decided_once",
        ),
        CheckConstraint(
            "(status = 'approved') = (person_id IS NOT NULL AND household_id IS NOT NULL)",
            name="approved_has_person",
        ),
        CheckConstraint("status <> 'rejected' OR reason IS NOT NULL", name="rejected_has_reason"),
    )
