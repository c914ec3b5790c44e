"""self-registration: applications decided by the grid's staff

Issue 14 ("Open the door"): a newcomer applies with an SMS code; the grid worker or the community
admin approves (the person is created) or rejects (with a reason). One pending application per
phone: a unique partial index, so applying again replaces the waiting one.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RELATIONS = ("head", "spouse", "child", "parent", "sibling", "tenant", "other")
STATUSES = ("pending", "approved", "rejected")


def upgrade() -> None:
    op.create_table(
        "registration_application",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("relation", sa.Enum(*RELATIONS, name="household_relation"), nullable=False),
        sa.Column("is_party_member", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("party_branch", sa.String(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="registration_status"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL AND decided_by IS NULL)",
            name=op.f("ck_registration_application_decided_once"),
        ),
        sa.CheckConstraint(
            "(status = 'approved') = (person_id IS NOT NULL AND household_id IS NOT NULL)",
            name=op.f("ck_registration_application_approved_has_person"),
        ),
        sa.CheckConstraint(
            "status <> 'rejected' OR reason IS NOT NULL",
            name=op.f("ck_registration_application_rejected_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_registration_application_community_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_registration_application_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["person.id"],
            name=op.f("fk_registration_application_decided_by_person"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_registration_application_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_registration_application_household_id_household"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_application")),
    )
    op.create_index(
        "uq_registration_application_pending_phone",
        "registration_application",
        ["phone"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_registration_application_queue",
        "registration_application",
        ["grid_id", "status", "submitted_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_registration_application_queue", table_name="registration_application")
    op.drop_index(
        "uq_registration_application_pending_phone", table_name="registration_application"
    )
    op.drop_table("registration_application")
    op.execute("DROP TYPE registration_status")
    op.execute("DROP TYPE household_relation")
