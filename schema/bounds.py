"""Bound the work of validation before it starts, and cache validation.

graphql-core's validation is linear in most of a document but not in all: its rule on overlapping
fields compares every pair of fields sharing a response name in one selection (fragments and
inline fragments merged in), and every pair of fragments spread into one selection; non-repeatable
directives and unknown arguments each produce an error to build. Inside the token limit, 300
repeats of ``household { id address }`` took 1.5 s to validate, 200 fragments 170 ms and 500
directives 25 ms, each request afresh when every variant differs (the cache cannot help). So the
parsed document is counted first, in one walk, and refused over a bound with
``QUERY_TOO_COMPLEX`` (which part, how many, the bound) before any rule runs:

* directives in the document (the web app uses none);
* fragments: definitions, spreads and inline fragments together (the web app: at most 5);
* repeats of one response name in one selection, fragments merged in (the web app: 1);
* variable definitions (the web app: at most 7);
* arguments on one field or directive (the schema's widest field takes 7).

The count and the validation are each cached, keyed by the document (graphql-core compares
documents by their structure, so a variant differing only in a comment is a hit), the bounds, the
schema and the rules. The cost limit (schema/cost.py) prices the document between the two.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from services.errors import ErrorCode
from services.i18n import Language, message


@dataclass(frozen=True)
class DocumentBounds:
    max_directives: int = 50
    max_fragments: int = 50
    max_repeats: int = 10
    max_variables: int = 50
    max_arguments: int = 20


@dataclass(frozen=True)
class Excess:
    """The first bound a document exceeds: which part, how many, the bound."""

    part: str
    count: int
    max: int


class _Count:
    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.directives = self.fragment_nodes = self.variables = 0
        self.arguments = self.repeats = 0
        self.merged: dict[str, Counter[str]] = {}  # a fragment's response names, fragments merged
        self.merging: set[str] = set()

    def document(self, document: DocumentNode) -> None:
        for definition in document.definitions:
            self.directives += len(getattr(definition, "directives", None) or ())
            if isinstance(definition, OperationDefinitionNode):
                variables = definition.variable_definitions or ()
                self.variables += len(variables)
                self.directives += sum(len(v.directives or ()) for v in variables)
            else:
                self.fragment_nodes += 1
            selection_set = getattr(definition, "selection_set", None)
            if selection_set is not None:
                self.nodes(selection_set)

    def nodes(self, selection_set: SelectionSetNode) -> None:
        """Count the directives, fragments and arguments under a selection set, and the repeats
        of each of its selections' own selection sets."""
        pending = [selection_set]
        while pending:
            current = pending.pop()
            self.repeats = max(self.repeats, max(self.names(current).values(), default=0))
            for selection in current.selections:
                directives = selection.directives or ()
                self.directives += len(directives)
                for directive in directives:
                    self.arguments = max(self.arguments, len(directive.arguments or ()))
                if isinstance(selection, FieldNode):
                    self.arguments = max(self.arguments, len(selection.arguments or ()))
                else:
                    self.fragment_nodes += 1
                inner = getattr(selection, "selection_set", None)
                if inner is not None:
                    pending.append(inner)

    def names(self, selection_set: SelectionSetNode) -> Counter[str]:
        """How often each response name occurs in a selection, fragments merged in."""
        names: Counter[str] = Counter()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, InlineFragmentNode):
                names.update(self.names(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                names.update(self.fragment(selection.name.value))
        return names

    def fragment(self, name: str) -> Counter[str]:
        if name not in self.merged:
            definition = self.fragments.get(name)
            if definition is None or name in self.merging:  # unknown or cyclic: validation's
                return Counter()
            self.merging.add(name)
            self.merged[name] = self.names(definition.selection_set)
            self.merging.discard(name)
        return self.merged[name]


def excess(document: DocumentNode, bounds: DocumentBounds) -> Excess | None:
    count = _Count(document)
    count.document(document)
    for part, found, most in (
        ("directives", count.directives, bounds.max_directives),
        ("fragments", count.fragment_nodes, bounds.max_fragments),
        ("repeats", count.repeats, bounds.max_repeats),
        ("variables", count.variables, bounds.max_variables),
        ("arguments", count.arguments, bounds.max_arguments),
    ):
        if found > most:
            return Excess(part, found, most)
    return None


def too_complex(excess: Excess, language: Language) -> GraphQLError:
    """The refusal of a document over a bound: ``QUERY_TOO_COMPLEX``, in the request's language."""
    code = ErrorCode.QUERY_TOO_COMPLEX
    params = {"part": excess.part, "count": excess.count, "max": excess.max}
    return GraphQLError(message(code, language, params), extensions={"code": code.name, **params})


@lru_cache(maxsize=512)
def _excess(document: DocumentNode, bounds: DocumentBounds) -> Excess | None:
    return excess(document, bounds)


@lru_cache(maxsize=512)
def _validated(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    return validate_document(schema, document, rules)


class DocumentGuard(SchemaExtension):
    """Refuse a document over the bounds before it is validated (or priced)."""

    def __init__(self, bounds: DocumentBounds) -> None:
        super().__init__()
        self.bounds = bounds

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            found = _excess(document, self.bounds)
            if found is not None:
                language = getattr(context.context, "language", Language.ZH_CN)
                context.pre_execution_errors = [too_complex(found, language)]
        yield


class CachedValidation(SchemaExtension):
    """Strawberry's ``ValidationCache``, leaving alone a document already refused."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            rules = tuple(context.validation_rules)
            context.pre_execution_errors = _validated(context.schema._schema, document, rules)
        yield
