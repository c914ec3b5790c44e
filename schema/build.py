"""Assemble the root types and the schema with its limits and caches."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    GraphQLError,
    IntValueNode,
    OperationDefinitionNode,
    ValueNode,
    VariableNode,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.types import ExecutionContext

from schema.auth.codes import PhoneCodeMutation
from schema.auth.mutations import AuthMutation
from schema.auth.wechat import WechatMutation, WechatQuery
from schema.bounds import CachedValidation, DocumentBounds, DocumentGuard, Excess, too_complex
from schema.cache import ResponseCache
from schema.catalog import CatalogMutation, CatalogQuery, Goods, Service, ServiceSession, Venue
from schema.cost import DEFAULT_BUDGET, CostLimit
from schema.demands.grid_work import GridWorkMutation, GridWorkQuery
from schema.demands.mutations import DemandMutation
from schema.demands.queries import DemandQuery
from schema.demands.types import Demand
from schema.demands.visits import VisitMutation, VisitQuery
from schema.demands.wishes import Wish, WishMutation, WishQuery
from schema.errors import UserError, unavailable
from schema.extensions import ErrorPolicy, RequestTransaction, shared_rules
from schema.ledger import LedgerMutation, LedgerQuery, LedgerTransfer
from schema.meetings.mutations import MeetingMutation
from schema.meetings.queries import MeetingQuery
from schema.meetings.types import AgendaItem, Grant, JointMeeting
from schema.node import NodeQuery
from schema.notices.mutations import NoticeMutation
from schema.notices.queries import NoticeQuery
from schema.orders.mutations import OrderMutation
from schema.orders.queries import OrderQuery
from schema.orders.types import Claim, VolunteerOrder
from schema.orgs.mutations import OrgMutation
from schema.orgs.queries import OrgQuery
from schema.orgs.types import Household, OrgUnit
from schema.people.mutations import PeopleMutation
from schema.people.queries import PeopleQuery
from schema.people.types import Person, RoleAssignment
from schema.redemptions import Redemption, RedemptionMutation, RedemptionQuery
from schema.registration import (
    RegistrationApplication,
    RegistrationMutation,
    RegistrationQuery,
)
from schema.reports.assessment import AssessmentQuery
from schema.reports.certificates import CertificateMutation, CertificateQuery
from schema.reports.evaluation import EvaluationMutation, EvaluationQuery
from schema.reports.queries import ReportMutation, ReportQuery
from schema.scalars import OVERRIDES as SCALAR_OVERRIDES
from schema.subscriptions import Subscription
from services.errors import DomainError, ErrorCode
from services.i18n import Language, message
from services.pagination import MAX_FIRST

log = logging.getLogger("gridpoints.graphql")


@strawberry.type
class Query(
    NodeQuery,
    PeopleQuery,
    OrgQuery,
    OrderQuery,
    MeetingQuery,
    LedgerQuery,
    ReportQuery,
    EvaluationQuery,
    DemandQuery,
    VisitQuery,
    GridWorkQuery,
    WishQuery,
    AssessmentQuery,
    CertificateQuery,
    CatalogQuery,
    RedemptionQuery,
    NoticeQuery,
    WechatQuery,
    RegistrationQuery,
):
    pass


@strawberry.type
class Mutation(
    AuthMutation,
    PhoneCodeMutation,
    WechatMutation,
    PeopleMutation,
    OrgMutation,
    OrderMutation,
    MeetingMutation,
    LedgerMutation,
    ReportMutation,
    EvaluationMutation,
    DemandMutation,
    VisitMutation,
    GridWorkMutation,
    WishMutation,
    CertificateMutation,
    CatalogMutation,
    RedemptionMutation,
    NoticeMutation,
    RegistrationMutation,
):
    pass


# GraphQL's lexical tokens (and comments, which graphql-core's token limit does not count)
TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n\r]*|[_A-Za-z][_0-9A-Za-z]*'
    r"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\.\.|[!$&()\[\]{}:=@|]"
)
CHEAP_BELOW = 2000  # characters: a shorter document parses and validates in about a millisecond


class ShapeGuard(SchemaExtension):
    """Refuse a big document before graphql-core parses it: too many tokens, aliases or levels.

    graphql-core's parser, in Python, takes 10-20 ms for a few thousand tokens, so a 1,000-alias
    query refused by the limits after parsing still costs that much. One regular expression (in C)
    counts the tokens, and a walk over them counts aliases (a name and a colon directly in a
    selection set) and how deep selection sets nest (introspection included, which the depth
    limiter leaves out); the limits' own messages. Directives (``@``) and fragment spreads and
    inline fragments (``...``) are counted too, refused over their bounds (schema/bounds.py) with
    the same typed error as after parsing: 500 directives take 20 ms to parse. Short documents
    skip this, introspection aside: nothing in them can be expensive.
    """

    def __init__(self, limits: Limits) -> None:
        super().__init__()
        self.limits = limits

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query is not None and context.graphql_document is None and self._worth_it(query):
            self._check([lexeme for lexeme in TOKEN.findall(query) if lexeme[0] != "#"])
        yield

    def _worth_it(self, query: str) -> bool:
        """Long documents, and introspection (the depth limiter does not count it)."""
        return len(query) >= CHEAP_BELOW or (
            ("__schema" in query or "__type" in query)
            and query.count("{") > self.limits.max_depth + 2
        )

    def _check(self, tokens: list[str]) -> None:
        limits = self.limits
        if len(tokens) > limits.max_tokens:
            raise GraphQLError(
                f"Syntax Error: Document contains more than {limits.max_tokens} tokens. "
                "Parsing aborted."
            )
        stack: list[str] = []
        aliases = deepest = 0
        for lexeme in tokens:
            if lexeme == "{":
                inside_values = bool(stack) and stack[-1] != "selection"
                stack.append("value" if inside_values else "selection")
                deepest = max(deepest, stack.count("selection"))
            elif lexeme in ("(", "["):
                stack.append("value")
            elif lexeme in ("}", ")", "]"):
                if stack:
                    stack.pop()
            elif lexeme == ":" and stack and stack[-1] == "selection":
                aliases += 1
        bounds = limits.document
        for part, lexeme, most in (
            ("directives", "@", bounds.max_directives),
            ("fragments", "...", bounds.max_fragments),
        ):
            found = tokens.count(lexeme)
            if lexeme == "...":  # and the definitions (an alias named so only counts more)
                found += tokens.count("fragment")
            if found > most:
                language = getattr(self.execution_context.context, "language", Language.ZH_CN)
                raise too_complex(Excess(part, found, most), language)
        if aliases > limits.max_aliases:
            raise GraphQLError(f"{aliases} aliases found. Allowed: {limits.max_aliases}")
        if deepest > limits.max_depth + 2:  # + the operation's own braces, and a margin
            raise GraphQLError(f"Document nests deeper than {limits.max_depth} levels.")


class InputGuard(SchemaExtension):
    """Refuse, before anything executes, input no resolver should see.

    * ``first`` outside 0..MAX_FIRST. The resolvers check it too, but only after the actor is
      loaded: a hostile ``first: 1000000`` would cost database round trips before its refusal.
      Refused here with the resolvers' own code (``FIRST_OUT_OF_RANGE``) and message.
    * A NUL character in any string (literal or variable): PostgreSQL's text cannot hold one, so
      it would fail in the driver as an internal error (found by bench/fuzz in an idempotency
      key). ``INVALID_VALUE``.
    * (issue 13, item 6) A lone UTF-16 surrogate in any string variable or in the document
      (``"\\ud800"`` decoded by a transport that allows it): it cannot be encoded as UTF-8, so it
      too failed later in the driver. ``INVALID_ENCODING``. And variables nesting deeper than
      ``MAX_INPUT_DEPTH`` (no input type of the schema nests past a handful of levels; deeper
      ones made graphql-core's coercion recurse): ``TOO_DEEP``. One iterative walk finds both.

    Both from the document and the variables alone, and only when the raw text could hold them.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document, query = context.graphql_document, context.query or ""
        variables = context.variables or {}
        if document is not None and context.result is None:
            refusal: tuple[ErrorCode, str, dict[str, Any]] | None = None
            unfit = _unfit_text(query) or _unfit_variables(variables)
            if "\\u0000" in query or unfit is ErrorCode.INVALID_VALUE:
                refusal = (ErrorCode.INVALID_VALUE, "input", {})
            elif unfit is ErrorCode.TOO_DEEP:
                refusal = (unfit, "variables", {"max": MAX_INPUT_DEPTH})
            elif unfit is not None:
                refusal = (unfit, "input", {})
            elif "first" in query and any(
                not 0 <= value <= MAX_FIRST for value in _first_arguments(document, variables)
            ):
                refusal = (ErrorCode.FIRST_OUT_OF_RANGE, "first", {"max": MAX_FIRST})
            if refusal is not None:
                code, field, params = refusal
                language = getattr(context.context, "language", Language.ZH_CN)
                error = GraphQLError(
                    message(code, language, params),
                    extensions={"code": code.name, "field": field},
                )
                context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield


MAX_INPUT_DEPTH = 32  # levels of lists and objects in the variables


def _unfit_text(text: str) -> ErrorCode | None:
    """``INVALID_VALUE`` for a NUL, ``INVALID_ENCODING`` for a lone surrogate, else None."""
    if "\x00" in text:
        return ErrorCode.INVALID_VALUE
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return ErrorCode.INVALID_ENCODING
    return None


def _unfit_variables(variables: object) -> ErrorCode | None:
    """The first string (key or value) PostgreSQL could not store, or nesting too deep."""
    pending: list[tuple[object, int]] = [(variables, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            unfit = _unfit_text(value)
            if unfit is not None:
                return unfit
        elif isinstance(value, dict | list):
            if depth >= MAX_INPUT_DEPTH:
                return ErrorCode.TOO_DEEP
            if isinstance(value, dict):
                pending.extend((key, depth) for key in value)
                pending.extend((item, depth + 1) for item in value.values())
            else:
                pending.extend((item, depth + 1) for item in value)
    return None


def _first_arguments(document: DocumentNode, variables: dict[str, Any]) -> Iterator[int]:
    """Every integer given to an argument named ``first``, literally or by a variable (a plain
    walk over the selection sets: graphql-core's generic visitor costs ten times as much)."""
    defaults: dict[str, Any] = {}
    pending: list[Any] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for d in definition.variable_definitions or ():
                defaults[d.variable.name.value] = d.default_value
        selection_set = getattr(definition, "selection_set", None)
        if selection_set is not None:
            pending.extend(selection_set.selections)
    while pending:
        node = pending.pop()
        for argument in getattr(node, "arguments", None) or ():
            if argument.name.value == "first":
                value = _int_value(argument.value, variables, defaults)
                if value is not None:
                    yield value
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            pending.extend(selection_set.selections)


def _int_value(node: ValueNode, variables: dict[str, Any], defaults: dict[str, Any]) -> int | None:
    value: object = None
    if isinstance(node, IntValueNode):
        value = int(node.value)
    elif isinstance(node, VariableNode):
        name = node.name.value
        value = variables.get(name)
        default = defaults.get(name)
        if name not in variables and isinstance(default, IntValueNode):
            value = int(default.value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_cost: int = DEFAULT_BUDGET
    document: DocumentBounds = dataclass_field(default_factory=DocumentBounds)
    introspection: bool = True
    response_cache: bool = True


class GridPointsSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only what is a bug: client errors and domain errors are answers, not incidents."""
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, DomainError | GraphQLError):
                continue
            if unavailable(original):  # an outage, not a bug: one line, no traceback
                log.warning("a server is out of reach: %r", original)
                continue
            super().process_errors([error], execution_context)


class ReportedParserCache(ParserCache):
    """Strawberry's parser cache, with a document that does not parse left to Strawberry's own
    parse. The cache parses inside its hook, outside Strawberry's handling of parse errors: on
    a graphql-transport-ws socket the operation died with a traceback in the log and an empty
    ``complete`` (``{ node(id: "\\ud800") { id } }``, ``{ me { id }``; bench/fuzz edges, issue
    13 item 6). Now the syntax error is the operation's own, and the socket closes with 4400
    as the protocol says (tests/test_ws_frames.py)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


def build_schema(limits: Limits | None = None) -> strawberry.Schema:
    limits = limits or Limits()
    # Factories: Strawberry builds fresh extensions per request (the caches are module-level).
    extensions: list[Any] = [
        lambda: ShapeGuard(limits),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: ReportedParserCache(maxsize=512),
        shared_rules(  # built once: the rules are part of the validation cache's key
            QueryDepthLimiter(max_depth=limits.max_depth),
            MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        ),
        # before validation, in this order: the document's bounds, its cost, then the rules
        lambda: DocumentGuard(limits.document),
        lambda: CostLimit(limits.max_cost),
        CachedValidation,
        InputGuard,
        ErrorPolicy,
        RequestTransaction,
    ]
    if limits.response_cache:
        extensions.append(ResponseCache)
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return GridPointsSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            OrgUnit,
            Household,
            Person,
            RoleAssignment,
            VolunteerOrder,
            Claim,
            JointMeeting,
            AgendaItem,
            Grant,
            LedgerTransfer,
            Demand,
            Wish,
            Goods,
            Venue,
            Service,
            ServiceSession,
            Redemption,
            RegistrationApplication,
            UserError,
        ],
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
    )
