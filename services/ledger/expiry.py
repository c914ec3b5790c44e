"""Expiry policies (积分过期): points lapse by writing transfers, never by editing entries.

A community's policy (:class:`services.orgs.models.ExpiryPolicy`, in its settings) gives a
*cutoff* day, in Asia/Shanghai time: points booked before it have expired.

* ``never``: no cutoff, nothing expires;
* ``year_end`` (年底清零): 1 January of the current year;
* ``after_months`` N: today minus N months (the same day of the month, or the month's last day
  when it has fewer days), so points booked on 20 June last six months, through 20 December.

Spending is first in, first out: what a person spent came out of their oldest points first. So
what has expired and is still there, per person account, is::

    max(0, credits posted with booked_on before the cutoff - all debits posted so far)

(earlier expiries included), at most what the account has available (points held for a pickup
stay held; should the hold be voided, they expire on the next run). :func:`apply_expiry` moves
that from the account to the community's EXPIRY system account: one posted transfer per account,
cause EXPIRY, no actor, a reason naming the policy and the cutoff. Running it again finds nothing
more until the cutoff moves or old points come back, so it is idempotent by construction. It
computes under the community's chain head lock, so two runs at once cannot both expire the same
points.

:func:`apply_due` is the worker's job: every community with a policy, at most once a day each
(``expiry_applied_on``), a few communities per tick, settings rows taken with SKIP LOCKED so
several workers share the work. A stopped worker leaves expired points spendable until it runs:
unlike a hold's deadline, expiry is not judged on read.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import clock
from services.ledger import queries, service
from services.ledger.chain import lock_head
from services.ledger.models import CHAINED_KINDS, Account, AccountType, Cause, Transfer
from services.orgs.models import CommunitySettings, ExpiryPolicy

COMMUNITIES_PER_TICK = 20


def months_before(day: date, months: int) -> date:
    """``day`` minus ``months`` calendar months, kept within the target month."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def cutoff(policy: ExpiryPolicy, months: int | None, today: date) -> date | None:
    """Points booked before this day have expired; None: nothing expires."""
    if policy is ExpiryPolicy.YEAR_END:
        return date(today.year, 1, 1)
    if policy is ExpiryPolicy.AFTER_MONTHS:
        assert months is not None  # a CHECK on community_settings
        return months_before(today, months)
    return None


def reason(policy: ExpiryPolicy, months: int | None, cut: date) -> str:
    label = "年底清零" if policy is ExpiryPolicy.YEAR_END else f"记入满 {months} 个月"
    return f"积分过期（{label}）：{cut.isoformat()} 之前记入的积分"


async def apply_expiry(
    session: AsyncSession, *, community_id: uuid.UUID, now: datetime | None = None
) -> int:
    """Expire what the community's policy says has expired; the number of transfers written."""
    moment = now or clock.now()
    today = clock.local_date(moment)
    settings = await session.scalar(
        select(CommunitySettings)
        .where(CommunitySettings.community_id == community_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if settings is None:
        return 0
    policy, months = settings.expiry_policy, settings.expiry_months
    cut = cutoff(policy, months, today)
    if cut is None:
        return 0
    await lock_head(session, community_id)  # settings row first, then the head: one lock order
    written = 0
    for account, old_credits in await _holders_of_old_points(session, community_id, cut):
        expired = old_credits - account.debits_posted
        if expired > account.credits_posted - account.debits_posted - account.debits_pending:
            expired = min(expired, await queries.available(session, account, now=moment))
        if expired <= 0:
            continue
        sink = await service.system_account(
            session, community_id=community_id, type=AccountType.EXPIRY, kind=account.kind
        )
        await service.transfer(
            session,
            community_id=community_id,
            debit_account_id=account.id,
            credit_account_id=sink.id,
            amount=expired,
            kind=account.kind,
            cause=Cause.EXPIRY,
            cause_id=None,
            reason=reason(policy, months, cut),
            actor_id=None,
        )
        written += 1
    settings.expiry_applied_on = today
    await session.flush()
    return written


async def apply_due(
    session: AsyncSession, *, now: datetime | None = None, limit: int = COMMUNITIES_PER_TICK
) -> int:
    """The worker's job: apply the policy of up to ``limit`` communities not yet done today."""
    moment = now or clock.now()
    today = clock.local_date(moment)
    due = await session.scalars(
        select(CommunitySettings.community_id)
        .where(
            CommunitySettings.expiry_policy != ExpiryPolicy.NEVER,
            or_(
                CommunitySettings.expiry_applied_on.is_(None),
                CommunitySettings.expiry_applied_on < today,
            ),
        )
        .order_by(CommunitySettings.community_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    written = 0
    for community_id in due.all():
        written += await apply_expiry(session, community_id=community_id, now=moment)
    return written


async def communities_with_policy(session: AsyncSession) -> list[uuid.UUID]:
    """Every community whose points expire (any policy but ``never``)."""
    found = await session.scalars(
        select(CommunitySettings.community_id)
        .where(CommunitySettings.expiry_policy != ExpiryPolicy.NEVER)
        .order_by(CommunitySettings.community_id)
    )
    return list(found)


async def _holders_of_old_points(
    session: AsyncSession, community_id: uuid.UUID, cut: date
) -> list[tuple[Account, int]]:
    """Person accounts credited before ``cut`` with more than they have spent since ever, with
    those credits' sum (fresh counters: the caller holds the head lock)."""
    old = (
        select(
            Transfer.credit_account_id.label("account_id"),
            func.sum(Transfer.amount).label("credits"),
        )
        .where(
            Transfer.community_id == community_id,
            Transfer.kind.in_(CHAINED_KINDS),
            Transfer.booked_on < cut,
        )
        .group_by(Transfer.credit_account_id)
        .subquery("old")
    )
    rows = await session.execute(
        select(Account, old.c.credits)
        .join(old, old.c.account_id == Account.id)
        .where(
            Account.community_id == community_id,
            Account.type == AccountType.PERSON,
            old.c.credits > Account.debits_posted,
        )
        .order_by(Account.id)
        .execution_options(populate_existing=True)
    )
    return [(account, int(credits)) for account, credits in rows]
