"""Input checks shared by the services: each failure is a :class:`DomainError` naming the field."""

from __future__ import annotations

import re
import unicodedata

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
