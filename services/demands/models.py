"""Resident demands (诉求 / 工单), their categories and service levels, timelines and photos.

A demand's stored ``level``/``state``/``stage_*`` columns are what was last written; what a reader
sees is :func:`services.demands.levels.project` of them at the current time (an overdue stage has
already escalated, a resolved demand left unrated for 3 days is already closed), so nothing depends
on the worker having run. The service levels are copied onto the demand when it is reported, so a
later change to the catalogue never re-judges an old demand.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from services import clock
from services.db import Base, created_at, pg_enum, uuid_pk


class DemandType(StrEnum):
    CONSULT = "consult"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class DemandLevel(StrEnum):
    """Who holds the demand: the grid, the community, the street, or departments it summoned."""

    GRID = "grid"
    COMMUNITY = "community"
    STREET = "street"
    DEPARTMENT = "department"


class DemandState(StrEnum):
    ACTIVE = "active"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Stage(StrEnum):
    RESPOND = "respond"  # accepted (on site) within the response time
    RESOLVE = "resolve"  # solved within the resolution (grid) or recovery (above) time


class Outcome(StrEnum):
    SOLVED = "solved"
    PARTLY = "partly"
    UNSOLVED = "unsolved"
    NOT_RATED = "not_rated"
    RETURNED = "returned"  # the grid sent it back to the resident as misrouted


class AssignmentRole(StrEnum):
    LEAD = "lead"
    ASSIST = "assist"


class EventKind(StrEnum):
    REPORTED = "reported"
    ACCEPTED = "accepted"
    SOLVED = "solved"
    ESCALATED = "escalated"
    AUTO_ESCALATED = "auto_escalated"
    BREACHED = "breached"
    ASSIGNED = "assigned"
    DEPARTMENT_ACCEPTED = "department_accepted"
    DEPARTMENT_REPORTED_IN = "department_reported_in"
    DEPARTMENT_REPLIED = "department_replied"
    RETURNED = "returned"
    RATED = "rated"
    REOPENED = "reopened"
    CLOSED = "closed"


NAME_MAX = 40
DESCRIPTION_MAX = 2000
ADDRESS_MAX = 200
NOTE_MAX = 1000
COMMENT_MAX = 500

# The "3 1" service levels of the seeds: on site within 10 minutes, simple problems solved within
# 1 hour, recovery within 1 day.
RESPOND_MINUTES = 10
RESOLVE_MINUTES = 60
RECOVERY_MINUTES = 24 * 60
DEFAULT_CATEGORIES = ("公共设施", "环境卫生", "邻里纠纷", "物业管理", "安全隐患")

_minutes = "respond_minutes > 0 AND resolve_minutes > 0 AND recovery_minutes > 0"


class DemandCategory(Base):
    """A community's catalogue of demand categories (seeded with the defaults on first use)."""

    __tablename__ = "demand_category"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("community_id", "name", name="uq_demand_category_community_name"),
    )


class ServiceLevel(Base):
    """Minutes per stage for a category and urgency; absent means the "3 1" defaults."""

    __tablename__ = "demand_service_level"

    category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("demand_category.id", ondelete="CASCADE"), primary_key=True
    )
    urgency: Mapped[Urgency] = mapped_column(pg_enum(Urgency, "demand_urgency"), primary_key=True)
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    respond_minutes: Mapped[int] = mapped_column(Integer)
    resolve_minutes: Mapped[int] = mapped_column(Integer)
    recovery_minutes: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint(_minutes, name="positive_minutes"),)


class Demand(Base):
    __tablename__ = "demand"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    grid_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    reported_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    type: Mapped[DemandType] = mapped_column(pg_enum(DemandType, "demand_type"))
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("demand_category.id"))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(ADDRESS_MAX))
    urgency: Mapped[Urgency] = mapped_column(pg_enum(Urgency, "demand_urgency"))
    respond_minutes: Mapped[int] = mapped_column(Integer)
    resolve_minutes: Mapped[int] = mapped_column(Integer)
    recovery_minutes: Mapped[int] = mapped_column(Integer)
    level: Mapped[DemandLevel] = mapped_column(pg_enum(DemandLevel, "demand_level"))
    state: Mapped[DemandState] = mapped_column(pg_enum(DemandState, "demand_state"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    handler_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    stage_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stage_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_level: Mapped[DemandLevel | None] = mapped_column(pg_enum(DemandLevel, "demand_level"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[Outcome | None] = mapped_column(pg_enum(Outcome, "demand_outcome"))
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(COMMENT_MAX))
    reopened: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = created_at()
    # when the worker should next settle it (:mod:`services.demands.settle`): the next time a
    # clock runs out; a new or changed demand at once; None: never, until something changes
    settle_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_demand_grid_state", "grid_id", "state", "created_at"),
        Index("ix_demand_settle", "settle_at", postgresql_where=text("settle_at IS NOT NULL")),
        Index("ix_demand_community_state", "community_id", "state"),
        Index("ix_demand_resident", "resident_id", "created_at"),
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        CheckConstraint("reopened BETWEEN 0 AND 1", name="reopened_once"),
        CheckConstraint(_minutes, name="positive_minutes"),
    )


@event.listens_for(Demand, "before_insert")
@event.listens_for(Demand, "before_update")
def _settle_soon(mapper: Mapper[Demand], connection: Connection, demand: Demand) -> None:
    """A new or changed demand is settled at the worker's next tick, which then sets when its
    clocks run out next; :func:`services.demands.settle.settle` sets ``settle_at`` itself."""
    if not inspect(demand).attrs.settle_at.history.has_changes():
        demand.settle_at = clock.now()


class DemandAssignment(Base):
    """A department summoned by the street ("blowing the whistle"): one lead, some assisting."""

    __tablename__ = "demand_assignment"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    demand_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("demand.id", ondelete="CASCADE"))
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"), index=True)
    role: Mapped[AssignmentRole] = mapped_column(pg_enum(AssignmentRole, "demand_assignment_role"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reported_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reply: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint(
            "demand_id", "department_id", "assigned_at", name="uq_demand_assignment_department"
        ),
    )


class DemandEvent(Base):
    """One step on a demand's timeline: who (NULL: the clock), when, what, which photos."""

    __tablename__ = "demand_event"

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    demand_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("demand.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(pg_enum(EventKind, "demand_event_kind"))
    level: Mapped[DemandLevel] = mapped_column(pg_enum(DemandLevel, "demand_level"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"))
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_demand_event_demand", "demand_id", "seq"),)


class DemandBreach(Base):
    """A stage deadline missed: by which level (unit, and the person holding it), which stage.

    One row per (demand, level, stage, due time, unit), so recording it twice is a no-op; the
    unit tells apart departments summoned together, each with its own response clock.
    """

    __tablename__ = "demand_breach"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_unit.id"))
    demand_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("demand.id", ondelete="CASCADE"))
    level: Mapped[DemandLevel] = mapped_column(pg_enum(DemandLevel, "demand_level"))
    stage: Mapped[Stage] = mapped_column(pg_enum(Stage, "demand_stage"))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint(
            "demand_id",
            "level",
            "stage",
            "due_at",
            "unit_id",
            name="uq_demand_breach_demand_stage",
            postgresql_nulls_not_distinct=True,
        ),
    )


class DemandPhoto(Base):
    """A photo stored by the app. Uploaded first (``demand_id`` NULL, visible to its uploader),
    then attached to a demand and a timeline event by the mutation that cites it."""

    __tablename__ = "demand_photo"

    id: Mapped[uuid.UUID] = uuid_pk()
    uploader_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_unit.id"))
    demand_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("demand.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("demand_event.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = created_at()
