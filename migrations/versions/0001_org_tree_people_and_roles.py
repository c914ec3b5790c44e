"""org tree, people and roles

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:18:10.736082
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_unit",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("street", "community", "grid", "micro_grid", "department", name="unit_kind"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("path", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "path[array_length(path, 1)] = id", name=op.f("ck_org_unit_path_ends_at_self")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_org_unit_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["org_unit.id"], name=op.f("fk_org_unit_parent_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_org_unit_code")),
    )
    op.create_index(op.f("ix_org_unit_community_id"), "org_unit", ["community_id"], unique=False)
    op.create_index(op.f("ix_org_unit_parent_id"), "org_unit", ["parent_id"], unique=False)
    op.create_index("ix_org_unit_path", "org_unit", ["path"], unique=False, postgresql_using="gin")
    op.create_table(
        "household",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("micro_grid_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("center_household_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_household_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_household_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["micro_grid_id"], ["org_unit.id"], name=op.f("fk_household_micro_grid_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("community_id", "address", name="uq_household_community_address"),
    )
    op.create_index(
        op.f("ix_household_center_household_id"), "household", ["center_household_id"], unique=False
    )
    op.create_index(op.f("ix_household_community_id"), "household", ["community_id"], unique=False)
    op.create_index(
        "ix_household_grid_address", "household", ["grid_id", "address", "id"], unique=False
    )
    op.create_index(op.f("ix_household_grid_id"), "household", ["grid_id"], unique=False)
    op.create_table(
        "person",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("is_party_member", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("party_branch", sa.String(length=100), nullable=True),
        sa.Column("party_registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_person_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_person_household_id_household"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("phone", name=op.f("uq_person_phone")),
    )
    op.create_index(op.f("ix_person_community_id"), "person", ["community_id"], unique=False)
    op.create_index(op.f("ix_person_household_id"), "person", ["household_id"], unique=False)
    op.create_table(
        "center_household",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_center_household_community_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_center_household_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_household")),
        sa.UniqueConstraint("person_id", name=op.f("uq_center_household_person_id")),
    )
    op.create_index(
        op.f("ix_center_household_community_id"), "center_household", ["community_id"], unique=False
    )
    # household -> center_household -> person -> household is a cycle: this one comes last.
    op.create_foreign_key(
        op.f("fk_household_center_household_id_center_household"),
        "household",
        "center_household",
        ["center_household_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_table(
        "role_assignment",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "resident",
                "party_member",
                "grid_worker",
                "grid_leader",
                "building_leader",
                "community_admin",
                "meeting_member",
                "street_admin",
                "department_staff",
                "system_admin",
                name="role",
            ),
            nullable=False,
        ),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column(
            "seat_type",
            sa.Enum(
                "party_org",
                "party_member_rep",
                "resident_rep",
                "assessment_group",
                name="seat_type",
            ),
            nullable=True,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(role = 'meeting_member') = (seat_type IS NOT NULL)",
            name=op.f("ck_role_assignment_seat_type_iff_meeting"),
        ),
        sa.CheckConstraint(
            "(role = 'system_admin') = (unit_id IS NULL)",
            name=op.f("ck_role_assignment_unit_unless_system"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_role_assignment_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_role_assignment_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignment")),
        sa.UniqueConstraint(
            "person_id",
            "role",
            "unit_id",
            name="uq_role_assignment_person_role_unit",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index("ix_role_assignment_person", "role_assignment", ["person_id"], unique=False)
    op.create_index(
        op.f("ix_role_assignment_unit_id"), "role_assignment", ["unit_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_role_assignment_unit_id"), table_name="role_assignment")
    op.drop_index("ix_role_assignment_person", table_name="role_assignment")
    op.drop_table("role_assignment")
    op.drop_constraint(
        op.f("fk_household_center_household_id_center_household"), "household", type_="foreignkey"
    )
    op.drop_index(op.f("ix_center_household_community_id"), table_name="center_household")
    op.drop_table("center_household")
    op.drop_index(op.f("ix_person_household_id"), table_name="person")
    op.drop_index(op.f("ix_person_community_id"), table_name="person")
    op.drop_table("person")
    op.drop_index(op.f("ix_household_grid_id"), table_name="household")
    op.drop_index("ix_household_grid_address", table_name="household")
    op.drop_index(op.f("ix_household_community_id"), table_name="household")
    op.drop_index(op.f("ix_household_center_household_id"), table_name="household")
    op.drop_table("household")
    op.drop_index("ix_org_unit_path", table_name="org_unit", postgresql_using="gin")
    op.drop_index(op.f("ix_org_unit_parent_id"), table_name="org_unit")
    op.drop_index(op.f("ix_org_unit_community_id"), table_name="org_unit")
    op.drop_table("org_unit")
    for enum in ("seat_type", "role", "unit_kind"):
        op.execute(f"DROP TYPE IF EXISTS {enum}")
