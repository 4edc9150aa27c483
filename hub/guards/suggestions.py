"""Production: no "Did you mean …" suggestions for the public, at execution either."""

from __future__ import annotations

import re
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from hub.guards.public import is_public

SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
"""graphql-core's suggestion sentence (graphql.pyutils.did_you_mean); names contain no '?'."""


class HidePublicSuggestions(SchemaExtension):
    """Removes "Did you mean …" from the public's errors raised while executing.

    Why: suggestions spell out the names nearest a caller's guess, which maps the schema for
    a caller that may not introspect it. Validation already runs without them for the public
    (graphql-core's `hide_suggestions`, see validation.py); graphql-core's executor has the
    same option but Strawberry does not pass it, so errors from coercing variables (a misspelt
    enum value in `variables`, say) are cleaned here. Installed in production only.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        if not is_public(self.execution_context.context):
            return
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            error.message = SUGGESTION.sub("", error.message)
