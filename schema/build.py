"""Assemble the root types and the schema with its limits and caches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    IntValueNode,
    OperationDefinitionNode,
    ValueNode,
    VariableNode,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.language import visitor as ast_visitor
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.types import ExecutionContext

from schema.auth.mutations import AuthMutation
from schema.catalog import CatalogMutation, CatalogQuery, Goods, Service, ServiceSession, Venue
from schema.demands.grid_work import GridWorkMutation, GridWorkQuery
from schema.demands.mutations import DemandMutation
from schema.demands.queries import DemandQuery
from schema.demands.types import Demand
from schema.demands.visits import VisitMutation, VisitQuery
from schema.demands.wishes import Wish, WishMutation, WishQuery
from schema.errors import UserError
from schema.extensions import ErrorPolicy, RequestTransaction, shared_rules
from schema.ledger import LedgerMutation, LedgerQuery, LedgerTransfer
from schema.meetings.mutations import MeetingMutation
from schema.meetings.queries import MeetingQuery
from schema.meetings.types import AgendaItem, Grant, JointMeeting
from schema.node import NodeQuery
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
from schema.reports.assessment import AssessmentQuery
from schema.reports.certificates import CertificateMutation, CertificateQuery
from schema.reports.evaluation import EvaluationMutation, EvaluationQuery
from schema.reports.queries import ReportMutation, ReportQuery
from schema.subscriptions import Subscription
from services.errors import DomainError, ErrorCode
from services.i18n import Language, message
from services.pagination import MAX_FIRST


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
):
    pass


@strawberry.type
class Mutation(
    AuthMutation,
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
):
    pass


class PageSizeLimit(SchemaExtension):
    """Refuse ``first`` outside 0..MAX_FIRST before anything executes.

    The resolvers check it too, but only after the actor is loaded: a hostile ``first:
    1000000`` would cost a database round trip (or several) before its refusal. Here it is
    refused from the document and the variables alone, with the resolvers' own code
    (``FIRST_OUT_OF_RANGE``) and message.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            for value in _first_arguments(document, context.variables or {}):
                if not 0 <= value <= MAX_FIRST:
                    language = getattr(context.context, "language", Language.ZH_CN)
                    error = GraphQLError(
                        message(ErrorCode.FIRST_OUT_OF_RANGE, language, {"max": MAX_FIRST}),
                        extensions={"code": ErrorCode.FIRST_OUT_OF_RANGE.name, "field": "first"},
                    )
                    context.result = GraphQLExecutionResult(data=None, errors=[error])
                    break
        yield


def _first_arguments(document: DocumentNode, variables: dict[str, Any]) -> Iterator[int]:
    """Every integer given to an argument named ``first``, literally or by a variable."""
    defaults = {
        d.variable.name.value: d.default_value
        for op in document.definitions
        if isinstance(op, OperationDefinitionNode)
        for d in op.variable_definitions or ()
    }
    found: list[ValueNode | None] = []

    class Visitor(ast_visitor.Visitor):
        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            if node.name.value == "first":
                found.append(node.value)

    ast_visitor.visit(document, Visitor())
    for node in found:
        value: object = None
        if isinstance(node, IntValueNode):
            value = int(node.value)
        elif isinstance(node, VariableNode):
            name = node.name.value
            default = defaults.get(name)
            value = variables.get(name)
            if name not in variables and isinstance(default, IntValueNode):
                value = int(default.value)
        if isinstance(value, int) and not isinstance(value, bool):
            yield value


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    introspection: bool = True


class GridPointsSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only what is a bug: client errors and domain errors are answers, not incidents."""
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, DomainError | GraphQLError):
                continue
            super().process_errors([error], execution_context)


def build_schema(limits: Limits | None = None) -> strawberry.Schema:
    limits = limits or Limits()
    # Factories: Strawberry builds fresh extensions per request (the caches are module-level).
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        shared_rules(  # built once: the rules are part of the validation cache's key
            QueryDepthLimiter(max_depth=limits.max_depth),
            MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        ),
        PageSizeLimit,
        ErrorPolicy,
        RequestTransaction,
    ]
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
            UserError,
        ],
        extensions=extensions,
    )
