"""points ledger: accounts, transfers, chain heads, idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:46:49.152173
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Created once here; ledger_account, ledger_transfer (and later tables, e.g. volunteer orders)
# use them with create_type=False.
ENUMS = {
    "point_kind": ("work", "grid"),
    "ledger_account_type": ("person", "issuance", "exchange_sink", "expiry"),
    "ledger_transfer_kind": ("posted", "pending", "post", "void"),
    "ledger_cause": ("meeting_decision", "reversal", "redemption", "expiry", "adjustment"),
}


def _enum(name: str) -> postgresql.ENUM:
    return postgresql.ENUM(*ENUMS[name], name=name, create_type=False)


IMMUTABLE_FUNCTION = """
CREATE FUNCTION ledger_transfer_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_transfer rows are never updated or deleted (% refused); '
        'correct with a reversing transfer', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$
"""
IMMUTABLE_TRIGGER = """
CREATE TRIGGER ledger_transfer_immutable BEFORE UPDATE OR DELETE ON ledger_transfer
FOR EACH ROW EXECUTE FUNCTION ledger_transfer_immutable()
"""


def upgrade() -> None:
    bind = op.get_bind()
    for name, values in ENUMS.items():
        postgresql.ENUM(*values, name=name).create(bind)
    op.create_table(
        "idempotency_key",
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("actor_id", "key", name=op.f("pk_idempotency_key")),
    )
    op.create_index(
        "ix_idempotency_key_created_at", "idempotency_key", ["created_at"], unique=False
    )
    op.create_table(
        "ledger_chain_head",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("hash", sa.String(length=64), server_default="0" * 64, nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_ledger_chain_head_community_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_ledger_chain_head")),
    )
    op.create_table(
        "ledger_account",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("type", _enum("ledger_account_type"), nullable=False),
        sa.Column("kind", _enum("point_kind"), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("debits_posted", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("credits_posted", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("debits_pending", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("credits_pending", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(type = 'person') = (person_id IS NOT NULL)",
            name=op.f("ck_ledger_account_person_iff_type"),
        ),
        sa.CheckConstraint(
            "type <> 'person' OR credits_posted - debits_posted - debits_pending >= 0",
            name=op.f("ck_ledger_account_available_not_negative"),
        ),
        sa.CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0 "
            "AND debits_pending >= 0 AND credits_pending >= 0",
            name=op.f("ck_ledger_account_counters_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_ledger_account_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_ledger_account_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_account")),
        sa.UniqueConstraint(
            "community_id",
            "type",
            "kind",
            "person_id",
            name="uq_ledger_account_owner",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index("ix_ledger_account_person_id", "ledger_account", ["person_id"], unique=False)
    op.create_table(
        "ledger_transfer",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "order_key",
            sa.BigInteger(),
            sa.Identity(always=False, start=-1, increment=-1),
            nullable=False,
        ),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _enum("ledger_transfer_kind"), nullable=False),
        sa.Column("point_kind", _enum("point_kind"), nullable=False),
        sa.Column("debit_account_id", sa.Uuid(), nullable=False),
        sa.Column("credit_account_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("pending_id", sa.Uuid(), nullable=True),
        sa.Column("reverses_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cause", _enum("ledger_cause"), nullable=False),
        sa.Column("cause_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(cause = 'reversal') = (reverses_id IS NOT NULL) "
            "AND (reverses_id IS NULL OR kind = 'posted')",
            name=op.f("ck_ledger_transfer_reversal_names_original"),
        ),
        sa.CheckConstraint(
            "(kind IN ('post', 'void')) = (pending_id IS NOT NULL)",
            name=op.f("ck_ledger_transfer_resolves_a_hold"),
        ),
        sa.CheckConstraint(
            "CASE WHEN kind IN ('posted', 'post') "
            "THEN seq > 0 AND prev_hash IS NOT NULL AND hash IS NOT NULL "
            "ELSE seq IS NULL AND prev_hash IS NULL AND hash IS NULL END",
            name=op.f("ck_ledger_transfer_postings_chained"),
        ),
        sa.CheckConstraint("btrim(reason) <> ''", name=op.f("ck_ledger_transfer_reason_given")),
        sa.CheckConstraint(
            "expires_at IS NULL OR kind = 'pending'",
            name=op.f("ck_ledger_transfer_only_holds_expire"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_ledger_transfer_amount_positive")),
        sa.CheckConstraint(
            "debit_account_id <> credit_account_id", name=op.f("ck_ledger_transfer_two_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_ledger_transfer_community_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["credit_account_id"],
            ["ledger_account.id"],
            name=op.f("fk_ledger_transfer_credit_account_id_ledger_account"),
        ),
        sa.ForeignKeyConstraint(
            ["debit_account_id"],
            ["ledger_account.id"],
            name=op.f("fk_ledger_transfer_debit_account_id_ledger_account"),
        ),
        sa.ForeignKeyConstraint(
            ["pending_id"],
            ["ledger_transfer.id"],
            name=op.f("fk_ledger_transfer_pending_id_ledger_transfer"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["ledger_transfer.id"],
            name=op.f("fk_ledger_transfer_reverses_id_ledger_transfer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transfer")),
        sa.UniqueConstraint("community_id", "seq", name="uq_ledger_transfer_community_seq"),
        sa.UniqueConstraint("order_key", name=op.f("uq_ledger_transfer_order_key")),
        sa.UniqueConstraint("pending_id", name=op.f("uq_ledger_transfer_pending_id")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_ledger_transfer_reverses_id")),
    )
    op.create_index(
        "ix_ledger_transfer_community",
        "ledger_transfer",
        ["community_id", "order_key"],
        unique=False,
    )
    op.create_index(
        "ix_ledger_transfer_credit",
        "ledger_transfer",
        ["credit_account_id", "order_key"],
        unique=False,
    )
    op.create_index(
        "ix_ledger_transfer_debit",
        "ledger_transfer",
        ["debit_account_id", "order_key"],
        unique=False,
    )
    op.create_index(
        "ix_ledger_transfer_expiring",
        "ledger_transfer",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("expires_at IS NOT NULL"),
    )
    # A ledger row is never updated or deleted: corrections are reversing transfers.
    # (TRUNCATE, an owner's operation that tests use to start empty, is not a row change.)
    op.execute(IMMUTABLE_FUNCTION)
    op.execute(IMMUTABLE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_transfer_immutable ON ledger_transfer")
    op.execute("DROP FUNCTION IF EXISTS ledger_transfer_immutable()")
    op.drop_index(
        "ix_ledger_transfer_expiring",
        table_name="ledger_transfer",
        postgresql_where=sa.text("expires_at IS NOT NULL"),
    )
    op.drop_index("ix_ledger_transfer_debit", table_name="ledger_transfer")
    op.drop_index("ix_ledger_transfer_credit", table_name="ledger_transfer")
    op.drop_index("ix_ledger_transfer_community", table_name="ledger_transfer")
    op.drop_table("ledger_transfer")
    op.drop_index("ix_ledger_account_person_id", table_name="ledger_account")
    op.drop_table("ledger_account")
    op.drop_table("ledger_chain_head")
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
    for name in reversed(ENUMS):
        op.execute(f"DROP TYPE IF EXISTS {name}")
