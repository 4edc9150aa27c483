"""The public site's lookups beside 双公示, level with 信用中国:

    GET /lists?q=[&after=]        红黑名单查询: is an enterprise (by name or 统一社会信用代码)
                                  on a red or black list now — which, since when, decided by whom
    GET /commitments[?q=&after=]  信用承诺: published commitments, newest first, by keyword

Like every page they read through `PublicGraph` (GraphQL as the public), so the sharing
catalogue's public row rules decide what shows: a list entry while it is listed, a commitment
while it is published.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from hub.site.forms import MAX_KEYWORDS, MAX_QUERY_LENGTH, SearchForm, cursor
from hub.site.public_graph import PublicGraph
from hub.site.publicity_documents import COMMITMENTS, LIST_LOOKUP
from hub.site.rendering import render

Handler = Callable[[Request], Awaitable[Response]]
Html = Callable[[str, int], HTMLResponse]


def _path_with(path: str, params: Mapping[str, str]) -> str:
    query = urlencode({name: value for name, value in params.items() if value})
    return path + (f"?{query}" if query else "")


@dataclass(frozen=True)
class CommitmentsForm:
    """The 信用承诺 listing's keyword and page."""

    keyword: str
    after: str | None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, params: Mapping[str, str]) -> CommitmentsForm:
        """The keyword as sent; `problems` says what is wrong with it, if anything."""
        keyword = " ".join(params.get("q", "").split())
        problems: list[str] = []
        if len(keyword) > MAX_QUERY_LENGTH:
            problems.append(f"关键词过长，请不超过 {MAX_QUERY_LENGTH} 个字符")
        elif len(keyword.split()) > MAX_KEYWORDS:
            problems.append(f"关键词最多 {MAX_KEYWORDS} 个，请用空格分隔")
        return cls(keyword=keyword, after=cursor(params, "after"), problems=problems)


def publicity_routes(
    graph: PublicGraph, html: Html, guarded: Callable[[Handler], Handler]
) -> list[BaseRoute]:
    """The 红黑名单 lookup and the 信用承诺 listing, answered with `html` and `guarded` as the
    site's other pages are (hub/site/routes.py)."""

    async def lists(request: Request) -> Response:
        form = SearchForm.read(request.query_params)
        if not form.query:
            # The page itself, asking for a name: not a mistake.
            return html(render("lists.html", active="lists", form=form, results=None), 200)
        if form.problem is not None:
            page = render("lists.html", active="lists", form=form, results=None)
            return html(page, 400)
        data = await graph.run(
            LIST_LOOKUP, {"query": form.query, "after": form.after}, page="/lists"
        )
        results = data["searchEnterprises"]
        next_page = None
        if results["pageInfo"]["hasNextPage"]:
            next_page = _path_with(
                "/lists", {"q": form.query, "after": results["pageInfo"]["endCursor"]}
            )
        page = render("lists.html", active="lists", form=form, results=results, next_page=next_page)
        return html(page, 200)

    async def commitments(request: Request) -> Response:
        form = CommitmentsForm.read(request.query_params)
        if form.problems:
            page = render(
                "commitments.html",
                active="commitments",
                form=form,
                records=None,
                next_page=None,
                first_page=None,
            )
            return html(page, 400)
        data = await graph.run(
            COMMITMENTS,
            {"keyword": form.keyword or None, "after": form.after},
            page="/commitments",
        )
        records = data["publishedCommitments"]
        next_page = None
        if records["pageInfo"]["hasNextPage"]:
            next_page = _path_with(
                "/commitments", {"q": form.keyword, "after": records["pageInfo"]["endCursor"]}
            )
        page = render(
            "commitments.html",
            active="commitments",
            form=form,
            records=records,
            next_page=next_page,
            first_page=_path_with("/commitments", {"q": form.keyword}),
        )
        return html(page, 200)

    return [
        Route("/lists", guarded(lists), methods=["GET"]),
        Route("/commitments", guarded(commitments), methods=["GET"]),
    ]
