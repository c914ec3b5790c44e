"""annual selection snapshots

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "annual_selection",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("closed_by", sa.Uuid(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["person.id"], name=op.f("fk_annual_selection_closed_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_annual_selection_community_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("community_id", "year", name=op.f("pk_annual_selection")),
    )
    op.create_table(
        "annual_selection_entry",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=8, scale=1, asdecimal=False), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("grid_rank", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id", "year"],
            ["annual_selection.community_id", "annual_selection.year"],
            name=op.f("fk_annual_selection_entry_community_id_annual_selection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_annual_selection_entry_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_annual_selection_entry_person_id_person")
        ),
        sa.PrimaryKeyConstraint(
            "community_id", "year", "person_id", name=op.f("pk_annual_selection_entry")
        ),
    )


def downgrade() -> None:
    op.drop_table("annual_selection_entry")
    op.drop_table("annual_selection")
