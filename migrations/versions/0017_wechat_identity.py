"""wechat identity: the official account's and the mini program's openids bound to people

Issue 14: WeChat sign-in. An openid is per app, so one openid binds one person per app and a
person binds one openid per app (that unique, led by person_id, is also the index a person's
bindings are found by).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCE = sa.Enum("official_account", "mini_program", name="wechat_source")


def upgrade() -> None:
    op.create_table(
        "wechat_identity",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("source", SOURCE, nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("unionid", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_wechat_identity_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_identity")),
        sa.UniqueConstraint("app_id", "openid", name="uq_wechat_identity_app_openid"),
        sa.UniqueConstraint("person_id", "app_id", name="uq_wechat_identity_person_app"),
    )


def downgrade() -> None:
    op.drop_table("wechat_identity")
    SOURCE.drop(op.get_bind(), checkfirst=False)
