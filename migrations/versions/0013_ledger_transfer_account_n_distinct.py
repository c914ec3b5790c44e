"""ledger transfers per account: tell the planner how many distinct accounts there are

ANALYZE samples 30,000 rows; on a city's 10 million transfers it saw ~27,000 distinct debit
accounts where there are ~2 million (a few issuance and sink accounts are on most transfers), so
it expected ~700 transfers per account instead of ~5. A prepared (generic) "my ledger" page then
walked the whole ledger in order_key order: 4.5 s a page instead of 1 ms (bench/reports). The
fraction is about accounts / transfers, which stays near 0.2 as the ledger grows.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 12:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("debit_account_id", "credit_account_id")


def upgrade() -> None:
    for column in COLUMNS:
        op.execute(f"ALTER TABLE ledger_transfer ALTER COLUMN {column} SET (n_distinct = -0.2)")
    op.execute(f"ANALYZE ledger_transfer ({', '.join(COLUMNS)})")


def downgrade() -> None:
    for column in COLUMNS:
        op.execute(f"ALTER TABLE ledger_transfer ALTER COLUMN {column} RESET (n_distinct)")
