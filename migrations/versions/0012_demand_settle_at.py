"""demand settle_at: when the worker settles a demand next

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("demand", sa.Column("settle_at", sa.DateTime(timezone=True), nullable=True))
    # every open demand is settled once by the next tick, which sets its next time
    op.execute("UPDATE demand SET settle_at = now() WHERE state IN ('active', 'resolved')")
    op.create_index(
        "ix_demand_settle",
        "demand",
        ["settle_at"],
        unique=False,
        postgresql_where=sa.text("settle_at IS NOT NULL"),
    )
    op.drop_index("ix_demand_due", table_name="demand")


def downgrade() -> None:
    op.create_index("ix_demand_due", "demand", ["state", "stage_started_at"], unique=False)
    op.drop_index(
        "ix_demand_settle", table_name="demand", postgresql_where=sa.text("settle_at IS NOT NULL")
    )
    op.drop_column("demand", "settle_at")
