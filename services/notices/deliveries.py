"""Carry one delivery out: once, within the community's SMS budget, retried with backoff.

Jobs carry no procrastinate ``lock``: the delivery's row lock already serializes its attempts,
and procrastinate's fetch compares a job's lock with every waiting job's (an anti-join over the
queue): 10,000 waiting jobs with a lock each made every fetch take about 1.6 s (bench/notices).

:func:`deliver` runs as a job (:mod:`services.notices.jobs`). It takes the delivery's row lock
for the whole attempt, so two jobs for one delivery (a retry racing a sweep, a job run twice)
take turns, and the second finds it sent. A crash after the provider took the message but before
the commit sends it again on the next attempt: SMS providers have no idempotency key, so this is
at least once, like every delivery system that talks to one (the window is one HTTP call).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.notices import kinds
from services.notices.inbox import DELIVER_TASK, QUEUE
from services.notices.models import (
    ERROR_MAX,
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    SmsBudgetUse,
)
from services.orgs.models import DEFAULT_SMS_DAILY_BUDGET, CommunitySettings
from services.people.models import Person
from services.sms import SmsError, SmsGateway, SmsTemplate

log = logging.getLogger("gridpoints.notices")

BUDGET_EXHAUSTED = "SMS_BUDGET_EXHAUSTED"
NO_GATEWAY = "NO_GATEWAY"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 30.0  # then ×4 per attempt: 30 s, 2 min, 8 min, 32 min

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=self.base_seconds * 4 ** max(attempts - 1, 0))


_DEFER = text(
    """
SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(
    :queue, :task, 0, NULL, NULL, CAST(:args AS jsonb), now() + make_interval(secs => :delay)
)::procrastinate_job_to_defer_v1])
"""
)


async def defer(session: AsyncSession, delivery_id: int, delay: timedelta) -> None:
    """Another attempt at the delivery after ``delay``, in the caller's transaction."""
    await session.execute(
        _DEFER,
        {
            "queue": QUEUE,
            "task": DELIVER_TASK,
            "args": f'{{"delivery_id": {int(delivery_id)}}}',
            "delay": max(delay.total_seconds(), 0.0),
        },
    )


async def _take_budget(session: AsyncSession, community_id: object) -> bool:
    """One SMS of the community's budget for today (Asia/Shanghai), or False when spent."""
    day = clock.local_date(clock.now())
    await session.execute(
        insert(SmsBudgetUse)
        .values(community_id=community_id, day=day, used=0)
        .on_conflict_do_nothing()
    )
    budget = (
        select(func.coalesce(CommunitySettings.sms_daily_budget, DEFAULT_SMS_DAILY_BUDGET))
        .where(CommunitySettings.community_id == community_id)
        .scalar_subquery()
    )
    taken = await session.scalar(
        update(SmsBudgetUse)
        .where(
            SmsBudgetUse.community_id == community_id,
            SmsBudgetUse.day == day,
            SmsBudgetUse.used < func.coalesce(budget, DEFAULT_SMS_DAILY_BUDGET),
        )
        .values(used=SmsBudgetUse.used + 1)
        .returning(SmsBudgetUse.used)
    )
    return taken is not None


async def _give_back_budget(session: AsyncSession, community_id: object) -> None:
    await session.execute(
        update(SmsBudgetUse)
        .where(
            SmsBudgetUse.community_id == community_id,
            SmsBudgetUse.day == clock.local_date(clock.now()),
            SmsBudgetUse.used > 0,
        )
        .values(used=SmsBudgetUse.used - 1)
    )


def _finish(delivery: Delivery, status: DeliveryStatus, error: str | None = None) -> None:
    delivery.status = status
    delivery.error = error[:ERROR_MAX] if error else None
    delivery.finished_at = clock.now()


async def deliver(
    session: AsyncSession,
    delivery_id: int,
    *,
    sms: SmsGateway | None,
    retry: RetryPolicy,
) -> DeliveryStatus | None:
    """One attempt, in the caller's transaction; returns the delivery's status after it (None:
    no such delivery, e.g. its person was deleted)."""
    found = (
        await session.execute(
            select(Delivery, Notification, Person.phone)
            .join(Notification, Notification.id == Delivery.notification_id)
            .join(Person, Person.id == Delivery.person_id)
            .where(Delivery.id == delivery_id)
            .with_for_update(of=Delivery)
        )
    ).one_or_none()
    if found is None:
        return None
    delivery, notification, phone = found
    if delivery.status in (DeliveryStatus.SENT, DeliveryStatus.GIVEN_UP):
        return delivery.status  # a repeat of a job that already did it
    now = clock.now()
    if delivery.not_before is not None and delivery.not_before > now:
        await defer(session, delivery.id, delivery.not_before - now)  # quiet hours
        return delivery.status
    if delivery.channel is not Channel.SMS or sms is None:
        _finish(delivery, DeliveryStatus.GIVEN_UP, NO_GATEWAY)
        return delivery.status
    if delivery.community_id is not None and not await _take_budget(session, delivery.community_id):
        _finish(delivery, DeliveryStatus.GIVEN_UP, BUDGET_EXHAUSTED)
        return delivery.status
    delivery.attempts += 1
    title = kinds.title(notification.kind, notification.params)
    try:
        delivery.provider_id = await sms.send(phone, SmsTemplate.NOTICE, {"title": title})
    except Exception as error:  # a provider's refusal or an outage: both are retried
        if delivery.community_id is not None:
            await _give_back_budget(session, delivery.community_id)
        reason = (
            f"{error.provider}: {error.code} {error.message}".strip()
            if isinstance(error, SmsError)
            else f"{type(error).__name__}: {error}"
        )
        log.warning("delivery %s attempt %s failed: %s", delivery.id, delivery.attempts, reason)
        if delivery.attempts >= retry.max_attempts:
            _finish(delivery, DeliveryStatus.GIVEN_UP, reason)
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.error = reason[:ERROR_MAX]
            await defer(session, delivery.id, retry.delay(delivery.attempts))
        return delivery.status
    delivery.cost = 1
    _finish(delivery, DeliveryStatus.SENT)
    return delivery.status
