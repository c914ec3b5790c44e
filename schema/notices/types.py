"""The inbox's GraphQL types."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from schema.relay import Node, to_global_id
from services.i18n import Language
from services.notices import kinds
from services.notices.models import Channel as ChannelModel
from services.notices.models import Delivery as DeliveryModel
from services.notices.models import DeliveryStatus as DeliveryStatusModel
from services.notices.models import Notification as NotificationModel

NotificationKind = strawberry.enum(
    kinds.Kind, name="NotificationKind", description="What an inbox entry is about."
)
NoticeChannel = strawberry.enum(
    ChannelModel, name="NoticeChannel", description="A way out besides the inbox."
)
DeliveryStatus = strawberry.enum(DeliveryStatusModel, name="DeliveryStatus")


@strawberry.type(description="An entry of your inbox (消息中心).")
class Notification(Node):
    local_id: strawberry.Private[uuid.UUID]
    kind: str = strawberry.field(
        description="A `NotificationKind` value in lower case; a newer server may send others."
    )
    title: str = strawberry.field(description="The entry's text in the request's language.")
    params: JSON = strawberry.field(description="The values the text is made of.")
    subject_id: strawberry.ID | None = strawberry.field(
        description="The global id of what it is about (an order, a grant, a redemption...)."
    )
    urgent: bool
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def from_model(cls, n: NotificationModel, language: Language) -> Notification:
        return cls(
            id=to_global_id("Notification", n.id),
            local_id=n.id,
            kind=n.kind,
            title=kinds.title(n.kind, n.params, language),
            params=n.params,  # type: ignore[arg-type]
            subject_id=(
                to_global_id(n.subject_type, n.subject_id)
                if n.subject_type and n.subject_id
                else None
            ),
            urgent=n.urgent,
            created_at=n.created_at,
            read_at=n.read_at,
        )


@strawberry.type(description="One channel's attempt to carry an entry out.")
class Delivery:
    channel: NoticeChannel  # type: ignore[valid-type]
    status: DeliveryStatus  # type: ignore[valid-type]
    kind: str
    attempts: int
    provider_id: str | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_model(cls, d: DeliveryModel, kind: str) -> Delivery:
        return cls(
            channel=d.channel,
            status=d.status,
            kind=kind,
            attempts=d.attempts,
            provider_id=d.provider_id,
            error=d.error,
            created_at=d.created_at,
            finished_at=d.finished_at,
        )


@strawberry.type(description="Opt-outs: per kind and channel; in-app entries always arrive.")
class NoticePreferences:
    quiet_hours: bool = strawberry.field(
        description="Hold what is not urgent from 22:00 to 07:00 (Asia/Shanghai)."
    )
    opted_out: list[NoticeOptOut]


@strawberry.type
class NoticeOptOut:
    kind: NotificationKind  # type: ignore[valid-type]
    channel: NoticeChannel  # type: ignore[valid-type]


@strawberry.type(description="A community's deliveries over a period.")
class DeliveryStats:
    sent: int
    failed: int
    given_up: int
    pending: int
    sms_cost: int = strawberry.field(description="SMS sent (what the provider bills).")
    sms_budget: int = strawberry.field(description="SMS allowed per day.")
    sms_used_today: int
