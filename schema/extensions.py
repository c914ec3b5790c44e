"""Schema extensions: the request's transaction and the error policy."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator

from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.types.graphql import OperationType

from schema.context import Context
from schema.errors import extensions_for, unavailable
from services.errors import DomainError, ErrorCode
from services.i18n import message

log = logging.getLogger("gridpoints.graphql")

INTERNAL = {"en": "Internal server error.", "zh-CN": "服务器内部错误。"}
UNAVAILABLE = {
    "en": "The service is briefly unavailable. Please try again.",
    "zh-CN": "服务暂时不可用，请稍后重试。",
}


def unexpected(error: BaseException | None, language: str) -> tuple[str, dict[str, str]]:
    """What the client is told about an error that is not a domain error: the message and the
    extensions (``UNAVAILABLE`` when a server is out of reach, else ``INTERNAL``)."""
    if unavailable(error):
        return UNAVAILABLE.get(language, UNAVAILABLE["en"]), {"code": "UNAVAILABLE"}
    return INTERNAL.get(language, INTERNAL["en"]), {"code": "INTERNAL"}


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

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context):
            context.writes = self._is_mutation()
        yield

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if not isinstance(context, Context):
            return
        try:
            await context.finish(commit=self._is_mutation())
        except Exception as error:
            if unavailable(error):
                log.warning("commit failed: a server is out of reach (%r)", error)
            else:
                log.exception("commit failed")
            result = self.execution_context.result
            if result is not None:
                shown, extensions = unexpected(error, context.language.value)
                result.data = None
                result.errors = [GraphQLError(shown, extensions=extensions)]

    def _is_mutation(self) -> bool:
        if self.execution_context.graphql_document is None:
            return False
        try:
            return self.execution_context.operation_type is OperationType.MUTATION
        except Exception:  # no such operation in the document: nothing ran
            return False


LONE_SURROGATE_ESCAPE = "Syntax Error: Invalid Unicode escape sequence"  # graphql-core's words


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
        if isinstance(original, GraphQLError) and isinstance(
            original.original_error, DomainError
        ):  # a variable a scalar refused (issue 13, item 6): graphql-core wraps it twice
            original = original.original_error
        if original is None and error.message.startswith(LONE_SURROGATE_ESCAPE):
            # "\ud800" written in the document: the same refusal as in a variable (bench/fuzz)
            original = DomainError(ErrorCode.INVALID_ENCODING, field="query")
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
        shown, extensions = unexpected(original, context.language.value)
        return GraphQLError(shown, nodes=error.nodes, path=error.path, extensions=extensions)
