"""双随机一公开 on the disclosure site: the inspection tasks, and each task's drawn enterprises,
inspectors and results.

    GET /inspections[?year=&offset=]     tasks, newest first
    GET /inspections/{id}[?offset=]      one task: scope, period, ratios, objects and results

Like every page they read through `PublicGraph`, as the public: the documents below ask only
for fields the public is served, so a drawn enterprise's grade or stratum cannot reach a page
(the schema has no such field, and the draw's per-grade counts and seed are withheld from the
public). A result is shown while its INSPECTION record is public.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.site.public_graph import PageError, PublicGraph
from hub.site.rendering import render

PAGE_SIZE: Final = 20
OBJECTS_PAGE: Final = 50
MAX_ID_LENGTH: Final = 40

TASKS: Final = """
query SiteInspections($year: Int, $offset: Int!) {
  inspectionTasks(year: $year, first: 20, offset: $offset) {
    totalCount
    tasks { id title departmentName sectorLabel periodStart periodEnd statusLabel
            drawnOn objectCount resultCount }
  }
}
"""

TASK: Final = """
query SiteInspection($id: ID!, $offset: Int!) {
  inspectionTask(id: $id) {
    id title department departmentName sectorLabel periodStart periodEnd year statusLabel
    createdOn drawnOn objectCount resultCount inspectorsPerObject
    ratios { grade label ratio }
    objects(first: 50, offset: $offset) {
      position uscc name
      inspectors { nameMasked certificateNumber }
      outcome outcomeLabel findings inspectedOn
    }
  }
}
"""

Handler = Callable[[Request], Awaitable[Response]]


_LABELS = {"year": "年度", "offset": "起始位置"}
"""What the reader calls the query parameters (a public page names no internal argument)."""


def _number(request: Request, name: str, *, low: int, high: int) -> int | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        label = _LABELS.get(name, "查询条件")
        raise PageError(400, "查询条件有误", f"{label}应为 {low} 至 {high} 之间的整数")
    return int(raw)


def inspection_routes(
    graph: PublicGraph,
    html: Callable[[str], Response],
    guarded: Callable[[Handler], Handler],
) -> list[Route]:
    """The two pages, answered through `html` (the site's headers) and `guarded`."""

    async def listing(request: Request) -> Response:
        year = _number(request, "year", low=2000, high=2100)
        offset = _number(request, "offset", low=0, high=1_000_000) or 0
        data = await graph.run(TASKS, {"year": year, "offset": offset}, page="/inspections")
        found = data["inspectionTasks"]
        more = offset + PAGE_SIZE < found["totalCount"]
        params = {"year": str(year)} if year else {}
        next_page = (
            "/inspections?" + urlencode({**params, "offset": str(offset + PAGE_SIZE)})
            if more
            else None
        )
        return html(
            render(
                "inspections.html",
                active="inspections",
                year=year,
                page=found,
                next_page=next_page,
            )
        )

    async def task(request: Request) -> Response:
        task_id: str = request.path_params["task_id"]
        if len(task_id) > MAX_ID_LENGTH:
            raise PageError(400, "查询条件有误", "抽查任务编号有误")
        offset = _number(request, "offset", low=0, high=1_000_000) or 0
        data = await graph.run(
            TASK, {"id": task_id, "offset": offset}, page=f"/inspections/{task_id}"
        )
        found = data["inspectionTask"]
        if found is None:
            raise PageError(404, "未找到该抽查任务", f"没有编号为 {task_id} 的双随机抽查任务。")
        more = offset + OBJECTS_PAGE < found["objectCount"]
        return html(
            render(
                "inspection.html",
                active="inspections",
                t=found,
                offset=offset,
                next_page=f"?offset={offset + OBJECTS_PAGE}#objects" if more else None,
            )
        )

    return [
        Route("/inspections", guarded(listing), methods=["GET"]),
        Route("/inspections/{task_id}", guarded(task), methods=["GET"]),
    ]
