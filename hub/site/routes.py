"""The pages of 信用舞钢, beside ``/graphql``:

    GET /                        home: the search box
    GET /search?q=[&after=]      enterprises by name or 统一社会信用代码 (a full code goes
                                 straight to its page)
    GET /search/suggest?q=       the same search as a small HTML fragment, for typing
    GET /enterprise/{uscc}       an enterprise's public credit information
    GET /disclosure              双公示: recent licences and penalties, filtered and paged
    GET /measures                the joint-punishment measures catalogue
    GET /guide                   how to object (异议) and how to apply for repair (信用修复)
    GET /inspections[/{id}]      双随机一公开: inspection tasks, drawn objects, results
    GET /lists?q=                红黑名单查询 by name or code (hub/site/publicity.py)
    GET /commitments[?q=]        信用承诺: published commitments (hub/site/publicity.py)
    GET /enterprise/{uscc}/graph.svg | ownership.svg | timeline.svg
                                 关联图谱, 股权穿透图, record timeline (hub/diagrams), drawn
                                 for whoever asks (their token or session)
    GET /risk/alerts/{id}.svg    a risk alert's evidence paths, for whom the catalogue allows
    GET /bank[/…], /department[/…] the signed-in pages of banks and departments, run as the
                                 signed-in organisation (hub/site/bank.py, department.py)
    GET /static/site/…           the style sheet and the few lines of script

Every page reads through `PublicGraph` (GraphQL as the public) and works without JavaScript.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from neo4j.exceptions import DriverError, Neo4jError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from authz.identity import PUBLIC, Consumer
from graph.model import MeasureCategory
from hub.diagrams import (
    DiagramFailed,
    DiagramRefused,
    EnterpriseDiagrams,
    enterprise_diagrams,
    render_network_svg,
    render_ownership_svg,
    render_risk_svg,
    render_timeline_svg,
)
from hub.errors import DatabaseUnavailable
from hub.kernel import Kernel, asker
from hub.site.bank import bank_routes
from hub.site.department import department_routes
from hub.site.documents import (
    DEPARTMENTS,
    DISCLOSURE,
    ENTERPRISE,
    ENTERPRISE_KINDS,
    MEASURES,
    PAGE_SIZE,
    SEARCH,
    SUGGESTIONS,
)
from hub.site.forms import DISCLOSED, DisclosureForm, SearchForm, cursor
from hub.site.guide import GuideFacts
from hub.site.inspections import inspection_routes
from hub.site.public_graph import PageError, PublicGraph
from hub.site.publicity import publicity_routes
from hub.site.rendering import HEADERS, render

log = logging.getLogger("credithub.site")

STATIC = Path(__file__).with_name("static")

MIN_SUGGEST_LENGTH = 2
"""Shorter text matches too much to be worth a suggestion (a single 汉字 is not a bigram)."""

MAX_USCC_LENGTH = 40
"""Longer path segments are refused before any query: no code is that long, spaces included."""

ENTERPRISE_SECTIONS = ("licences", "penalties", "commitments", "others")
"""Sections of an enterprise's page paged on their own (a query parameter each)."""

# The SVG routes draw for whoever asks (a department sees names): no shared cache may keep one
# viewer's picture for another.
DRAWN_FOR_ASKER = {**HEADERS, "Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}

Endpoint = Callable[[Request], Awaitable[Response]]


def _html(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _error_page(error: PageError) -> HTMLResponse:
    return _html(
        render("error.html", active="", title=error.title, message=error.message), error.status
    )


def _guarded(endpoint: Endpoint) -> Endpoint:
    """Answer a `PageError` with its page, and an unreachable Neo4j with a 503 page."""

    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except PageError as error:
            return _error_page(error)
        except (DriverError, Neo4jError, OSError) as error:
            log.warning("site page %s: database unavailable (%s)", request.url.path, error)
            return _error_page(PageError(503, "暂时无法查询", str(DatabaseUnavailable())))

    return guarded


DrawSvg = Callable[[Kernel, Consumer, str], Awaitable[str | None]]


def _svg_route(kernel: Kernel, draw: DrawSvg, parameter: str, missing: str) -> Endpoint:
    """An endpoint answering one diagram as ``image/svg+xml``, drawn for whoever asks."""

    async def endpoint(request: Request) -> Response:
        key: str = request.path_params[parameter]
        if len(key) > MAX_USCC_LENGTH * 2:
            raise PageError(400, "查询条件有误", "标识过长")
        try:
            svg = await draw(kernel, asker(request), key)
        except DiagramRefused as refused:
            if refused.code.startswith(("INVALID", "BAD")):
                raise PageError(400, "查询条件有误", "标识有误，请检查后重试。") from None
            raise PageError(403, "无权查看", "按信用信息共享目录，您无权查看此图。") from None
        except DatabaseUnavailable as error:
            raise PageError(503, "暂时无法查询", str(error)) from None
        if svg is None:
            raise PageError(404, "未找到", missing)
        return Response(svg, media_type="image/svg+xml; charset=utf-8", headers=DRAWN_FOR_ASKER)

    return endpoint


async def _pictures(kernel: Kernel, consumer: Consumer, uscc: str) -> EnterpriseDiagrams:
    """The enterprise page's pictures for `consumer`; none when they cannot be drawn now."""
    try:
        return await enterprise_diagrams(kernel, consumer, uscc)
    except (DiagramFailed, DatabaseUnavailable) as error:
        log.warning("enterprise %s: pictures not drawn (%s)", uscc, type(error).__name__)
        return EnterpriseDiagrams(None, None, None)


def _path_with(path: str, params: dict[str, str], fragment: str = "") -> str:
    query = urlencode(params)
    return path + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


def _grouped_measures(measures: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The catalogue by family, in the catalogue's order of families; unknown families last."""
    order = {category.value: index for index, category in enumerate(MeasureCategory)}
    groups: dict[str, list[dict[str, Any]]] = {}
    for measure in measures:
        groups.setdefault(measure["category"], []).append(measure)
    return sorted(groups.items(), key=lambda group: order.get(group[0], len(order)))


def site_routes(kernel: Kernel) -> list[BaseRoute]:
    """The disclosure site's routes on the hub's kernel."""
    graph = PublicGraph(kernel)
    facts = GuideFacts.of(kernel.rules)

    async def home(request: Request) -> Response:
        return _html(render("home.html", active="home", query=""))

    async def search(request: Request) -> Response:
        form = SearchForm.read(request.query_params)
        if form.problem is not None:
            page = render("search.html", active="home", form=form, results=None, next_page=None)
            return _html(page, 400)
        data = await graph.run(
            SEARCH,
            {"query": form.query, "first": PAGE_SIZE, "after": form.after},
            page="/search",
        )
        results = data["searchEnterprises"]
        edges = results["edges"]
        exact = len(edges) == 1 and edges[0]["node"]["uscc"] == form.query.upper()
        if exact and form.after is None:
            # A complete 统一社会信用代码 names one enterprise: go to it.
            return RedirectResponse(
                f"/enterprise/{quote(edges[0]['node']['uscc'])}", 303, headers=HEADERS
            )
        next_page = None
        if results["pageInfo"]["hasNextPage"]:
            next_page = _path_with(
                "/search", {"q": form.query, "after": results["pageInfo"]["endCursor"]}
            )
        page = render("search.html", active="home", form=form, results=results, next_page=next_page)
        return _html(page)

    async def suggest(request: Request) -> Response:
        form = SearchForm.read(request.query_params)
        if form.problem is not None or len(form.query) < MIN_SUGGEST_LENGTH:
            return _html(render("_suggestions.html", form=form, results=None))
        data = await graph.run(
            SEARCH,
            {"query": form.query, "first": SUGGESTIONS, "after": None},
            page="/search/suggest",
        )
        return _html(render("_suggestions.html", form=form, results=data["searchEnterprises"]))

    async def enterprise(request: Request) -> Response:
        uscc: str = request.path_params["uscc"]
        if len(uscc) > MAX_USCC_LENGTH:
            raise PageError(400, "查询条件有误", "统一社会信用代码应为 18 位")
        params = request.query_params
        cursors = {section: cursor(params, section) for section in ENTERPRISE_SECTIONS}
        data = await graph.run(
            ENTERPRISE, {"uscc": uscc, **ENTERPRISE_KINDS, **cursors}, page=f"/enterprise/{uscc}"
        )
        found = data["enterprise"]
        if found is None:
            raise PageError(
                404,
                "未找到该市场主体",
                f"信用信息库中没有统一社会信用代码为 {uscc.strip().upper()} 的市场主体。",
            )
        if found["uscc"] != uscc:
            # One address per enterprise (codes are matched case- and space-insensitively).
            target = _path_with(f"/enterprise/{quote(found['uscc'])}", dict(params))
            return RedirectResponse(target, 301, headers=HEADERS)
        next_pages = {
            section: _path_with(
                request.url.path, {section: found[section]["pageInfo"]["endCursor"]}, section
            )
            for section in ENTERPRISE_SECTIONS
            if found[section]["pageInfo"]["hasNextPage"]
        }
        paged = {section for section, value in cursors.items() if value is not None}
        # The disclosure page is the public's, whoever opens it (test_site): its pictures too.
        # Named pictures are the signed-in areas' (/department/network) and the SVG routes'.
        pictures = await _pictures(kernel, PUBLIC, found["uscc"])
        page = render(
            "enterprise.html",
            active="",
            e=found,
            next_pages=next_pages,
            paged=paged,
            pictures=pictures,
            report_url="/reports/new?" + urlencode({"uscc": found["uscc"]}),
        )
        return _html(page)

    async def disclosure(request: Request) -> Response:
        form = DisclosureForm.read(request.query_params)
        if form.problems:
            data = await graph.run(DEPARTMENTS, {}, page="/disclosure")
            page = render(
                "disclosure.html",
                active="disclosure",
                form=form,
                kinds=DISCLOSED,
                departments=data["departments"],
                department=None,
                records=None,
                next_page=None,
                first_page=None,
            )
            return _html(page, 400)
        data = await graph.run(DISCLOSURE, form.variables(), page="/disclosure")
        records = data["disclosedRecords"]
        next_page = None
        if records["pageInfo"]["hasNextPage"]:
            next_page = _path_with(
                "/disclosure",
                form.query_string(after=records["pageInfo"]["endCursor"]),
                "results",
            )
        departments = data["departments"]
        chosen = next((d for d in departments if d["code"] == form.department), None)
        page = render(
            "disclosure.html",
            active="disclosure",
            form=form,
            kinds=DISCLOSED,
            departments=departments,
            department=chosen,
            records=records,
            next_page=next_page,
            first_page=_path_with("/disclosure", form.query_string(), "results"),
        )
        return _html(page)

    async def measures(request: Request) -> Response:
        data = await graph.run(MEASURES, {}, page="/measures")
        page = render(
            "measures.html",
            active="measures",
            groups=_grouped_measures(data["measures"]),
            total=len(data["measures"]),
        )
        return _html(page)

    async def guide(request: Request) -> Response:
        return _html(render("guide.html", active="guide", facts=facts))

    return [
        Route("/", _guarded(home), methods=["GET"]),
        Route("/search", _guarded(search), methods=["GET"]),
        Route("/search/suggest", _guarded(suggest), methods=["GET"]),
        Route("/enterprise/{uscc}", _guarded(enterprise), methods=["GET"]),
        Route(
            "/enterprise/{uscc}/graph.svg",
            _guarded(_svg_route(kernel, render_network_svg, "uscc", "没有该市场主体。")),
            methods=["GET"],
        ),
        Route(
            "/enterprise/{uscc}/ownership.svg",
            _guarded(_svg_route(kernel, render_ownership_svg, "uscc", "没有可显示的股权结构。")),
            methods=["GET"],
        ),
        Route(
            "/enterprise/{uscc}/timeline.svg",
            _guarded(_svg_route(kernel, render_timeline_svg, "uscc", "没有该市场主体。")),
            methods=["GET"],
        ),
        Route(
            "/risk/alerts/{id}.svg",
            _guarded(_svg_route(kernel, render_risk_svg, "id", "没有该风险预警。")),
            methods=["GET"],
        ),
        Route("/disclosure", _guarded(disclosure), methods=["GET"]),
        Route("/measures", _guarded(measures), methods=["GET"]),
        Route("/guide", _guarded(guide), methods=["GET"]),
        *inspection_routes(graph, _html, _guarded),
        *publicity_routes(graph, _html, _guarded),
        # Signed-in pages: they run as the signed-in organisation, not as the public.
        *bank_routes(kernel),
        *department_routes(kernel),
        Mount("/static/site", app=StaticFiles(directory=STATIC), name="site-static"),
    ]
