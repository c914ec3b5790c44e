"""volunteer orders, claims, joint meetings, grants

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "community_settings",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("publicity_days", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.CheckConstraint(
            "publicity_days BETWEEN 1 AND 30", name=op.f("ck_community_settings_publicity_days")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["org_unit.id"],
            name=op.f("fk_community_settings_community_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_community_settings")),
    )
    op.create_table(
        "joint_meeting",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("open", "closed", name="meeting_state"),
            server_default="open",
            nullable=False,
        ),
        sa.Column("convened_by", sa.Uuid(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("quorum > 0", name=op.f("ck_joint_meeting_quorum_positive")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_joint_meeting_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["convened_by"], ["person.id"], name=op.f("fk_joint_meeting_convened_by_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_meeting")),
    )
    op.create_index(
        op.f("ix_joint_meeting_community_id"), "joint_meeting", ["community_id"], unique=False
    )
    op.create_table(
        "volunteer_order",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.Enum("community", "grid", name="order_scope"), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("places_taken", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column(
            "point_kind",
            postgresql.ENUM("work", "grid", name="point_kind", create_type=False),
            nullable=False,
        ),
        sa.Column("party_first_hours", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "state",
            sa.Enum("draft", "published", "completed", "cancelled", name="order_state"),
            server_default="draft",
            nullable=False,
        ),
        sa.Column("publisher_id", sa.Uuid(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(scope = 'grid') = (grid_id IS NOT NULL)",
            name=op.f("ck_volunteer_order_grid_iff_grid_scope"),
        ),
        sa.CheckConstraint(
            "ends_at > starts_at AND claim_deadline <= starts_at",
            name=op.f("ck_volunteer_order_time_window"),
        ),
        sa.CheckConstraint("places > 0", name=op.f("ck_volunteer_order_places_positive")),
        sa.CheckConstraint(
            "places_taken >= 0 AND places_taken <= places",
            name=op.f("ck_volunteer_order_never_overbooked"),
        ),
        sa.CheckConstraint("points >= 0", name=op.f("ck_volunteer_order_points_not_negative")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_volunteer_order_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["org_unit.id"], name=op.f("fk_volunteer_order_grid_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["publisher_id"], ["person.id"], name=op.f("fk_volunteer_order_publisher_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_order")),
    )
    op.create_index(
        op.f("ix_volunteer_order_community_id"), "volunteer_order", ["community_id"], unique=False
    )
    op.create_index(
        op.f("ix_volunteer_order_grid_id"), "volunteer_order", ["grid_id"], unique=False
    )
    op.create_index(
        "ix_volunteer_order_listing",
        "volunteer_order",
        ["community_id", "state", "starts_at", "id"],
        unique=False,
    )
    op.create_table(
        "meeting_member",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "seat_type",
            postgresql.ENUM(
                "party_org",
                "party_member_rep",
                "resident_rep",
                "assessment_group",
                name="seat_type",
                create_type=False,
            ),
            nullable=False,
        ),
        sa.Column("present", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["joint_meeting.id"],
            name=op.f("fk_meeting_member_meeting_id_joint_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_meeting_member_person_id_person")
        ),
        sa.PrimaryKeyConstraint("meeting_id", "person_id", name=op.f("pk_meeting_member")),
    )
    op.create_table(
        "order_claim",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column(
            "state",
            sa.Enum("claimed", "waitlisted", "withdrawn", "cancelled", name="claim_state"),
            nullable=False,
        ),
        sa.Column("as_party_member", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "attendance",
            sa.Enum("pending", "confirmed", "no_show", name="attendance"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("confirmed_by", sa.Uuid(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("correction_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "minutes IS NULL OR minutes >= 0", name=op.f("ck_order_claim_minutes_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_order_claim_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"], ["person.id"], name=op.f("fk_order_claim_confirmed_by_person")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_order_claim_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["volunteer_order.id"],
            name=op.f("fk_order_claim_order_id_volunteer_order"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_order_claim_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_claim")),
        sa.UniqueConstraint("seq", name=op.f("uq_order_claim_seq")),
    )
    op.create_index(op.f("ix_order_claim_order_id"), "order_claim", ["order_id"], unique=False)
    op.create_index(op.f("ix_order_claim_person_id"), "order_claim", ["person_id"], unique=False)
    op.create_index(
        "ix_order_claim_waitlist", "order_claim", ["order_id", "state", "seq"], unique=False
    )
    op.create_index(
        "uq_order_claim_live",
        "order_claim",
        ["order_id", "person_id"],
        unique=True,
        postgresql_where=sa.text("state IN ('claimed', 'waitlisted')"),
    )
    op.create_table(
        "point_grant",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("publicized", "objected", "posted", "voided", name="grant_state"),
            server_default="publicized",
            nullable=False,
        ),
        sa.Column("publicity_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("points > 0", name=op.f("ck_point_grant_points_positive")),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["order_claim.id"], name=op.f("fk_point_grant_claim_id_order_claim")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_point_grant_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["ledger_transfer.id"], name=op.f("fk_point_grant_hold_id_ledger_transfer")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["joint_meeting.id"],
            name=op.f("fk_point_grant_meeting_id_joint_meeting"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_point_grant_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_grant")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_point_grant_hold_id")),
    )
    op.create_index(op.f("ix_point_grant_claim_id"), "point_grant", ["claim_id"], unique=False)
    op.create_index(
        op.f("ix_point_grant_community_id"), "point_grant", ["community_id"], unique=False
    )
    op.create_index(
        "ix_point_grant_due", "point_grant", ["state", "publicity_ends_at"], unique=False
    )
    op.create_index(op.f("ix_point_grant_person_id"), "point_grant", ["person_id"], unique=False)
    op.create_table(
        "agenda_item",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("claim", "objection", name="agenda_item_kind"), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=True),
        sa.Column(
            "proposal", sa.Enum("approve", "adjust", "reject", name="proposal"), nullable=False
        ),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("pending", "passed", "failed", name="item_outcome"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("points >= 0", name=op.f("ck_agenda_item_points_not_negative")),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["order_claim.id"], name=op.f("fk_agenda_item_claim_id_order_claim")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_unit.id"], name=op.f("fk_agenda_item_community_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["point_grant.id"], name=op.f("fk_agenda_item_grant_id_point_grant")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["joint_meeting.id"],
            name=op.f("fk_agenda_item_meeting_id_joint_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_item")),
        sa.UniqueConstraint("meeting_id", "claim_id", name="uq_agenda_item_meeting_claim"),
    )
    op.create_index(op.f("ix_agenda_item_claim_id"), "agenda_item", ["claim_id"], unique=False)
    op.create_index(op.f("ix_agenda_item_meeting_id"), "agenda_item", ["meeting_id"], unique=False)
    op.create_table(
        "grant_objection",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["point_grant.id"], name=op.f("fk_grant_objection_grant_id_point_grant")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_grant_objection_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_objection")),
        sa.UniqueConstraint("grant_id", "person_id", name="uq_grant_objection_grant_person"),
    )
    op.create_index(
        op.f("ix_grant_objection_grant_id"), "grant_objection", ["grant_id"], unique=False
    )
    op.create_table(
        "meeting_vote",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "choice", sa.Enum("for", "against", "abstain", name="vote_choice"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["agenda_item.id"],
            name=op.f("fk_meeting_vote_item_id_agenda_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_meeting_vote_person_id_person")
        ),
        sa.PrimaryKeyConstraint("item_id", "person_id", name=op.f("pk_meeting_vote")),
    )


def downgrade() -> None:
    op.drop_table("meeting_vote")
    op.drop_index(op.f("ix_grant_objection_grant_id"), table_name="grant_objection")
    op.drop_table("grant_objection")
    op.drop_index(op.f("ix_agenda_item_meeting_id"), table_name="agenda_item")
    op.drop_index(op.f("ix_agenda_item_claim_id"), table_name="agenda_item")
    op.drop_table("agenda_item")
    op.drop_index(op.f("ix_point_grant_person_id"), table_name="point_grant")
    op.drop_index("ix_point_grant_due", table_name="point_grant")
    op.drop_index(op.f("ix_point_grant_community_id"), table_name="point_grant")
    op.drop_index(op.f("ix_point_grant_claim_id"), table_name="point_grant")
    op.drop_table("point_grant")
    op.drop_index(
        "uq_order_claim_live",
        table_name="order_claim",
        postgresql_where=sa.text("state IN ('claimed', 'waitlisted')"),
    )
    op.drop_index("ix_order_claim_waitlist", table_name="order_claim")
    op.drop_index(op.f("ix_order_claim_person_id"), table_name="order_claim")
    op.drop_index(op.f("ix_order_claim_order_id"), table_name="order_claim")
    op.drop_table("order_claim")
    op.drop_table("meeting_member")
    op.drop_index("ix_volunteer_order_listing", table_name="volunteer_order")
    op.drop_index(op.f("ix_volunteer_order_grid_id"), table_name="volunteer_order")
    op.drop_index(op.f("ix_volunteer_order_community_id"), table_name="volunteer_order")
    op.drop_table("volunteer_order")
    op.drop_index(op.f("ix_joint_meeting_community_id"), table_name="joint_meeting")
    op.drop_table("joint_meeting")
    op.drop_table("community_settings")
    for enum in (
        "meeting_state",
        "order_scope",
        "order_state",
        "claim_state",
        "attendance",
        "grant_state",
        "agenda_item_kind",
        "proposal",
        "item_outcome",
        "vote_choice",
    ):
        op.execute(f"DROP TYPE IF EXISTS {enum}")
