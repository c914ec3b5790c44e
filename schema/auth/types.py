"""GraphQL types of the ways in: WeChat bindings (rules: services/auth/wechat.py)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from services.auth.models import WechatIdentity
from services.wechat import WechatSource as Source

WechatSource = strawberry.enum(
    Source,
    name="WechatSource",
    description="Where a WeChat sign-in comes from: the official account's web pages "
    "(公众号网页授权) or the mini program (小程序).",
)


@strawberry.type(description="A WeChat identity of yours that signs you in.")
class WechatBinding:
    source: WechatSource  # type: ignore[valid-type]
    bound_at: datetime

    @classmethod
    def from_model(cls, identity: WechatIdentity) -> WechatBinding:
        return cls(source=identity.source, bound_at=identity.created_at)
