"""Input checks shared by the services: each failure is a :class:`DomainError` naming the field."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta

from services import clock
from services.errors import DomainError, ErrorCode

_PHONE = re.compile(r"1[0-9]{10}")
# What people type between digits: spaces of any kind, dashes, dots, brackets (after NFKC folds
# full-width forms to ASCII).
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015.()·]")
_COUNTRY_PREFIXES = ("+86", "0086", "86")


def text(value: str | None, *, field: str, max_length: int, required: bool = True) -> str | None:
    """Strip ``value``; refuse it when empty (if required) or longer than ``max_length``."""
    if value is None or not value.strip():
        if required:
            raise DomainError(ErrorCode.REQUIRED, field=field)
        return None
    cleaned = value.strip()
    if len(cleaned) > max_length:
        raise DomainError(ErrorCode.TOO_LONG, field=field, max=max_length)
    return cleaned


def required_text(value: str | None, *, field: str, max_length: int) -> str:
    cleaned = text(value, field=field, max_length=max_length, required=True)
    assert cleaned is not None
    return cleaned


def phone(value: str, *, field: str = "phone") -> str:
    """A mainland mobile number in its one stored form: 11 ASCII digits starting with 1.

    Every way of typing the same number gives the same value: full-width characters are folded
    (NFKC), separators dropped and a ``+86``/``0086``/``86`` country prefix removed. Sign-in counts
    its per-phone limit on this value, so ``139-0000-0099`` is the same account as ``13900000099``.
    """
    folded = unicodedata.normalize("NFKC", value[:64])
    cleaned = _SEPARATORS.sub("", folded)
    for prefix in _COUNTRY_PREFIXES:
        if cleaned.startswith(prefix) and len(cleaned) == len(prefix) + 11:
            cleaned = cleaned[len(prefix) :]
            break
    if not _PHONE.fullmatch(cleaned):
        raise DomainError(ErrorCode.INVALID_PHONE, field=field)
    return cleaned


# --- Dates and times (issue 13, item 6) ------------------------------------------------------
# Two bounds, each defined here only:
# * the calendar the API reads at all (every Date, DateTime, month and year argument, queries
#   included): far enough from year 1 and 9999 that no "next day", "next month" or time zone
#   shift overflows (those were internal errors);
# * the product's window for what a mutation records: nothing before 2000, nothing more than
#   five years ahead, and nothing after now for what already happened (visits, rounds, bookings).
CALENDAR_START, CALENDAR_END = date(1900, 1, 1), date(9000, 12, 31)
EARLIEST_DAY = date(2000, 1, 1)
FUTURE_YEARS = 5


def _out_of_range(field: str | None, earliest: date, latest: date) -> DomainError:
    return DomainError(
        ErrorCode.DATE_OUT_OF_RANGE,
        field=field,
        earliest=earliest.isoformat(),
        latest=latest.isoformat(),
    )


def calendar_day(value: date, *, field: str | None = None) -> date:
    """Any date the API reads: inside the calendar, else ``DATE_OUT_OF_RANGE``."""
    if not CALENDAR_START <= value <= CALENDAR_END:
        raise _out_of_range(field, CALENDAR_START, CALENDAR_END)
    return value


def calendar_moment(value: datetime, *, field: str | None = None) -> datetime:
    """Any instant the API reads, with its offset (a time without one is Asia/Shanghai's, the
    product's day): its date, locally and in UTC, inside the calendar."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=clock.LOCAL)
    calendar_day(value.date(), field=field)
    calendar_day(value.astimezone(UTC).date(), field=field)
    return value


def calendar_year(value: int, *, field: str = "year") -> int:
    if not CALENDAR_START.year <= value <= CALENDAR_END.year:
        raise _out_of_range(field, CALENDAR_START, CALENDAR_END)
    return value


def latest_day() -> date:
    """The last local day a mutation may record: five years from today."""
    today = clock.local_date(clock.now())
    return date(today.year + FUTURE_YEARS, 12, 31)


def day(value: date, *, field: str, past: bool = False) -> date:
    """A day a mutation records: from 2000 to five years ahead (to today when ``past``)."""
    latest = clock.local_date(clock.now()) if past else latest_day()
    if not EARLIEST_DAY <= value <= latest:
        raise _out_of_range(field, EARLIEST_DAY, latest)
    return value


def moment(value: datetime, *, field: str, past: bool = False) -> datetime:
    """An instant a mutation records: its local day as for :func:`day`, and not after now when
    ``past``."""
    value = calendar_moment(value, field=field)
    now = clock.now()
    day(clock.local_date(value), field=field)
    if past and value > now:
        raise _out_of_range(field, EARLIEST_DAY, clock.local_date(now))
    return value


def time_range(
    starts: datetime, ends: datetime, *, field: str, max_length: timedelta
) -> tuple[datetime, datetime]:
    """A span that ends after it starts and lasts at most ``max_length``, else
    ``INVALID_TIME_WINDOW`` on ``field`` (the end's name)."""
    if not timedelta(0) < ends - starts <= max_length:
        raise DomainError(ErrorCode.INVALID_TIME_WINDOW, field=field)
    return starts, ends
