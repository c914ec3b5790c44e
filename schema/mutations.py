"""The one way a mutation runs a service: all or nothing, domain errors into payload errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from graphql import FieldNode
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
    """Run ``work`` as the signed-in actor; all of it stays, or none of it.

    A :class:`DomainError` undoes everything the mutation did and comes back as a typed error;
    anything else propagates (masked and logged upstream; the request's transaction is rolled
    back). When the operation holds other mutation fields the work runs in a savepoint, so a
    failing one leaves the others' work in place. When it is the operation's only field (the
    usual case) the request's transaction is the unit: a domain error rolls all of it back, the
    same outcome without the savepoint's two round trips.
    """
    context = info.context
    try:
        actor = await context.require_actor()
    except DomainError as error:
        return None, [user_error(error, context.language)]
    return await perform_anonymous(info, lambda session: work(session, actor))


async def perform_anonymous(
    info: Info[Context, None], work: Callable[[AsyncSession], Awaitable[R]]
) -> tuple[R | None, list[UserError]]:
    """:func:`perform` for a mutation open to anyone (the work checks what it needs itself)."""
    context = info.context
    try:
        if _only_field(info):

            async def alone(session: AsyncSession) -> R:
                try:
                    return await work(session)
                except DomainError:
                    await session.rollback()
                    raise

            return await context.db(alone), []

        async def step(session: AsyncSession) -> R:
            async with session.begin_nested():
                return await work(session)

        return await context.db(step), []
    except DomainError as error:
        return None, [user_error(error, context.language)]


def _only_field(info: Info[Context, None]) -> bool:
    """This mutation is the only top-level field of the operation (aliases and fragments count
    as others: then a savepoint keeps each field's work apart)."""
    selections = info.operation.selection_set.selections
    return len(selections) == 1 and isinstance(selections[0], FieldNode)
