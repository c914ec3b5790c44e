"""wish wall, inspection rounds, per-department breaches

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 05:13:36
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspection_round",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("inspector_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("findings", sa.ARRAY(sa.String(length=300)), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_inspection_round_community_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_inspection_round_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["person.id"], name=op.f("fk_inspection_round_inspector_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_round")),
    )
    op.create_index("ix_inspection_round_grid", "inspection_round", ["grid_id", "started_at"])
    op.create_table(
        "wish",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=40), nullable=False),
        sa.Column("content", sa.String(length=1000), nullable=False),
        sa.Column(
            "state",
            sa.Enum("open", "adopted", "declined", "withdrawn", name="wish_state"),
            nullable=False,
        ),
        sa.Column("supporters", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("demand_id", sa.Uuid(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("handled_by", sa.Uuid(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["person.id"], name=op.f("fk_wish_author_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_wish_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["demand_id"], ["demand.id"], name=op.f("fk_wish_demand_id_demand")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_wish_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["handled_by"], ["person.id"], name=op.f("fk_wish_handled_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["volunteer_order.id"], name=op.f("fk_wish_order_id_volunteer_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wish")),
    )
    op.create_index(op.f("ix_wish_author_id"), "wish", ["author_id"])
    op.create_index("ix_wish_grid_created", "wish", ["grid_id", "created_at", "id"])
    op.create_table(
        "wish_support",
        sa.Column("wish_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_wish_support_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["wish_id"], ["wish.id"], name=op.f("fk_wish_support_wish_id_wish"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("wish_id", "person_id", name=op.f("pk_wish_support")),
    )
    # departments summoned together each have their own response clock: the unit joins the key
    op.drop_constraint("uq_demand_breach_demand_stage", "demand_breach", type_="unique")
    op.create_unique_constraint(
        "uq_demand_breach_demand_stage",
        "demand_breach",
        ["demand_id", "level", "stage", "due_at", "unit_id"],
        postgresql_nulls_not_distinct=True,
    )


def downgrade() -> None:
    op.drop_constraint("uq_demand_breach_demand_stage", "demand_breach", type_="unique")
    op.execute(
        "DELETE FROM demand_breach d USING demand_breach e WHERE d.demand_id = e.demand_id"
        " AND d.level = e.level AND d.stage = e.stage AND d.due_at = e.due_at AND d.id > e.id"
    )
    op.create_unique_constraint(
        "uq_demand_breach_demand_stage", "demand_breach", ["demand_id", "level", "stage", "due_at"]
    )
    op.drop_table("wish_support")
    op.drop_index("ix_wish_grid_created", table_name="wish")
    op.drop_index(op.f("ix_wish_author_id"), table_name="wish")
    op.drop_table("wish")
    op.execute("DROP TYPE wish_state")
    op.drop_index("ix_inspection_round_grid", table_name="inspection_round")
    op.drop_table("inspection_round")
