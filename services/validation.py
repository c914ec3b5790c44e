"""Input checks shared by the services: each failure is a :class:`DomainError` naming the field."""

from __future__ import annotations

import re

from services.errors import DomainError, ErrorCode

_PHONE = re.compile(r"1\d{10}")


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
    """A mainland mobile number: 11 digits starting with 1 (spaces and dashes are dropped)."""
    cleaned = re.sub(r"[\s-]", "", value)[:32]
    if not _PHONE.fullmatch(cleaned):
        raise DomainError(ErrorCode.INVALID_PHONE, field=field)
    return cleaned
