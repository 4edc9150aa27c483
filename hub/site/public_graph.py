"""The site's one path to the data: GraphQL documents run by the hub's schema as the public.

Each call runs the document through the hub's kernel (`Kernel.execute`: a fresh request context
for `PUBLIC` — whatever token the browser may have sent — and the schema that serves
``/graphql``), with all its
extensions: the guards, error masking, the sharing catalogue compiled into the Cypher, and the
audit trail (each page view is one entry, its detail naming the page). Errors come back as
`PageError`s with the HTTP status a page should answer with and a message fit to show.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

from authz.identity import PUBLIC
from hub.errors import ClientError, DatabaseUnavailable
from hub.kernel import Kernel
from hub.projection import InvalidCursor

log = logging.getLogger("credithub.site")


class PageError(Exception):
    """A page cannot be shown as asked: its status, a heading and a message for the reader."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def _page_error(errors: list[GraphQLError]) -> PageError:
    original = errors[0].original_error
    if isinstance(original, DatabaseUnavailable):
        return PageError(503, "暂时无法查询", public_message(str(original)))
    if isinstance(original, InvalidCursor):
        return PageError(400, "翻页链接已失效", "这个翻页链接已失效，请从第一页重新查询。")
    if isinstance(original, ClientError):
        # Written for the caller: an invalid code, a bad date range. A page shows its Chinese
        # part only — not the API's argument names nor the English gloss.
        return PageError(400, "查询条件有误", public_message(str(original)))
    log.error("site query failed: %s", errors[0].message)
    return PageError(500, "内部错误", "页面暂时无法显示，请稍后再试。")


_ARGUMENT = re.compile(r"^Argument `[^`]*`:\s*")
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_GLOSS = re.compile(r"\s*\((?=[^()]*[A-Za-z]{3})[^()]*\)")


def public_message(message: str) -> str:
    """An API error message as a public page shows it: without the ``Argument `x`:`` prefix
    and the parenthesised English glosses (``校验码错误 (check character …)`` → ``校验码错误``)."""
    text = _GLOSS.sub("", _ARGUMENT.sub("", message)).strip()
    if not _CHINESE.search(text):
        return "查询条件有误，请检查后重试。"
    return text


@dataclass(frozen=True)
class PublicGraph:
    """Runs the site's documents on the hub's schema, as the public."""

    kernel: Kernel

    async def run(
        self, document: str, variables: Mapping[str, Any], *, page: str
    ) -> dict[str, Any]:
        """The data of `document` as the public sees it; `PageError` when it cannot be had.

        `page` (the path shown) becomes the detail of the request's audit entry.
        """
        result = await self.kernel.execute(PUBLIC, document, variables, detail=f"信用舞钢 {page}")
        if result.errors:
            raise _page_error(result.errors)
        assert result.data is not None
        return result.data
