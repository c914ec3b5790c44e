"""Date, DateTime and Time as Strawberry's, bounded to the calendar the API reads (issue 13,
item 6), and typed when they do not parse (``INVALID_VALUE``: "2026-13-01", year 0 or 10000,
"24:00").

Every Date and DateTime argument of every query, mutation and subscription passes through
here: a date of year 1 or 9999 (and an instant whose UTC day is there) is refused as
``DATE_OUT_OF_RANGE`` before any resolver could overflow on "the next day" or a time zone
shift; a DateTime without an offset is read as Asia/Shanghai time (services compare aware
instants only). The window a mutation accepts is narrower, checked by the services
(:mod:`services.validation`) so their payloads can name the field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError
from strawberry.schema.types.base_scalars import (
    DateDefinition,
    DateTimeDefinition,
    TimeDefinition,
)
from strawberry.types.scalar import ScalarDefinition

from services import validation
from services.errors import DomainError, ErrorCode


def _bounded(definition: ScalarDefinition, check: Callable[[Any], Any]) -> ScalarDefinition:
    parse = definition.parse_value
    assert parse is not None

    def parse_value(value: object) -> object:
        try:
            parsed = parse(value)
        except (GraphQLError, ValueError, TypeError) as error:
            # not a day at all ("2026-13-01", "0000-01-01", "10000-01-01", "24:00", 42): typed
            # like the calendar's ends, where it was an untyped coercion error (bench/fuzz)
            raise DomainError(ErrorCode.INVALID_VALUE) from error
        return check(parsed)

    return dataclasses.replace(definition, parse_value=parse_value)


OVERRIDES: dict[object, ScalarDefinition] = {
    dt.date: _bounded(DateDefinition, lambda value: validation.calendar_day(value)),
    dt.datetime: _bounded(DateTimeDefinition, lambda value: validation.calendar_moment(value)),
    dt.time: _bounded(TimeDefinition, lambda value: value),
}
