"""Parser limit: a document may hold at most the limit of lexical tokens."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaxTokensLimiter


class TokenLimit(MaxTokensLimiter):
    """Stops parsing after `max_token_count` tokens (TOO_MANY_TOKENS).

    Not a validation rule: the point is to stop before a huge document is parsed at all, so
    this is graphql-core's parser option `max_tokens`, set by Strawberry's `MaxTokensLimiter`
    (it counts comments too, so padding a document with comments does not get around it).
    This subclass only gives the parser's syntax error a code and the hub's wording. The error
    reaches the operation hook in one of two ways: raised through it when `ParserCache` parses
    (the cache parses while its hook is being entered, before Strawberry's own error handling),
    or as the operation's result when Strawberry parses.
    """

    def on_operation(self) -> Iterator[None]:
        try:
            yield from super().on_operation()
        except GraphQLSyntaxError as error:
            self._label(error)
            raise
        for reported in getattr(self.execution_context.result, "errors", None) or ():
            self._label(reported)

    def _label(self, error: GraphQLError) -> None:
        # The parser's own words; the limit in them tells this error from other syntax errors.
        limit = self.max_token_count
        if isinstance(error, GraphQLSyntaxError) and f"more than {limit} tokens" in error.message:
            error.message = (
                f"查询过长 (the document has more than {limit} tokens; the limit is {limit})"
            )
            error.extensions = {**(error.extensions or {}), "code": "TOO_MANY_TOKENS"}
