"""Schema extensions: the request's transaction and the error policy."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator

from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.types.graphql import OperationType

from schema.context import Context
from schema.errors import extensions_for
from services.errors import DomainError
from services.i18n import message

log = logging.getLogger("gridpoints.graphql")

INTERNAL = {"en": "Internal server error.", "zh-CN": "服务器内部错误。"}


def shared_rules(*limiters: AddValidationRules) -> Callable[[], AddValidationRules]:
    """A per-request factory adding the limiters' validation rules, built once.

    Each ``QueryDepthLimiter`` / ``MaxAliasesLimiter`` instance makes a new rule class, and the
    rules are part of the validation cache's key: built per request, the cache never hit and
    every request was validated again (a third of a catalog read's CPU time).
    """
    rules = [rule for limiter in limiters for rule in limiter.validation_rules]
    return lambda: AddValidationRules(rules)


class RequestTransaction(SchemaExtension):
    """Commit a mutation's work when the operation ends; roll back anything else.

    Each mutation already ran in its own savepoint (``schema.mutations.perform``), so what is left
    in the transaction is what succeeded. If the commit fails, the response says so instead of
    reporting success.
    """

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if not isinstance(context, Context):
            return
        try:
            await context.finish(commit=self._is_mutation())
        except Exception:
            log.exception("commit failed")
            result = self.execution_context.result
            if result is not None:
                result.data = None
                result.errors = [
                    GraphQLError(
                        INTERNAL.get(context.language.value, INTERNAL["en"]),
                        extensions={"code": "INTERNAL"},
                    )
                ]

    def _is_mutation(self) -> bool:
        if self.execution_context.graphql_document is None:
            return False
        try:
            return self.execution_context.operation_type is OperationType.MUTATION
        except Exception:  # no such operation in the document: nothing ran
            return False


class ErrorPolicy(SchemaExtension):
    """Domain errors get their localized message and code; anything unexpected is masked."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        context = self.execution_context.context
        if result is None or not result.errors or not isinstance(context, Context):
            return
        result.errors = [self._shown(error, context) for error in result.errors]

    @staticmethod
    def _shown(error: GraphQLError, context: Context) -> GraphQLError:
        original = error.original_error
        if original is None:  # syntax and validation errors: the client's own
            return error
        if isinstance(original, DomainError):
            return GraphQLError(
                message(original.code, context.language, original.params),
                nodes=error.nodes,
                path=error.path,
                extensions=extensions_for(original),
            )
        if isinstance(original, GraphQLError):  # e.g. a scalar that failed to parse
            return error
        return GraphQLError(
            INTERNAL.get(context.language.value, INTERNAL["en"]),
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL"},
        )
