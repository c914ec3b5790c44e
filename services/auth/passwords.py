"""Argon2id password hashing.

The cost is configurable (tests and the demo seed use a cheaper one); hashes carry their own
parameters, so a hash made at one cost verifies at any other and is upgraded on the next sign-in.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.errors import DomainError, ErrorCode

MIN_LENGTH = 8
MAX_LENGTH = 128

_hasher = PasswordHasher()
# Verified when the phone is unknown, so a wrong phone costs as much time as a wrong password.
_dummy_hash = _hasher.hash("not-a-password-0")


def configure(*, time_cost: int, memory_cost_kib: int) -> None:
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=1)
    _dummy_hash = _hasher.hash("not-a-password-0")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Check ``password``; with no hash, burn the same time and answer False."""
    try:
        return _hasher.verify(password_hash or _dummy_hash, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_strength(password: str, *, field: str = "newPassword") -> None:
    if (
        len(password) < MIN_LENGTH
        or len(password) > MAX_LENGTH
        or not re.search(r"[A-Za-z]", password)
        or not re.search(r"\d", password)
    ):
        raise DomainError(ErrorCode.WEAK_PASSWORD, field=field, min=MIN_LENGTH)
