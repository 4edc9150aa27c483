"""Errors a client may see. Each says what was wrong and what to do, and carries a code.

Anything else raised while answering a request is masked (see hub/api/schema.py): no stack
trace, Cypher or data ever reaches a client through an error message.
"""

from __future__ import annotations

from typing import ClassVar, Final

PARSE_FAILED: Final = "GRAPHQL_PARSE_FAILED"
"""The document is not GraphQL (a syntax error)."""
VALIDATION_FAILED: Final = "GRAPHQL_VALIDATION_FAILED"
"""The document does not fit the schema (an unknown field, a missing argument …)."""
BAD_USER_INPUT: Final = "BAD_USER_INPUT"
"""A variable's value does not fit its type, or a required variable is missing."""
INVALID_CURSOR: Final = "INVALID_CURSOR"
"""An `after` cursor this API did not hand out."""
INTERNAL_ERROR: Final = "INTERNAL_ERROR"
"""Something went wrong in the hub; the message says no more (see hub/api/schema.py)."""

DUPLICATE_KEY: Final = "DUPLICATE_KEY"
"""A JSON object in the request names a member twice (``"query"`` …): which one counts is not
the client's to leave to the parser (hub/guards/strict_json.py)."""
INVALID_UNICODE: Final = "INVALID_UNICODE"
"""The request's JSON holds a lone UTF-16 surrogate (``"\\ud800"``): not a character, so it
cannot be stored, searched or logged (hub/guards/strict_json.py)."""
PREFLIGHT_REQUIRED: Final = "PREFLIGHT_REQUIRED"
"""A multipart request without the header that a cross-site form cannot send
(hub/guards/cross_site.py)."""
UPLOAD_REQUIRED: Final = "UPLOAD_REQUIRED"
"""A multipart request that uploads no file: operations without files are sent as JSON."""

ERROR_LABELS: Final = {
    PARSE_FAILED: "查询语法错误",
    VALIDATION_FAILED: "查询不符合接口定义",
    BAD_USER_INPUT: "变量值无效",
    INVALID_CURSOR: "分页游标无效",
    INTERNAL_ERROR: "内部错误",
}
"""The Chinese words put before graphql-core's English message for each code it has none for."""


class ClientError(Exception):
    """An error whose message is safe and useful to show to the caller."""

    code: ClassVar[str] = "BAD_REQUEST"


class InvalidArgument(ClientError):
    """An argument's value cannot be used."""

    code = "INVALID_ARGUMENT"

    def __init__(self, argument: str, reason: str) -> None:
        super().__init__(f"Argument `{argument}`: {reason}")
        self.argument = argument


class InvalidUscc(InvalidArgument):
    """A 统一社会信用代码 argument that no entity could have."""

    def __init__(self, argument: str, problems: list[str]) -> None:
        super().__init__(
            argument, "不是有效的统一社会信用代码 (not a valid USCC): " + "; ".join(problems)
        )


class InvalidIdNumber(InvalidArgument):
    """A resident ID argument that fails GB 11643; the number itself is never echoed."""

    def __init__(self, argument: str, problems: list[str]) -> None:
        super().__init__(
            argument, "不是有效的公民身份号码 (not a valid resident ID): " + "; ".join(problems)
        )


class Forbidden(ClientError):
    """The consumer's kind may not do this at all."""

    code = "FORBIDDEN"


class DatabaseUnavailable(ClientError):
    """Neo4j cannot be reached right now; the hub recovers by itself when it is back."""

    code = "DATABASE_UNAVAILABLE"

    def __init__(self) -> None:
        super().__init__(
            "信用信息库暂时不可用 (the credit database is temporarily unavailable); "
            "please retry shortly."
        )
