"""Keyset pagination: a page is "the next ``first`` rows after this sort key", never an OFFSET.

A cursor is the sort key of the last row seen, encoded opaquely. Decoding checks the shape and the
types, so a forged or stale cursor is a typed error, not a server error.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from services.errors import DomainError, ErrorCode

T = TypeVar("T")

MAX_FIRST = 100
DEFAULT_FIRST = 20


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


def _encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else str(v) for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, columns: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(columns):
            raise ValueError("shape")
        values: list[Any] = []
        for text, column in zip(raw, columns, strict=True):
            if not isinstance(text, str):
                raise ValueError("type")
            kind = column.type.python_type
            if kind is uuid.UUID:
                values.append(uuid.UUID(text))
            elif kind is datetime:
                values.append(datetime.fromisoformat(text))
            elif kind is int:
                values.append(int(text))
            else:
                values.append(text)
        return values
    except (ValueError, binascii.Error, UnicodeDecodeError, NotImplementedError) as error:
        raise DomainError(ErrorCode.INVALID_CURSOR, field="after") from error


def check_first(first: int) -> int:
    if first < 0 or first > MAX_FIRST:
        raise DomainError(ErrorCode.FIRST_OUT_OF_RANGE, field="first", max=MAX_FIRST)
    return first


async def keyset_page(
    session: AsyncSession,
    stmt: Select[T],
    order_by: Sequence[InstrumentedAttribute[Any]],
    *,
    first: int,
    after: str | None,
) -> Page[T]:
    """Run ``stmt`` ordered by ``order_by`` (ascending, unique together), one page of it."""
    check_first(first)
    if after is not None:
        stmt = stmt.where(tuple_(*order_by) > tuple_(*_decode(after, order_by)))
    stmt = stmt.order_by(*order_by).limit(first + 1)
    rows = list((await session.scalars(stmt)).all())
    has_next = len(rows) > first
    rows = rows[:first]
    cursors = [_encode([getattr(row, col.key) for col in order_by]) for row in rows]
    return Page(rows, cursors, has_next, after is not None)
