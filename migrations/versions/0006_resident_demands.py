"""resident demands

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The enum types are created once here and reused by every column (create_type=False).
ENUMS = {
    "demand_urgency": ("normal", "urgent"),
    "demand_type": ("consult", "help", "complaint", "report", "suggestion"),
    "demand_level": ("grid", "community", "street", "department"),
    "demand_state": ("active", "resolved", "closed"),
    "demand_outcome": ("solved", "partly", "unsolved", "not_rated", "returned"),
    "demand_assignment_role": ("lead", "assist"),
    "demand_stage": ("respond", "resolve"),
    "demand_event_kind": (
        "reported",
        "accepted",
        "solved",
        "escalated",
        "auto_escalated",
        "breached",
        "assigned",
        "department_accepted",
        "department_reported_in",
        "department_replied",
        "returned",
        "rated",
        "reopened",
        "closed",
    ),
}


def _enum(name: str) -> postgresql.ENUM:
    return postgresql.ENUM(*ENUMS[name], name=name, create_type=False)


def upgrade() -> None:
    bind = op.get_bind()
    for name, values in ENUMS.items():
        postgresql.ENUM(*values, name=name).create(bind)
    op.create_table(
        "demand_category",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_demand_category_community_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_category")),
        sa.UniqueConstraint("community_id", "name", name="uq_demand_category_community_name"),
    )
    op.create_table(
        "demand_service_level",
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("urgency", _enum("demand_urgency"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("respond_minutes", sa.Integer(), nullable=False),
        sa.Column("resolve_minutes", sa.Integer(), nullable=False),
        sa.Column("recovery_minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "respond_minutes > 0 AND resolve_minutes > 0 AND recovery_minutes > 0",
            name=op.f("ck_demand_service_level_positive_minutes"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["demand_category.id"],
            name=op.f("fk_demand_service_level_category_id_demand_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_demand_service_level_community_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("category_id", "urgency", name=op.f("pk_demand_service_level")),
    )
    op.create_table(
        "demand",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("reported_by", sa.Uuid(), nullable=False),
        sa.Column("type", _enum("demand_type"), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("urgency", _enum("demand_urgency"), nullable=False),
        sa.Column("respond_minutes", sa.Integer(), nullable=False),
        sa.Column("resolve_minutes", sa.Integer(), nullable=False),
        sa.Column("recovery_minutes", sa.Integer(), nullable=False),
        sa.Column("level", _enum("demand_level"), nullable=False),
        sa.Column("state", _enum("demand_state"), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("handler_id", sa.Uuid(), nullable=True),
        sa.Column("stage_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage_accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_level", _enum("demand_level"), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", _enum("demand_outcome"), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("reopened", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("reopened BETWEEN 0 AND 1", name=op.f("ck_demand_reopened_once")),
        sa.CheckConstraint(
            "respond_minutes > 0 AND resolve_minutes > 0 AND recovery_minutes > 0",
            name=op.f("ck_demand_positive_minutes"),
        ),
        sa.CheckConstraint(
            "satisfaction BETWEEN 1 AND 5", name=op.f("ck_demand_satisfaction_range")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["demand_category.id"],
            name=op.f("fk_demand_category_id_demand_category"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_demand_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_demand_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["handler_id"], ["person.id"], name=op.f("fk_demand_handler_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["person.id"], name=op.f("fk_demand_owner_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"], ["person.id"], name=op.f("fk_demand_reported_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["person.id"], name=op.f("fk_demand_resident_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand")),
    )
    op.create_index("ix_demand_community_state", "demand", ["community_id", "state"], unique=False)
    op.create_index("ix_demand_due", "demand", ["state", "stage_started_at"], unique=False)
    op.create_index(
        "ix_demand_grid_state", "demand", ["grid_id", "state", "created_at"], unique=False
    )
    op.create_index("ix_demand_resident", "demand", ["resident_id", "created_at"], unique=False)
    op.create_table(
        "demand_assignment",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("demand_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("role", _enum("demand_assignment_role"), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply", sa.String(length=1000), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_demand_assignment_community_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["demand.id"],
            name=op.f("fk_demand_assignment_demand_id_demand"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["org_unit.id"],
            name=op.f("fk_demand_assignment_department_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_assignment")),
        sa.UniqueConstraint(
            "demand_id", "department_id", "assigned_at", name="uq_demand_assignment_department"
        ),
    )
    op.create_index(
        op.f("ix_demand_assignment_department_id"),
        "demand_assignment",
        ["department_id"],
        unique=False,
    )
    op.create_table(
        "demand_breach",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("demand_id", sa.Uuid(), nullable=False),
        sa.Column("level", _enum("demand_level"), nullable=False),
        sa.Column("stage", _enum("demand_stage"), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_demand_breach_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["demand.id"],
            name=op.f("fk_demand_breach_demand_id_demand"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_demand_breach_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_demand_breach_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_breach")),
        sa.UniqueConstraint(
            "demand_id", "level", "stage", "due_at", name="uq_demand_breach_demand_stage"
        ),
    )
    op.create_table(
        "demand_event",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("demand_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _enum("demand_event_kind"), nullable=False),
        sa.Column("level", _enum("demand_level"), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["person.id"], name=op.f("fk_demand_event_actor_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_demand_event_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["demand.id"],
            name=op.f("fk_demand_event_demand_id_demand"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_demand_event_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_event")),
        sa.UniqueConstraint("seq", name=op.f("uq_demand_event_seq")),
    )
    op.create_index("ix_demand_event_demand", "demand_event", ["demand_id", "seq"], unique=False)
    op.create_table(
        "demand_photo",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("uploader_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("demand_id", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_demand_photo_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["demand.id"],
            name=op.f("fk_demand_photo_demand_id_demand"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["demand_event.id"],
            name=op.f("fk_demand_photo_event_id_demand_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"], ["person.id"], name=op.f("fk_demand_photo_uploader_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_photo")),
        sa.UniqueConstraint("key", name=op.f("uq_demand_photo_key")),
    )
    op.create_index(op.f("ix_demand_photo_demand_id"), "demand_photo", ["demand_id"], unique=False)
    op.create_index(op.f("ix_demand_photo_event_id"), "demand_photo", ["event_id"], unique=False)
    op.create_index(
        op.f("ix_demand_photo_uploader_id"), "demand_photo", ["uploader_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_demand_photo_uploader_id"), table_name="demand_photo")
    op.drop_index(op.f("ix_demand_photo_event_id"), table_name="demand_photo")
    op.drop_index(op.f("ix_demand_photo_demand_id"), table_name="demand_photo")
    op.drop_table("demand_photo")
    op.drop_index("ix_demand_event_demand", table_name="demand_event")
    op.drop_table("demand_event")
    op.drop_table("demand_breach")
    op.drop_index(op.f("ix_demand_assignment_department_id"), table_name="demand_assignment")
    op.drop_table("demand_assignment")
    op.drop_index("ix_demand_resident", table_name="demand")
    op.drop_index("ix_demand_grid_state", table_name="demand")
    op.drop_index("ix_demand_due", table_name="demand")
    op.drop_index("ix_demand_community_state", table_name="demand")
    op.drop_table("demand")
    op.drop_table("demand_service_level")
    op.drop_table("demand_category")
    for name in reversed(ENUMS):
        op.execute(f"DROP TYPE IF EXISTS {name}")
