"""The one way a mutation runs a service: in a savepoint, domain errors into payload errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from schema.context import Context
from schema.errors import UserError, user_error
from services.authz import Actor
from services.errors import DomainError

R = TypeVar("R")


async def perform(
    info: Info[Context, None], work: Callable[[AsyncSession, Actor], Awaitable[R]]
) -> tuple[R | None, list[UserError]]:
    """Run ``work`` as the signed-in actor inside a savepoint.

    A :class:`DomainError` rolls the savepoint back (nothing the mutation did stays) and comes back
    as a typed error; anything else rolls it back and propagates (masked and logged upstream).
    """
    context = info.context
    try:
        actor = await context.require_actor()

        async def step(session: AsyncSession) -> R:
            async with session.begin_nested():
                return await work(session, actor)

        return await context.db(step), []
    except DomainError as error:
        return None, [user_error(error, context.language)]
