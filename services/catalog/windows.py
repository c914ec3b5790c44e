"""When a community's exchange is open, and its pickup settings (defaults when unset)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import ExchangeSettings, ExchangeWindow, WindowKind
from services.errors import DomainError, ErrorCode
from services.validation import CALENDAR_END, CALENDAR_START

DEFAULT_PICKUP_DAYS = 3
DEFAULT_GRACE_MINUTES = 30
# days a query may name: the calendar of services.validation (a local midnight of year 1 is
# before UTC's and the day after 9999-12-31 does not exist)
EARLIEST_DAY, LATEST_DAY = CALENDAR_START, CALENDAR_END


def check_day(day: date, *, field: str) -> date:
    """A local day a query may name, or ``INVALID_VALUE`` (found by bench/fuzz: ``0001-01-01``
    was an internal error)."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise DomainError(ErrorCode.INVALID_VALUE, field=field)
    return day


@dataclass(frozen=True, slots=True)
class Policy:
    pickup_days: int = DEFAULT_PICKUP_DAYS
    grace_minutes: int = DEFAULT_GRACE_MINUTES


async def policy(session: AsyncSession, community_id: uuid.UUID) -> Policy:
    row = await session.get(ExchangeSettings, community_id)
    return Policy(row.pickup_days, row.grace_minutes) if row else Policy()


async def windows_of(session: AsyncSession, community_id: uuid.UUID) -> list[ExchangeWindow]:
    rows = await session.scalars(
        select(ExchangeWindow)
        .where(ExchangeWindow.community_id == community_id)
        .order_by(ExchangeWindow.kind, ExchangeWindow.id)
    )
    return list(rows)


def _last_days(day: date, days: int, months_per_period: int) -> bool:
    period_end_month = ((day.month - 1) // months_per_period + 1) * months_per_period
    year = day.year + (1 if period_end_month == 12 else 0)
    month = 1 if period_end_month == 12 else period_end_month + 1
    next_period = date(year, month, 1)
    return next_period - timedelta(days=days) <= day


def matches(window: ExchangeWindow, day: date) -> bool:
    if window.kind is WindowKind.WEEKDAY:
        return day.isoweekday() == window.weekday
    if window.kind is WindowKind.MONTH_END:
        return _last_days(day, window.days or 0, 1)
    if window.kind is WindowKind.QUARTER_END:
        return _last_days(day, window.days or 0, 3)
    assert window.starts_on is not None
    assert window.ends_on is not None
    return window.starts_on <= day <= window.ends_on


def is_open(windows: Sequence[ExchangeWindow], day: date) -> bool:
    """No windows: always open; otherwise open on a day any window matches."""
    return not windows or any(matches(window, day) for window in windows)


def next_open(windows: Sequence[ExchangeWindow], day: date, *, horizon: int = 400) -> date | None:
    """The first day from ``day`` on when the exchange is open (None: not within ``horizon``)."""
    for offset in range(horizon):
        candidate = day + timedelta(days=offset)
        if candidate > LATEST_DAY:
            return None
        if is_open(windows, candidate):
            return candidate
    return None
