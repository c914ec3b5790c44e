"""A person's opt-outs (per kind and channel) and quiet hours. In-app entries always arrive;
these only stop or hold the SMS and WeChat copies."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notices.kinds import Kind
from services.notices.models import Channel, NoticePreference, NoticeSettings


async def opted_out(session: AsyncSession, person_id: uuid.UUID) -> list[tuple[Kind, Channel]]:
    rows = await session.execute(
        select(NoticePreference.kind, NoticePreference.channel)
        .where(NoticePreference.person_id == person_id)
        .order_by(NoticePreference.kind, NoticePreference.channel)
    )
    return [(Kind(kind), channel) for kind, channel in rows if kind in Kind._value2member_map_]


async def quiet_hours(session: AsyncSession, person_id: uuid.UUID) -> bool:
    stored = await session.scalar(
        select(NoticeSettings.quiet_hours).where(NoticeSettings.person_id == person_id)
    )
    return True if stored is None else stored


async def set_channel(
    session: AsyncSession, person_id: uuid.UUID, kind: Kind, channel: Channel, *, enabled: bool
) -> None:
    if enabled:
        await session.execute(
            delete(NoticePreference).where(
                NoticePreference.person_id == person_id,
                NoticePreference.kind == kind.value,
                NoticePreference.channel == channel,
            )
        )
        return
    await session.execute(
        insert(NoticePreference)
        .values(person_id=person_id, kind=kind.value, channel=channel)
        .on_conflict_do_nothing()
    )


async def set_quiet_hours(session: AsyncSession, person_id: uuid.UUID, *, on: bool) -> None:
    await session.execute(
        insert(NoticeSettings)
        .values(person_id=person_id, quiet_hours=on)
        .on_conflict_do_update(index_elements=[NoticeSettings.person_id], set_={"quiet_hours": on})
    )
