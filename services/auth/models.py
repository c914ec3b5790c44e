"""A person's WeChat identities: the ways in besides the phone (issue 14)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, created_at, pg_enum, uuid_pk
from services.wechat import WechatSource

APP_ID_MAX = 32  # WeChat app ids are "wx" and 16 hex digits
OPENID_MAX = 64  # openids and unionids are 28 characters today


class WechatIdentity(Base):
    """An openid of one WeChat app, bound to one person.

    An openid is per app (the official account and the mini program each give the same WeChat
    user another one), so both uniques are per app: one openid binds one person, and a person
    binds one openid of each app. Rows belong to the person, not to a community.
    """

    __tablename__ = "wechat_identity"

    id: Mapped[uuid.UUID] = uuid_pk()
    # no index of its own: the (person_id, app_id) unique leads with it
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    source: Mapped[WechatSource] = mapped_column(pg_enum(WechatSource, "wechat_source"))
    app_id: Mapped[str] = mapped_column(String(APP_ID_MAX))
    openid: Mapped[str] = mapped_column(String(OPENID_MAX))
    unionid: Mapped[str | None] = mapped_column(String(OPENID_MAX))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("app_id", "openid", name="uq_wechat_identity_app_openid"),
        UniqueConstraint("person_id", "app_id", name="uq_wechat_identity_person_app"),
    )
