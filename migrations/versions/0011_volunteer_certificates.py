"""volunteer certificates

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 05:13:36
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "volunteer_certificate",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_by", sa.Uuid(), nullable=False),
        sa.Column("services", sa.Integer(), nullable=False),
        sa.Column("hours_tenths", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_volunteer_certificate_community_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["person.id"], name=op.f("fk_volunteer_certificate_issued_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_volunteer_certificate_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_certificate")),
        sa.UniqueConstraint("number", name=op.f("uq_volunteer_certificate_number")),
    )
    op.create_index(
        op.f("ix_volunteer_certificate_person_id"), "volunteer_certificate", ["person_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_volunteer_certificate_person_id"), table_name="volunteer_certificate")
    op.drop_table("volunteer_certificate")
