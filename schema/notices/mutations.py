"""Mark entries read; set opt-outs and quiet hours (rules: services/notices)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error, user_error
from schema.notices.types import NoticeChannel, NotificationKind
from schema.relay import decode_id
from services.errors import DomainError
from services.notices import inbox, preferences
from services.notices.kinds import Kind
from services.notices.models import Channel


@strawberry.input
class NotificationsMarkReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="At most 100; leave out to mark every entry read."
    )


@strawberry.type
class NotificationsMarkReadPayload:
    unread: int | None = strawberry.field(default=None, description="Unread entries after.")
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.input
class NoticePreferenceSetInput:
    kind: NotificationKind  # type: ignore[valid-type]
    channel: NoticeChannel  # type: ignore[valid-type]
    enabled: bool


@strawberry.input
class QuietHoursSetInput:
    on: bool


@strawberry.type
class NoticePreferencePayload:
    done: bool = False
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class NoticeMutation:
    @strawberry.mutation(description="Mark your entries read (others' ids are ignored).")
    async def notifications_mark_read(
        self, info: Info[Context, None], input: NotificationsMarkReadInput
    ) -> NotificationsMarkReadPayload:
        context = info.context
        actor = await context.require_actor()
        try:
            ids = (
                None
                if input.ids is None
                else [decode_id(i, "Notification", field="ids") for i in input.ids[:101]]
            )
            unread = await context.db(lambda s: inbox.mark_read(s, actor.person_id, ids))
        except DomainError as error:
            return NotificationsMarkReadPayload(errors=[user_error(error, context.language)])
        return NotificationsMarkReadPayload(unread=unread)

    @strawberry.mutation(description="Turn one kind's SMS or WeChat copies off or on again.")
    async def notice_preference_set(
        self, info: Info[Context, None], input: NoticePreferenceSetInput
    ) -> NoticePreferencePayload:
        actor = await info.context.require_actor()
        await info.context.db(
            lambda s: preferences.set_channel(
                s, actor.person_id, Kind(input.kind), Channel(input.channel), enabled=input.enabled
            )
        )
        return NoticePreferencePayload(done=True)

    @strawberry.mutation(description="Hold what is not urgent from 22:00 to 07:00, or not.")
    async def quiet_hours_set(
        self, info: Info[Context, None], input: QuietHoursSetInput
    ) -> NoticePreferencePayload:
        actor = await info.context.require_actor()
        await info.context.db(
            lambda s: preferences.set_quiet_hours(s, actor.person_id, on=input.on)
        )
        return NoticePreferencePayload(done=True)
