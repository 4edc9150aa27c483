"""Guard rails: limits on what one request may ask, one rule per module.

Validation rules in graphql-core's style (a class per module, its docstring saying what and
why): `max_depth.MaxDepthRule`, `max_aliases.MaxAliasesRule`; non-standard, and labelled so:
`cost.MaxCostRule` and `public_introspection.NoIntrospectionRule`. Not validation rules:
`max_tokens.TokenLimit` (a parser option), `validation.GuardedValidation` (runs the rules, cached,
with the public's production extras), `suggestions.HidePublicSuggestions`, and
`http.RequestLimits` (body size, batches and malformed JSON, before GraphQL sees the request)
and `rate_limit.RateLimits` (429 with Retry-After per organisation and public address);
`cross_site.CrossSiteRequests` (multipart only with a preflight header, cookies dropped without
it) and `strict_json.decode_request_json` (duplicate JSON members and lone surrogates refused);
`streams.StreamLimitsMiddleware` (open subscription streams per organisation and address),
`url_size.UrlLimits` (a GET's query string held to the body limit) and
`connections.GuardedHttpToolsProtocol` (the server protocol `credithub serve` runs: deadlines
for a request's headers and body, a limit on its line and headers, open connections per
address).

Reused from Strawberry: `MaxTokensLimiter` (subclassed for a code), `AddValidationRules`,
`ParserCache`. Not reused: `QueryDepthLimiter` and `MaxAliasesLimiter` (their errors name
neither what was found nor a code), `DisableIntrospection` (all or nothing, not per caller),
`ValidationCache` (cannot vary the rules by caller) and `StrawberryConfig.
disable_field_suggestions` (hides field suggestions only, and from everyone).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from graphql import ASTValidationRule
from strawberry.extensions import AddValidationRules, ParserCache, SchemaExtension

from hub.guards.config import GuardConfig
from hub.guards.cost import MaxCostRule
from hub.guards.max_aliases import MaxAliasesRule
from hub.guards.max_depth import MaxDepthRule
from hub.guards.max_tokens import TokenLimit
from hub.guards.suggestions import HidePublicSuggestions
from hub.guards.validation import CACHED_DOCUMENTS, GuardedValidation

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]
"""What `strawberry.Schema(extensions=…)` takes: factories, so each request gets instances."""


def guard_extensions(config: GuardConfig) -> list[Extension]:
    """The Strawberry extensions enforcing `config`, in the order they must run."""
    rules: list[type[ASTValidationRule]] = [
        MaxDepthRule.with_limit(config.max_depth),
        MaxAliasesRule.with_limit(config.max_aliases),
        MaxCostRule.with_limit(config.max_cost),
    ]
    extensions: list[Extension] = [
        partial(TokenLimit, max_token_count=config.max_tokens),
        # Banks and sites send the same documents with new variables: parse each once.
        partial(ParserCache, maxsize=CACHED_DOCUMENTS),
        partial(AddValidationRules, rules),
        partial(GuardedValidation, production=config.production),
    ]
    if config.production:
        extensions.append(HidePublicSuggestions)
    return extensions


__all__ = ["GuardConfig", "guard_extensions"]
