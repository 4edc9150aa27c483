"""Validation of every request: rules cached per document, plus the public's production rules."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from hub.guards.public import is_public
from hub.guards.public_introspection import NoIntrospectionRule
from hub.guards.subscription_transport import StreamingSubscriptionRule
from hub.identity_lru import MISSING, IdentityLru

CACHED_DOCUMENTS = 512
"""Distinct (document, rule set) results kept; bounded so unique documents cannot grow memory."""

STRAWBERRY_RULES: tuple[type[ASTValidationRule], ...] = (
    MaybeNullValidationRule,
    OneOfInputValidationRule,
)
"""Rules Strawberry adds to every validation (strawberry.schema.schema.validate_document)."""


_VALIDATED: IdentityLru[tuple[GraphQLError, ...]] = IdentityLru(CACHED_DOCUMENTS)
"""Per (schema, document) and (rule set, suggestions hidden): the validation errors."""


def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> tuple[GraphQLError, ...]:
    # By identity: a document's own hash walks its whole tree, ~1 % of a public search.
    errors = _VALIDATED.get((schema, document), (rules, hide_suggestions))
    if errors is MISSING:
        errors = tuple(
            validate(
                schema, document, (*rules, *STRAWBERRY_RULES), hide_suggestions=hide_suggestions
            )
        )
        _VALIDATED.put((schema, document), errors, (rules, hide_suggestions))
    return errors


class GuardedValidation(SchemaExtension):
    """Validates each request, in place of Strawberry's own validation step.

    Banks and sites send the same documents again and again with new variables, so results
    are cached per (schema, document, rule set, suggestions) — the guard rules run once per
    distinct document, and a cached result can never skip a rule that applies to this caller.
    Strawberry's `ValidationCache` does the same caching but cannot vary what is validated by
    who asks: in production the public's requests also get `NoIntrospectionRule`, and
    graphql-core's `hide_suggestions`, so no "Did you mean …" names a field, argument, type or
    enum value near the caller's guess.
    """

    def __init__(self, *, production: bool) -> None:
        self.production = production

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            rules = context.validation_rules  # graphql-core's, plus AddValidationRules'
            public = self.production and is_public(context.context)
            if public:
                rules = (*rules, NoIntrospectionRule)
            if not getattr(context.context, "streaming", False):
                rules = (*rules, StreamingSubscriptionRule)
            errors = _validate(context.schema._schema, context.graphql_document, rules, public)
            # A list of its own: the cached tuple is shared by every request with this document.
            context.pre_execution_errors = list(errors)
        yield
