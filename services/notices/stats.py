"""What staff see of deliveries: a community's totals, and one resident's history when they help
them ("I never got the message")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.authz import Actor, Permission, allows
from services.errors import DomainError, ErrorCode
from services.notices.models import Channel, Delivery, DeliveryStatus, Notification, SmsBudgetUse
from services.orgs.models import DEFAULT_SMS_DAILY_BUDGET, CommunitySettings, UnitKind
from services.orgs.service import require_unit
from services.pagination import check_first
from services.people import service as people


@dataclass(frozen=True, slots=True)
class Totals:
    sent: int
    failed: int
    given_up: int
    pending: int
    sms_cost: int
    sms_budget: int
    sms_used_today: int


async def community_totals(
    session: AsyncSession,
    actor: Actor,
    *,
    community_id: uuid.UUID,
    since: datetime,
    until: datetime,
) -> Totals:
    """Deliveries created in ``[since, until)`` for the community's people (its admins and the
    street's: PERSON_MANAGE over it)."""
    community = await require_unit(
        session, community_id, kinds=[UnitKind.COMMUNITY], field="communityId"
    )
    if not allows(actor, Permission.PERSON_MANAGE, community.path):
        raise DomainError(ErrorCode.FORBIDDEN, field="communityId")
    if until <= since:
        raise DomainError(ErrorCode.INVALID_TIME_WINDOW, field="until")
    counts = dict(
        (
            await session.execute(
                select(Delivery.status, func.count())
                .where(
                    Delivery.community_id == community.id,
                    Delivery.created_at >= since,
                    Delivery.created_at < until,
                )
                .group_by(Delivery.status)
            )
        ).all()
    )
    cost = await session.scalar(
        select(func.coalesce(func.sum(Delivery.cost), 0)).where(
            Delivery.community_id == community.id,
            Delivery.channel == Channel.SMS,
            Delivery.created_at >= since,
            Delivery.created_at < until,
        )
    )
    budget = await session.scalar(
        select(CommunitySettings.sms_daily_budget).where(
            CommunitySettings.community_id == community.id
        )
    )
    used = await session.scalar(
        select(SmsBudgetUse.used).where(
            SmsBudgetUse.community_id == community.id,
            SmsBudgetUse.day == clock.local_date(clock.now()),
        )
    )
    return Totals(
        sent=counts.get(DeliveryStatus.SENT, 0),
        failed=counts.get(DeliveryStatus.FAILED, 0),
        given_up=counts.get(DeliveryStatus.GIVEN_UP, 0),
        pending=counts.get(DeliveryStatus.PENDING, 0),
        sms_cost=int(cost or 0),
        sms_budget=DEFAULT_SMS_DAILY_BUDGET if budget is None else budget,
        sms_used_today=used or 0,
    )


async def person_history(
    session: AsyncSession, actor: Actor, *, person_id: uuid.UUID, first: int
) -> list[tuple[Delivery, str]]:
    """The person's latest deliveries with their entries' kinds: for staff who may read the
    person (PERSON_READ over them), and for the person themself."""
    check_first(first)
    if actor.person_id != person_id:
        person = await people.get_person(session, actor, person_id)
        if person is None:
            raise DomainError(ErrorCode.NOT_FOUND, field="personId")
    rows = await session.execute(
        select(Delivery, Notification.kind)
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(Delivery.person_id == person_id)
        .order_by(Delivery.id.desc())
        .limit(first)
    )
    return [(d, kind) for d, kind in rows.all()]
