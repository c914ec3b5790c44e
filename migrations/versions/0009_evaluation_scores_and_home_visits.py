"""evaluation scores and home visits: two-way scoring, grid workers' household visits

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 04:15:20.135199

Communities score departments and departments score the communities' party organizations, once
per scorer unit, scored unit and month (services.reports.scores); grid workers log visits to the
households of their grid (services.demands.visits). No new enum types.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_score",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("scorer_unit_id", sa.Uuid(), nullable=False),
        sa.Column("scored_unit_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("style", sa.Integer(), nullable=False),
        sa.Column("performance", sa.Integer(), nullable=False),
        sa.Column("management", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("scored_by", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "EXTRACT(DAY FROM month) = 1", name=op.f("ck_evaluation_score_month_first_day")
        ),
        sa.CheckConstraint(
            "style BETWEEN 1 AND 5 AND performance BETWEEN 1 AND 5 AND management BETWEEN 1 AND 5",
            name=op.f("ck_evaluation_score_scores_range"),
        ),
        sa.ForeignKeyConstraint(
            ["scored_by"], ["person.id"], name=op.f("fk_evaluation_score_scored_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["scored_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_evaluation_score_scored_unit_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["scorer_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_evaluation_score_scorer_unit_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_score")),
        sa.UniqueConstraint(
            "scorer_unit_id", "scored_unit_id", "month", name="uq_evaluation_score_once"
        ),
    )
    op.create_index(
        op.f("ix_evaluation_score_scored_unit_id"),
        "evaluation_score",
        ["scored_unit_id"],
        unique=False,
    )
    op.create_table(
        "home_visit",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("visitor_id", sa.Uuid(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("issues", sa.String(length=1000), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_home_visit_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_home_visit_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_home_visit_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visitor_id"], ["person.id"], name=op.f("fk_home_visit_visitor_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home_visit")),
    )
    op.create_index("ix_home_visit_grid", "home_visit", ["grid_id", "visited_on"], unique=False)
    op.create_index(
        "ix_home_visit_household", "home_visit", ["household_id", "visited_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_home_visit_household", table_name="home_visit")
    op.drop_index("ix_home_visit_grid", table_name="home_visit")
    op.drop_table("home_visit")
    op.drop_index(op.f("ix_evaluation_score_scored_unit_id"), table_name="evaluation_score")
    op.drop_table("evaluation_score")
