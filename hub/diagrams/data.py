"""The diagrams' one path to the data: GraphQL documents run by the kernel as the asking consumer.

`Kernel.execute` serves them exactly like ``/graphql`` requests (guards, the sharing catalogue
compiled into the Cypher, withheld values, the audit entry), so a diagram shows what its viewer
may see and nothing else: the public gets de-identified names and no shares, a department the
names its classes hold. Nothing here decides who sees what.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError

from authz.identity import Consumer
from hub.errors import ClientError, DatabaseUnavailable
from hub.kernel import Kernel

log = logging.getLogger("credithub.diagrams")

__all__ = ["DiagramFailed", "DiagramRefused", "fetch", "refusals"]


class DiagramRefused(Exception):
    """The viewer may not have this diagram's data (the catalogue's answer), or asked wrongly;
    the message is the hub's, fit to show."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class DiagramFailed(Exception):
    """The data could not be had for a reason that is not the viewer's (logged)."""


def refusals(errors: list[GraphQLError]) -> list[ClientError]:
    """The errors written for the caller (refusals, bad arguments), in order."""
    return [
        error.original_error
        for error in errors
        if isinstance(error.original_error, ClientError)
        and not isinstance(error.original_error, DatabaseUnavailable)
    ]


async def fetch(
    kernel: Kernel,
    consumer: Consumer,
    document: str,
    variables: Mapping[str, Any],
    *,
    detail: str,
    tolerate: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The data of `document` as `consumer` may see it.

    Errors on the root fields named in `tolerate` that were written for the caller (a refused
    operation) leave those fields null; any other refusal raises `DiagramRefused`, an
    unreachable database `DatabaseUnavailable`, anything else `DiagramFailed`.
    """
    result = await kernel.execute(consumer, document, variables, detail=detail)
    for error in result.errors:
        original = error.original_error
        if isinstance(original, DatabaseUnavailable):
            raise original
        root = error.path[0] if error.path else None
        if isinstance(original, ClientError):
            if root in tolerate:
                continue
            raise DiagramRefused(str(original), original.code)
        log.error("diagram query failed: %s", error.message)
        raise DiagramFailed(error.message)
    return result.data or {}
