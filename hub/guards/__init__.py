"""Guard rails: limits on what one request may ask, one rule per module.

Standard-style validation rules: `max_depth`, `max_aliases`. Non-standard (labelled in their
modules): `cost`, `public_introspection`. The token limit is Strawberry's parser-level
`MaxTokensLimiter`; the body-size limit is the ASGI middleware in `http`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from graphql import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)

from hub.guards.config import GuardConfig
from hub.guards.cost import max_cost_rule
from hub.guards.max_aliases import max_aliases_rule
from hub.guards.max_depth import max_depth_rule
from hub.guards.public_introspection import PublicIntrospectionOff

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]
CACHED_DOCUMENTS = 512


def guard_extensions(config: GuardConfig) -> list[Extension]:
    """The Strawberry extensions enforcing `config` (factories: one instance per request)."""
    rules: list[type[ASTValidationRule]] = [
        max_depth_rule(config.max_depth),
        max_aliases_rule(config.max_aliases),
        max_cost_rule(config.max_cost),
    ]
    extensions: list[Extension] = [
        partial(MaxTokensLimiter, max_token_count=config.max_tokens),
        partial(AddValidationRules, rules),
        # Banks and sites send the same documents with new variables: parse and validate
        # (guard rules included) once per distinct document. Keyed by the rule set too, so
        # the public's extra introspection rule is never skipped by a cached result.
        partial(ParserCache, maxsize=CACHED_DOCUMENTS),
        partial(ValidationCache, maxsize=CACHED_DOCUMENTS),
    ]
    if config.production:
        extensions.append(PublicIntrospectionOff)
    return extensions


__all__ = ["GuardConfig", "guard_extensions"]
