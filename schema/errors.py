"""Typed errors: the ``Error`` interface for mutation payloads, and top-level errors for queries.

A :class:`services.errors.DomainError` becomes, in a payload, a ``UserError`` with an enum ``code``
and a message in the request's language; raised from a query field it becomes a top-level GraphQL
error with ``extensions.code``. Anything else is a bug: logged with its traceback, shown only as
"Internal server error" (:class:`schema.extensions.ErrorPolicy`).
"""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]
import strawberry
from redis import exceptions as redis_errors
from sqlalchemy.exc import DBAPIError

from services.errors import DomainError
from services.errors import ErrorCode as DomainErrorCode
from services.i18n import Language, message

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="What went wrong.")

# PostgreSQL or Redis out of reach: down, restarting, refusing, or a connection that broke
OUTAGES: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, broken pipe
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.TooManyConnectionsError,
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
)


def unavailable(error: BaseException | None) -> bool:
    """Did ``error`` (or what caused it) come from a server out of reach? Then the request may
    succeed if sent again, and nothing is wrong with it or with the code: the client is told
    ``UNAVAILABLE`` (HTTP 503), not "internal error"."""
    for _ in range(8):  # the cause chain, not forever
        if error is None:
            return False
        if isinstance(error, OUTAGES) or (
            isinstance(error, DBAPIError) and error.connection_invalidated
        ):
            return True
        error = error.__cause__ or error.__context__
    return False


@strawberry.interface(description="An expected failure, with a message in the user's language.")
class Error:
    code: ErrorCode  # type: ignore[valid-type]
    message: str
    field: str | None = strawberry.field(
        description="The input field at fault (camelCase), when one is."
    )


@strawberry.type(description="A failure of a mutation the user can act on.")
class UserError(Error):
    pass


def user_error(error: DomainError, language: Language) -> UserError:
    return UserError(
        code=error.code,
        message=message(error.code, language, error.params),
        field=error.field,
    )


def extensions_for(error: DomainError) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": error.code.name}
    if error.field:
        extensions["field"] = error.field
    return extensions
