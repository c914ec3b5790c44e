"""What a query costs, computed from the document before anything runs, and the budget it must fit.

The cost is an upper bound of the objects the answer can hold, the way GitHub's GraphQL API counts
"nodes per call": every field returning an object counts one object per instance of its parent;
a list of objects counts as many objects as it can hold, and what is nested inside a list is
multiplied by its size. Lists of scalars and enums are leaves and cost nothing. Every operation's
fields count once per occurrence: aliases and repeated fragment spreads each count, and
``@skip``/``@include`` are ignored (the bound stays an upper bound).

How many items a list can hold:

* A list directly inside a field with a ``first`` argument (a connection's ``edges`` and
  ``nodes``, a ranking's ``entries``) holds ``first`` items: the argument as written, else the
  variable's value, else the variable's default, else the field's own default (20). A variable
  that is not given, and a ``first`` outside 0..MAX_FIRST (refused later by ``InputGuard`` with
  its own message), count as MAX_FIRST.
* Any other list of objects has a declared upper bound in :data:`LIST_SIZES`, keyed
  ``"Type.field"``.

Why one table rather than an annotation on each field (strawberry's ``metadata``/``extensions``):
the bounds are judged together against one budget, so they read best side by side; many of these
fields are plain attributes (``members: list[Person]``) that would have to become
``strawberry.field(...)`` calls to carry one; and the domain modules stay free of a concern that
belongs to the API's defence. A test checks the table against the schema both ways (every list of
objects has a bound, no bound names a field that is gone), so a new list field cannot be forgotten.

The bounds are estimates of the most a real community produces (a household's members, a
meeting's agenda), used only to price a query, not limits on the lists: where a service caps a
list far above what is real (a basket's 50 lines, a pickup queue's 500), the estimate is lower, so
that the web app's own operations keep a wide margin under the budget.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    is_composite_type,
)
from strawberry.extensions import SchemaExtension

from services.demands.household_file import MAX_DEMANDS
from services.demands.timeline import MAX_PHOTOS
from services.errors import ErrorCode
from services.i18n import Language, message
from services.ledger.models import PointKind
from services.pagination import MAX_FIRST

DEFAULT_BUDGET = 10_000
"""The web app's costliest operation (the pickup queue) is priced 2,800, with every page at
MAX_FIRST; tests/test_query_cost.py keeps every operation under a third of the budget."""

PAGE = -1
"""The list holds the enclosing field's ``first`` items."""

ERRORS = 10  # the typed errors of one mutation payload

LIST_SIZES: Mapping[str, int] = {
    "AgendaItem.votes": 30,  # one per meeting member
    "Demand.timeline": 50,
    "Demand.breaches": 10,
    "Demand.assignments": 10,  # the departments it was assigned to
    "DemandCategory.serviceLevels": 5,
    "DemandEvent.photos": MAX_PHOTOS,
    "ExchangeSettings.windows": 20,
    "ExchangeStatistics.items": 100,
    "ExchangeStatistics.grids": 50,
    "Household.members": 10,
    "HouseholdFile.members": 10,
    "HouseholdFile.visits": 50,
    "HouseholdFile.demands": MAX_DEMANDS,
    "JointMeeting.members": 30,
    "JointMeeting.agenda": 50,
    "MonthlyAssessment.grids": 50,  # the grids of a community
    "MyLedger.balances": len(PointKind),
    "NoticePreferences.optedOut": 40,  # a kind and a channel each: 2 channels × the kinds
    "Person.roles": 10,
    "Person.wechatBindings": 2,  # one per source
    "Query.closedMonths": 120,
    "Query.personDeliveries": 100,  # first: at most MAX_FIRST
    "Query.pointsStatistics": 12 * 50 * len(PointKind),  # months x grids x kinds
    "Query.demandCategories": 50,
    "Query.householdVisits": 100,
    "Query.householdsNotVisited": 500,  # the households of a grid
    "Query.inspectionRounds": 100,
    "Query.volunteerCertificates": 100,
    "Query.venues": 50,
    "Query.registrationUnits": 200,  # a street's communities, a community's grids
    "Query.venueAvailability": 1000,  # at most 31 days of slots
    "Query.services": 50,
    "Query.serviceSessions": 200,
    "Query.lowStock": 100,
    "Query.stockHistory": 200,
    "Query.pickupQueue": 200,  # a day's queue (the query stops at 500)
    "Query.venueCalendar": 200,
    "Ranking.entries": PAGE,
    "Redemption.lines": 10,  # a basket (checkout refuses more than 50)
    "ScoresReceived.scores": 50,
    "Venue.openingHours": 14,
    "VolunteerOrder.claims": 100,
    "VolunteerRecord.entries": 100,
}
"""Declared upper bounds of the lists of objects (connections' ``edges``/``nodes`` are ``PAGE``,
and every payload's ``errors`` is ``ERRORS``: both by rule, see :func:`list_size`)."""


def list_size(type_name: str, field_name: str) -> int | None:
    """The declared bound of a list field (``PAGE`` for a page), None if it has none."""
    if type_name.endswith("Connection") and field_name in ("edges", "nodes"):
        return PAGE
    if type_name.endswith("Payload") and field_name == "errors":
        return ERRORS
    return LIST_SIZES.get(f"{type_name}.{field_name}")


def lists_of_objects(schema: GraphQLSchema) -> Iterator[str]:
    """Every ``Type.field`` of the schema returning a list of objects (for the table's test)."""
    for name, kind in schema.type_map.items():
        if name.startswith("__") or not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, field in kind.fields.items():
            if _is_list(field.type) and is_composite_type(get_named_type(field.type)):
                yield f"{name}.{field_name}"


def _is_list(kind: Any) -> bool:
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


class _Pricing:
    """One walk over an operation: fragments priced once per page size, then reused."""

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.defaults: dict[str, Any] = {}
        self.priced: dict[tuple[str, int | None], int] = {}
        self.pricing: set[str] = set()

    def operation(self, operation: OperationDefinitionNode) -> int:
        for definition in operation.variable_definitions or ():
            self.defaults[definition.variable.name.value] = definition.default_value
        root = self.schema.get_root_type(operation.operation)
        return self.selections(operation.selection_set, root, None) if root else 0

    def selections(self, selection_set: SelectionSetNode, parent: Any, page: int | None) -> int:
        """The objects in one instance of ``parent``'s selection (``page``: its ``first``)."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                kind = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, kind, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, page)
        return total

    def fragment(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key not in self.priced:
            definition = self.fragments.get(name)
            if definition is None or name in self.pricing:  # unknown or cyclic: validation's
                return 0
            self.pricing.add(name)
            kind = self.schema.get_type(definition.type_condition.name.value)
            self.priced[key] = self.selections(definition.selection_set, kind, page)
            self.pricing.discard(name)
        return self.priced[key]

    def field(self, node: FieldNode, parent: Any, page: int | None) -> int:
        fields = getattr(parent, "fields", None)
        definition = fields.get(node.name.value) if fields else None
        if definition is None:  # __typename, or unknown (validation refuses it)
            return 0
        kind = get_named_type(definition.type)
        if not is_composite_type(kind):
            return 0
        size = 1
        if _is_list(definition.type):
            declared = list_size(parent.name, node.name.value)
            if declared is None or declared == PAGE:
                declared = MAX_FIRST if page is None else page
            size = declared
        inner = 0
        if node.selection_set is not None:
            inner = self.selections(node.selection_set, kind, self.first(node, definition))
        return size * (1 + inner)

    def first(self, node: FieldNode, definition: Any) -> int | None:
        """The page size this field asks for, if it takes ``first``."""
        argument = definition.args.get("first")
        if argument is None:
            return None
        value: object = argument.default_value
        for given in node.arguments or ():
            if given.name.value != "first":
                continue
            value = MAX_FIRST
            if isinstance(given.value, IntValueNode):
                value = int(given.value.value)
            elif isinstance(given.value, VariableNode):
                name = given.value.name.value
                default = self.defaults.get(name)
                if name in self.variables:
                    value = self.variables[name]
                elif isinstance(default, IntValueNode):
                    value = int(default.value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FIRST:
            return MAX_FIRST
        return value


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The cost of the operation that would run (of every operation, if none is chosen)."""
    pricing = _Pricing(schema, document, variables or {})
    chosen = get_operation_ast(document, operation_name)
    operations = (
        [chosen]
        if chosen is not None
        else [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    )
    return sum(pricing.operation(operation) for operation in operations)


class CostLimit(SchemaExtension):
    """Price the operation before it is validated; refuse it over the budget.

    ``QUERY_TOO_COSTLY``, stating the cost and the budget, before any rule, resolver or SQL runs
    (validating the 30-alias nested query alone takes 15 ms; pricing it, 0.3 ms). Pricing needs
    no valid document: unknown fields and types cost nothing, a fragment cycle is cut. It comes
    after the document's bounds, which keep the walk small. Every priced request reports
    ``{"cost": {"requested": N, "budget": B}}`` in its extensions.
    """

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget = budget
        self.requested: int | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            self.requested = query_cost(
                context.schema._schema, document, context.operation_name, context.variables
            )
            if self.requested > self.budget:
                code = ErrorCode.QUERY_TOO_COSTLY
                language = getattr(context.context, "language", Language.ZH_CN)
                params = {"cost": self.requested, "budget": self.budget}
                context.pre_execution_errors = [
                    GraphQLError(
                        message(code, language, params), extensions={"code": code.name, **params}
                    )
                ]
        yield

    def get_results(self) -> dict[str, Any]:
        if self.requested is None:
            return {}
        return {"cost": {"requested": self.requested, "budget": self.budget}}
