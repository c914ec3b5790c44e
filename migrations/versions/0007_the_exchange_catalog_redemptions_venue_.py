"""the exchange: catalog, redemptions, venue bookings

Revision ID: 0007
Revises: 0006

The venue booking's exclusion constraint compares ``venue_id`` (uuid) with ``=`` inside a GiST
index, which needs ``btree_gist`` (shipped with PostgreSQL 15/16 contrib and the embedded 18).
The extension stays on downgrade: other databases objects may use it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# New enum types, created here; ``point_kind`` (0002) is reused as it is.
ENUMS = {
    "exchange_window_kind": ("weekday", "month_end", "quarter_end", "dates"),
    "limit_period": ("week", "month", "quarter", "year"),
    "redemption_state": ("reserved", "fulfilled", "cancelled", "expired"),
    "redemption_line_kind": ("goods", "venue", "session"),
}


def _enum(name: str) -> postgresql.ENUM:
    values = ENUMS.get(name, ("work", "grid"))
    return postgresql.ENUM(*values, name=name, create_type=False)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    bind = op.get_bind()
    for name, values in ENUMS.items():
        postgresql.ENUM(*values, name=name).create(bind)
    op.create_table(
        "exchange_settings",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("pickup_days", sa.Integer(), server_default=sa.text("3"), nullable=False),
        sa.Column("grace_minutes", sa.Integer(), server_default=sa.text("30"), nullable=False),
        sa.CheckConstraint(
            "grace_minutes BETWEEN 0 AND 1440", name=op.f("ck_exchange_settings_grace_minutes")
        ),
        sa.CheckConstraint(
            "pickup_days BETWEEN 1 AND 60", name=op.f("ck_exchange_settings_pickup_days")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_exchange_settings_community_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_exchange_settings")),
    )
    op.create_table(
        "exchange_window",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _enum("exchange_window_kind"), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "CASE kind WHEN 'weekday' THEN weekday BETWEEN 1 AND 7 WHEN 'dates' THEN starts_on <= ends_on ELSE days BETWEEN 1 AND 31 END",
            name=op.f("ck_exchange_window_rule"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_exchange_window_community_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_window")),
    )
    op.create_index(
        op.f("ix_exchange_window_community_id"), "exchange_window", ["community_id"], unique=False
    )
    op.create_table(
        "goods",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("picture_url", sa.String(length=500), nullable=True),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column(
            "point_kinds",
            postgresql.ARRAY(sa.String(length=10)),
            server_default=sa.text("'{grid,work}'"),
            nullable=False,
        ),
        sa.Column("stock", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("low_stock_at", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.Column("limit_per_person", sa.Integer(), nullable=True),
        sa.Column("limit_period", _enum("limit_period"), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "cardinality(point_kinds) > 0 AND point_kinds <@ ARRAY['work', 'grid']::varchar[]",
            name=op.f("ck_goods_point_kinds"),
        ),
        sa.CheckConstraint(
            "(limit_per_person IS NULL) = (limit_period IS NULL) AND (limit_per_person IS NULL OR limit_per_person > 0)",
            name=op.f("ck_goods_limit"),
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_goods_price_positive")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_goods_stock_not_negative")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_goods_community_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goods")),
    )
    op.create_index(
        "ix_goods_listing", "goods", ["community_id", "active", "name", "id"], unique=False
    )
    op.create_table(
        "service",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("picture_url", sa.String(length=500), nullable=True),
        sa.Column(
            "point_kinds",
            postgresql.ARRAY(sa.String(length=10)),
            server_default=sa.text("'{grid,work}'"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "cardinality(point_kinds) > 0 AND point_kinds <@ ARRAY['work', 'grid']::varchar[]",
            name=op.f("ck_service_point_kinds"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_service_community_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service")),
    )
    op.create_index(op.f("ix_service_community_id"), "service", ["community_id"], unique=False)
    op.create_table(
        "venue",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("picture_url", sa.String(length=500), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("max_booking_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("weekly_quota", sa.Integer(), nullable=True),
        sa.Column("price_per_slot", sa.Integer(), nullable=False),
        sa.Column(
            "point_kinds",
            postgresql.ARRAY(sa.String(length=10)),
            server_default=sa.text("'{grid,work}'"),
            nullable=False,
        ),
        sa.Column(
            "blackout_dates",
            postgresql.ARRAY(sa.Date()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "cardinality(point_kinds) > 0 AND point_kinds <@ ARRAY['work', 'grid']::varchar[]",
            name=op.f("ck_venue_point_kinds"),
        ),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_venue_capacity_positive")),
        sa.CheckConstraint(
            "min_notice_minutes >= 0 AND buffer_minutes >= 0", name=op.f("ck_venue_notice_buffer")
        ),
        sa.CheckConstraint("price_per_slot > 0", name=op.f("ck_venue_price_positive")),
        sa.CheckConstraint(
            "slot_minutes BETWEEN 5 AND 1440 AND max_booking_minutes >= slot_minutes",
            name=op.f("ck_venue_slots"),
        ),
        sa.CheckConstraint(
            "weekly_quota IS NULL OR weekly_quota > 0", name=op.f("ck_venue_quota_positive")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_venue_community_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue")),
    )
    op.create_index(op.f("ix_venue_community_id"), "venue", ["community_id"], unique=False)
    op.create_table(
        "service_session",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("places_taken", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_service_session_capacity_positive")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_service_session_time_window")),
        sa.CheckConstraint(
            "places_taken >= 0 AND places_taken <= capacity",
            name=op.f("ck_service_session_never_overbooked"),
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_service_session_price_positive")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_service_session_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_service_session_service_id_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_session")),
    )
    op.create_index(
        "ix_service_session_community",
        "service_session",
        ["community_id", "starts_at"],
        unique=False,
    )
    op.create_index(
        "ix_service_session_listing",
        "service_session",
        ["service_id", "starts_at", "id"],
        unique=False,
    )
    op.create_table(
        "venue_opening",
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.CheckConstraint("closes > opens", name=op.f("ck_venue_opening_hours")),
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name=op.f("ck_venue_opening_weekday")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_venue_opening_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_venue_opening_venue_id_venue")
        ),
        sa.PrimaryKeyConstraint("venue_id", "weekday", name=op.f("pk_venue_opening")),
    )
    op.create_table(
        "goods_stock_movement",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("goods_id", sa.Uuid(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("stock_after", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("delta <> 0", name=op.f("ck_goods_stock_movement_delta_not_zero")),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["person.id"], name=op.f("fk_goods_stock_movement_actor_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_goods_stock_movement_community_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["goods_id"], ["goods.id"], name=op.f("fk_goods_stock_movement_goods_id_goods")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goods_stock_movement")),
        sa.UniqueConstraint("seq", name=op.f("uq_goods_stock_movement_seq")),
    )
    op.create_index(
        op.f("ix_goods_stock_movement_goods_id"), "goods_stock_movement", ["goods_id"], unique=False
    )
    op.create_table(
        "service_session_waitlist",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
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
            name=op.f("fk_service_session_waitlist_community_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_service_session_waitlist_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["service_session.id"],
            name=op.f("fk_service_session_waitlist_session_id_service_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_session_waitlist")),
        sa.UniqueConstraint("seq", name=op.f("uq_service_session_waitlist_seq")),
        sa.UniqueConstraint("session_id", "person_id", name="uq_service_session_waitlist_person"),
    )
    op.create_table(
        "redemption",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "order_key",
            sa.BigInteger(),
            sa.Identity(always=False, start=-1, increment=-1),
            nullable=False,
        ),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=True),
        sa.Column("point_kind", _enum("point_kind"), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Uuid(), nullable=False),
        sa.Column("pickup_code", sa.String(length=8), nullable=False),
        sa.Column("state", _enum("redemption_state"), server_default="reserved", nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fulfilled_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "(state = 'reserved') = (closed_at IS NULL) AND (state = 'fulfilled') = (fulfilled_by IS NOT NULL)",
            name=op.f("ck_redemption_closing"),
        ),
        sa.CheckConstraint("total > 0", name=op.f("ck_redemption_total_positive")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_redemption_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["fulfilled_by"], ["person.id"], name=op.f("fk_redemption_fulfilled_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_redemption_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["ledger_transfer.id"], name=op.f("fk_redemption_hold_id_ledger_transfer")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_redemption_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption")),
        sa.UniqueConstraint("community_id", "pickup_code", name="uq_redemption_community_code"),
        sa.UniqueConstraint("hold_id", name=op.f("uq_redemption_hold_id")),
        sa.UniqueConstraint("order_key", name=op.f("uq_redemption_order_key")),
    )
    op.create_index(
        "ix_redemption_due",
        "redemption",
        ["deadline"],
        unique=False,
        postgresql_where=sa.text("state = 'reserved'"),
    )
    op.create_index("ix_redemption_person", "redemption", ["person_id", "order_key"], unique=False)
    op.create_index(
        "ix_redemption_queue", "redemption", ["community_id", "state", "deadline"], unique=False
    )
    op.create_table(
        "redemption_line",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("redemption_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _enum("redemption_line_kind"), nullable=False),
        sa.Column("goods_id", sa.Uuid(), nullable=True),
        sa.Column("venue_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'goods') = (goods_id IS NOT NULL) AND (kind = 'venue') = (venue_id IS NOT NULL) AND (kind = 'session') = (session_id IS NOT NULL)",
            name=op.f("ck_redemption_line_one_item"),
        ),
        sa.CheckConstraint("quantity > 0 AND points > 0", name=op.f("ck_redemption_line_positive")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_redemption_line_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["goods_id"], ["goods.id"], name=op.f("fk_redemption_line_goods_id_goods")
        ),
        sa.ForeignKeyConstraint(
            ["redemption_id"],
            ["redemption.id"],
            name=op.f("fk_redemption_line_redemption_id_redemption"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["service_session.id"],
            name=op.f("fk_redemption_line_session_id_service_session"),
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_redemption_line_venue_id_venue")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption_line")),
    )
    op.create_index(
        op.f("ix_redemption_line_goods_id"), "redemption_line", ["goods_id"], unique=False
    )
    op.create_index(
        op.f("ix_redemption_line_redemption_id"), "redemption_line", ["redemption_id"], unique=False
    )
    op.create_index(
        op.f("ix_redemption_line_session_id"), "redemption_line", ["session_id"], unique=False
    )
    op.create_table(
        "venue_booking",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("redemption_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked", postgresql.TSTZRANGE(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        postgresql.ExcludeConstraint(
            (sa.column("venue_id"), "="),
            (sa.column("blocked"), "&&"),
            where=sa.text("active"),
            using="gist",
            name="ex_venue_booking_no_overlap",
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_venue_booking_time_window")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_venue_booking_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_venue_booking_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["redemption_id"],
            ["redemption.id"],
            name=op.f("fk_venue_booking_redemption_id_redemption"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_venue_booking_venue_id_venue")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_booking")),
        sa.UniqueConstraint("redemption_id", name=op.f("uq_venue_booking_redemption_id")),
    )
    op.create_index(
        "ix_venue_booking_calendar", "venue_booking", ["venue_id", "starts_at"], unique=False
    )
    op.create_index(
        "ix_venue_booking_person", "venue_booking", ["person_id", "starts_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_venue_booking_person", table_name="venue_booking")
    op.drop_index("ix_venue_booking_calendar", table_name="venue_booking")
    op.drop_table("venue_booking")
    op.drop_index(op.f("ix_redemption_line_session_id"), table_name="redemption_line")
    op.drop_index(op.f("ix_redemption_line_redemption_id"), table_name="redemption_line")
    op.drop_index(op.f("ix_redemption_line_goods_id"), table_name="redemption_line")
    op.drop_table("redemption_line")
    op.drop_index("ix_redemption_queue", table_name="redemption")
    op.drop_index("ix_redemption_person", table_name="redemption")
    op.drop_index(
        "ix_redemption_due", table_name="redemption", postgresql_where=sa.text("state = 'reserved'")
    )
    op.drop_table("redemption")
    op.drop_table("service_session_waitlist")
    op.drop_index(op.f("ix_goods_stock_movement_goods_id"), table_name="goods_stock_movement")
    op.drop_table("goods_stock_movement")
    op.drop_table("venue_opening")
    op.drop_index("ix_service_session_listing", table_name="service_session")
    op.drop_index("ix_service_session_community", table_name="service_session")
    op.drop_table("service_session")
    op.drop_index(op.f("ix_venue_community_id"), table_name="venue")
    op.drop_table("venue")
    op.drop_index(op.f("ix_service_community_id"), table_name="service")
    op.drop_table("service")
    op.drop_index("ix_goods_listing", table_name="goods")
    op.drop_table("goods")
    op.drop_index(op.f("ix_exchange_window_community_id"), table_name="exchange_window")
    op.drop_table("exchange_window")
    op.drop_table("exchange_settings")
    bind = op.get_bind()
    for name in reversed(ENUMS):
        postgresql.ENUM(name=name).drop(bind)
