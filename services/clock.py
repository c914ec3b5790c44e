"""Time, injectable: every deadline in the product is judged against :func:`now`.

Tests freeze or move it (:func:`frozen`) instead of waiting. Times are UTC; a "day" in the
product is a day in Asia/Shanghai (:func:`local_date`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
Mover = Callable[[datetime], None]


def _system_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now


def now() -> datetime:
    return _source()


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


def month_days(month: date) -> tuple[date, date]:
    """The month of ``month`` (any day of it) as days ``[first, first of the next)``."""
    first = month.replace(day=1)
    return first, date(first.year + first.month // 12, first.month % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month (any day of it) as UTC-comparable instants ``[start, end)`` of its local days."""
    first, following = month_days(month)
    return (
        datetime(first.year, first.month, 1, tzinfo=LOCAL),
        datetime(following.year, following.month, 1, tzinfo=LOCAL),
    )


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The local (Asia/Shanghai) year as UTC-comparable instants ``[start, end)``."""
    return datetime(year, 1, 1, tzinfo=LOCAL), datetime(year + 1, 1, 1, tzinfo=LOCAL)


@contextmanager
def frozen(at: datetime) -> Iterator[Mover]:
    """Freeze :func:`now` at ``at``; the yielded function moves the frozen time."""
    global _source
    previous = _source
    current = [at]
    _source = lambda: current[0]  # noqa: E731

    def move(to: datetime) -> None:
        current[0] = to

    try:
        yield move
    finally:
        _source = previous
