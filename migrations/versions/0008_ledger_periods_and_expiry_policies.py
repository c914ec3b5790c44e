"""ledger periods and expiry policies: booked_on, closed months, community expiry settings

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 03:48:18.217380

Every transfer gets ``booked_on``, the Asia/Shanghai day it counts for; existing rows take the day
of their ``created_at`` (the backfill is the one UPDATE ledger_transfer ever sees: the immutability
trigger is disabled for it, inside this migration's transaction). Hashes are untouched: a
``booked_on`` implied by ``created_at`` is not part of the canonical form (services.ledger.chain).
A trigger refuses a transfer booked into a month listed in ``ledger_closed_month``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXPIRY_POLICY = postgresql.ENUM(
    "never", "year_end", "after_months", name="expiry_policy", create_type=False
)

# The rule also holds in services.ledger.writes.check_booking; this is the backstop (see there).
PERIOD_OPEN_FUNCTION = """
CREATE FUNCTION ledger_transfer_period_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM ledger_closed_month
        WHERE community_id = NEW.community_id
          AND month = date_trunc('month', NEW.booked_on::timestamp)::date
    ) THEN
        RAISE EXCEPTION 'ledger_period_closed: % falls in a closed month of community %',
            NEW.booked_on, NEW.community_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$
"""
PERIOD_OPEN_TRIGGER = """
CREATE TRIGGER ledger_transfer_period_open BEFORE INSERT ON ledger_transfer
FOR EACH ROW EXECUTE FUNCTION ledger_transfer_period_open()
"""


def upgrade() -> None:
    EXPIRY_POLICY.create(op.get_bind())
    op.add_column(
        "community_settings",
        sa.Column("expiry_policy", EXPIRY_POLICY, server_default="never", nullable=False),
    )
    op.add_column("community_settings", sa.Column("expiry_months", sa.Integer(), nullable=True))
    op.add_column("community_settings", sa.Column("expiry_applied_on", sa.Date(), nullable=True))
    op.create_check_constraint(
        op.f("ck_community_settings_expiry_months"),
        "community_settings",
        "(expiry_policy = 'after_months') = (expiry_months IS NOT NULL) AND (expiry_months "
        "IS NULL OR expiry_months BETWEEN 1 AND 120)",
    )

    op.add_column("ledger_transfer", sa.Column("booked_on", sa.Date(), nullable=True))
    op.execute("ALTER TABLE ledger_transfer DISABLE TRIGGER ledger_transfer_immutable")
    op.execute(
        "UPDATE ledger_transfer SET booked_on = (created_at AT TIME ZONE 'Asia/Shanghai')::date"
    )
    op.execute("ALTER TABLE ledger_transfer ENABLE TRIGGER ledger_transfer_immutable")
    op.alter_column("ledger_transfer", "booked_on", nullable=False)
    op.create_check_constraint(
        op.f("ck_ledger_transfer_booked_not_later"),
        "ledger_transfer",
        "booked_on <= (created_at AT TIME ZONE 'Asia/Shanghai')::date",
    )
    op.create_index(
        "ix_ledger_transfer_booked", "ledger_transfer", ["community_id", "booked_on"], unique=False
    )

    op.create_table(
        "ledger_closed_month",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("closed_by", sa.Uuid(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "EXTRACT(DAY FROM month) = 1", name=op.f("ck_ledger_closed_month_first_day")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["person.id"], name=op.f("fk_ledger_closed_month_closed_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_ledger_closed_month_community_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("community_id", "month", name=op.f("pk_ledger_closed_month")),
    )
    op.execute(PERIOD_OPEN_FUNCTION)
    op.execute(PERIOD_OPEN_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_transfer_period_open ON ledger_transfer")
    op.execute("DROP FUNCTION IF EXISTS ledger_transfer_period_open()")
    op.drop_table("ledger_closed_month")
    op.drop_index("ix_ledger_transfer_booked", table_name="ledger_transfer")
    op.drop_constraint(
        op.f("ck_ledger_transfer_booked_not_later"), "ledger_transfer", type_="check"
    )
    op.drop_column("ledger_transfer", "booked_on")
    op.drop_constraint(
        op.f("ck_community_settings_expiry_months"), "community_settings", type_="check"
    )
    op.drop_column("community_settings", "expiry_applied_on")
    op.drop_column("community_settings", "expiry_months")
    op.drop_column("community_settings", "expiry_policy")
    op.execute("DROP TYPE IF EXISTS expiry_policy")
