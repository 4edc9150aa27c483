"""Guard rails: limits on what one request may ask, one rule per module.

Standard-style validation rules: `max_depth`, `max_aliases`. Non-standard (labelled in their
modules): `cost`, `public_introspection`. The token limit is Strawberry's parser-level
`MaxTokensLimiter`; the body-size limit is the ASGI middleware in `http`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from graphql import ASTValidationRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension

from hub.guards.config import GuardConfig
from hub.guards.cost import max_cost_rule
from hub.guards.max_aliases import max_aliases_rule
from hub.guards.max_depth import max_depth_rule
from hub.guards.public_introspection import PublicIntrospectionOff

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]


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
    ]
    if config.production:
        extensions.append(PublicIntrospectionOff)
    return extensions


__all__ = ["GuardConfig", "guard_extensions"]
