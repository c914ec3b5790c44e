"""the inbox: notifications, deliveries, preferences, quiet hours, SMS budget; procrastinate's schema

Issue 14. The job queue's tables and functions are procrastinate's own ``schema.sql`` of the
pinned version (procrastinate 3.10.*): a later procrastinate needs its own migrations from
``procrastinate/sql/migrations`` applied here, in a revision of ours.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.dialects import postgresql
from sqlalchemy.util import await_only

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = postgresql.ENUM("sms", "wechat", name="delivery_channel", create_type=False)
STATUS = postgresql.ENUM(
    "pending", "sent", "failed", "given_up", name="delivery_status", create_type=False
)


def _procrastinate_schema() -> None:
    """A script of many statements (plpgsql bodies included): asyncpg runs it whole only
    through its own ``execute`` without arguments, not through a prepared statement."""
    driver = op.get_bind().connection.driver_connection
    await_only(driver.execute(SchemaManager.get_schema()))


def upgrade() -> None:
    _procrastinate_schema()
    op.execute("CREATE TYPE delivery_channel AS ENUM ('sms', 'wechat')")
    op.execute("CREATE TYPE delivery_status AS ENUM ('pending', 'sent', 'failed', 'given_up')")
    op.create_table(
        "notification",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False, unique=True),
        sa.Column(
            "person_id", sa.Uuid(), sa.ForeignKey("person.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("community_id", sa.Uuid(), sa.ForeignKey("org_unit.id")),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject_type", sa.String(40)),
        sa.Column("subject_id", sa.Uuid()),
        sa.Column(
            "params", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("urgent", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("dedupe_key", sa.String(160), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("person_id", "dedupe_key", name="uq_notification_cause"),
    )
    op.create_index("ix_notification_inbox", "notification", ["person_id", "seq"])
    op.create_index(
        "ix_notification_unread",
        "notification",
        ["person_id"],
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "notification_id",
            sa.Uuid(),
            sa.ForeignKey("notification.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "person_id", sa.Uuid(), sa.ForeignKey("person.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("community_id", sa.Uuid(), sa.ForeignKey("org_unit.id")),
        sa.Column("channel", CHANNEL, nullable=False),
        sa.Column("status", STATUS, server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("provider_id", sa.String(120)),
        sa.Column("error", sa.String(500)),
        sa.Column("cost", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("not_before", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("notification_id", "channel", name="uq_delivery_channel"),
    )
    op.create_index("ix_delivery_person", "delivery", ["person_id", "id"])
    op.create_index("ix_delivery_community", "delivery", ["community_id", "created_at"])
    op.create_index(
        "ix_delivery_open",
        "delivery",
        ["id"],
        postgresql_where=sa.text("status IN ('pending', 'failed')"),
    )
    op.create_table(
        "notice_preference",
        sa.Column(
            "person_id", sa.Uuid(), sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("channel", CHANNEL, primary_key=True),
    )
    op.create_table(
        "notice_settings",
        sa.Column(
            "person_id", sa.Uuid(), sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("quiet_hours", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.create_table(
        "sms_budget_use",
        sa.Column("community_id", sa.Uuid(), sa.ForeignKey("org_unit.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("used", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("used >= 0", name="ck_sms_budget_use_used"),
    )
    op.add_column(
        "community_settings",
        sa.Column("sms_daily_budget", sa.Integer(), server_default=sa.text("200"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("community_settings", "sms_daily_budget")
    for table in ("sms_budget_use", "notice_settings", "notice_preference", "delivery"):
        op.drop_table(table)
    op.drop_table("notification")
    op.execute("DROP TYPE delivery_status")
    op.execute("DROP TYPE delivery_channel")
    op.execute(DROP_PROCRASTINATE)


DROP_PROCRASTINATE = """
DO $$
DECLARE o record;
BEGIN
    FOR o IN SELECT tablename FROM pg_tables
             WHERE schemaname = 'public' AND tablename LIKE 'procrastinate%' LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', o.tablename);
    END LOOP;
    FOR o IN SELECT p.oid::regprocedure AS f FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate%' LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', o.f);
    END LOOP;
    FOR o IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = 'public' AND t.typname LIKE 'procrastinate%'
               AND t.typtype IN ('e', 'c') LOOP
        EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', o.typname);
    END LOOP;
END $$
"""
