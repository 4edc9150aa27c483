"""A department's signed-in pages (政府部门服务): feeds and quarantine, objections and repairs
due, its 红黑名单 decisions, and the 关联图谱 with the names its classes hold.

    GET /department                     overview: what is due, the latest batches
    GET /department/feeds               the batches it supplied (信息报送), with refused rows
    POST /department/feeds              send a file (CSV, XLSX, JSONL; 信息类别 or recognised)
    GET /department/feeds/{batch}       one batch's quarantine: row, field, reason, the cells;
                                        the CSV for Excel is /feeds/{batch}/quarantine.csv
    GET /department/due                 objections and repair applications it decides, by
                                        deadline; rectification orders past their deadline
    POST /department/due/objections/{id}  decide an objection (outcome, reason[, supplement])
    POST /department/due/repairs/{id}     approve or refuse a repair application (reason)
    GET /department/lists[?after=]      the 红黑名单 entries it decided (认定), newest first
    GET /department/lists?q=            an enterprise's 红黑名单 entries, its own decisions marked
    GET /department/network?q=          关联图谱 of an enterprise: the SVG (hub/diagrams) and the
                                        related enterprises with the persons linking them

Every page runs GraphQL as the signed-in department (hub/site/signed_in.py); the area is open to
whoever the catalogue lets decide objections for its own organisation
(``operations.decideObjection``). Which batches, objections and names appear is the API's and
the catalogue's answer for that organisation: another department's never do.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote, urlencode

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from graph.identifiers import validate_uscc
from graph.model import ObjectionOutcome, ObjectionStatus, RepairStatus
from hub.diagrams.data import DiagramFailed, DiagramRefused
from hub.diagrams.network import render_network_svg
from hub.diagrams.ownership import render_ownership_svg
from hub.kernel import Kernel
from hub.site.forms import MAX_QUERY_LENGTH
from hub.site.public_graph import PageError
from hub.site.signed_in import (
    Area,
    Page,
    enterprise_names,
    form_text,
    see_other,
    shown_message,
    signed_in,
    verified_form,
)
from loaders.feed_kinds import FEED_KINDS

DEPARTMENT = Area(title="政府部门服务", operation="decideObjection", audience="政府部门")
"""The department's pages: for whoever may decide objections for its own organisation."""

BATCHES_SHOWN = 100
"""Batches listed on the feeds page, newest first."""

QUARANTINE_SHOWN = 200
"""Refused rows shown on a batch's page (all of them are in the CSV)."""

HOME = """
query DepartmentHome {
  feedBatches(first: 5) {
    id kindLabel fileName status lastLoadedAt rowsRead new newVersions unchanged quarantined
  }
  objections(status: PENDING) { id dueBy overdue decider }
  repairApplications(status: PENDING) { id dueBy decider }
  overdueRectifications { id }
}
"""

FEEDS = """
query DepartmentFeeds($first: Int!) {
  feedBatches(first: $first) {
    id kind kindLabel supplier supplierName fileName status firstLoadedAt lastLoadedAt rowsRead
    new newVersions unchanged quarantined quarantinedByReason { code rows }
  }
}
"""

SUBMIT_FILE = """
mutation DepartmentSubmit($kind: String, $file: Upload!, $name: String!) {
  submitFeed(kind: $kind, file: $file, fileName: $name) { batch { id } }
}
"""

FEED_KIND_LABELS = {code: kind.label for code, kind in FEED_KINDS.items()}
"""The feed kinds a file may be declared as (信息类别); none: recognised from its headers."""

QUARANTINE = """
query DepartmentQuarantine($batch: String!, $first: Int!) {
  quarantine(batchId: $batch, first: $first) {
    rowNumber problems { field fieldLabel code reason } cells
  }
}
"""

DUE = """
query DepartmentDue {
  objections(first: 200) {
    id status grounds statement evidence subject filedBy filedOn dueBy dueByProvisional
    needsVerification overdue recordKey listEntryId decider outcome decidedOn decidedLate
  }
  repairApplications(first: 200) {
    id status subject recordKey listEntryId appliedOn dueBy dueByProvisional decider
    decidedOn decidedLate proof
  }
  overdueRectifications {
    id statusLabel deadline requirement subject subjectName findingTitle orderedOn
  }
}
"""

DECIDE_OBJECTION = """
mutation DepartmentDecideObjection($id: ID!, $outcome: ObjectionOutcome!, $reason: String!,
                                   $supplement: String) {
  decideObjection(id: $id, outcome: $outcome, reason: $reason, supplement: $supplement) { id }
}
"""

DECIDE_REPAIR = """
mutation DepartmentDecideRepair($id: ID!, $approve: Boolean!, $reason: String!) {
  decideRepair(id: $id, approve: $approve, reason: $reason) { id }
}
"""

DECIDABLE_OUTCOMES = {
    outcome.value: outcome.label
    for outcome in ObjectionOutcome
    if outcome is not ObjectionOutcome.CORRECT
}
"""The outcomes the page's form offers; 更正 (CORRECT) names corrected field values, which the
API takes (`decideObjection(corrections:)`) and this form does not."""

LISTS = """
query DepartmentLists($uscc: String!) {
  enterprise(uscc: $uscc) {
    uscc name blackListed redListed
    listEntries(first: 20) {
      totalCount
      edges { node {
        id listType listName basis decisionNumber decisionDate effectiveFrom effectiveUntil
        removalConditions status removedOn underObjection decidedBy { code name }
        linkedPersons { role person { name nameMasked } }
        sanctions { status startsOn endsOn measure { name } }
      } }
    }
  }
}
"""

DECIDED = """
query DepartmentDecided($after: String) {
  decidedListEntries(first: 20, after: $after) {
    totalCount
    edges { node {
      id listType listName basis decisionNumber decisionDate effectiveFrom effectiveUntil
      removalConditions status removedOn underObjection decidedBy { code name }
      subjectEnterprise { uscc name }
      subjectPerson { name nameMasked }
      linkedPersons { role person { name nameMasked } }
      sanctions { status startsOn endsOn measure { name } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

NETWORK = """
query DepartmentNetwork($uscc: String!) {
  enterprise(uscc: $uscc) {
    uscc name blackListed redListed banned
    people { role title share person { key name nameMasked } }
  }
  relatedEnterprises(uscc: $uscc, maxHops: 2, first: 50) {
    distance relations
    via { key name nameMasked }
    enterprise { uscc name status blackListed redListed banned }
  }
}
"""

SEARCH = """
query DepartmentSearch($query: String!) {
  searchEnterprises(query: $query, first: 20) {
    totalCount edges { node { uscc name status blackListed redListed } }
  }
}
"""


def _by_deadline(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: (item["dueBy"], item["id"]))


def _mine(items: list[dict[str, Any]], code: str | None) -> list[dict[str, Any]]:
    """The items this organisation decides (处理单位 / 审核单位)."""
    return [item for item in items if item["decider"] == code]


def _enterprise_query(page: Page) -> tuple[str, str | None]:
    """The page's ``q``: (as typed, the 统一社会信用代码 it is — None when it is not one)."""
    query = " ".join(page.request.query_params.get("q", "").split())
    if len(query) > MAX_QUERY_LENGTH:
        raise PageError(400, "查询条件有误", f"查询内容过长，请不超过 {MAX_QUERY_LENGTH} 个字符")
    code = query.upper()
    return query, (code if query and not validate_uscc(code) else None)


# The 证明材料 of what is pending, asked apart: with them the due query would pass the request
# cost limit (hub/guards/cost.py counts each list as ten items).
DUE_OBJECTION_FILES = """
query DueObjectionFiles {
  objections(status: PENDING, first: 200) { id attachments { fileName size url } }
}
"""

DUE_REPAIR_FILES = """
query DueRepairFiles {
  repairApplications(status: PENDING, first: 200) { id attachments { fileName size url } }
}
"""


def _with_files(items: list[dict[str, Any]], found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    files = {item["id"]: item["attachments"] for item in found}
    return [{**item, "attachments": files.get(item["id"], [])} for item in items]


def department_routes(kernel: Kernel) -> list[BaseRoute]:
    """The department's pages on the hub's kernel."""

    async def home(page: Page) -> Response:
        data = await page.run(HOME)
        code = page.consumer.org_code
        objections = _by_deadline(_mine(data["objections"], code))
        repairs = _by_deadline(_mine(data["repairApplications"], code))
        return page.render(
            "department_home.html",
            section="home",
            batches=data["feedBatches"],
            objections=objections,
            repairs=repairs,
            overdue_objections=sum(1 for o in objections if o["overdue"]),
            overdue_rectifications=len(data["overdueRectifications"]),
        )

    async def feeds(page: Page, problem: str | None = None, status: int = 200) -> Response:
        data = await page.run(FEEDS, {"first": BATCHES_SHOWN})
        response = page.render(
            "department_feeds.html",
            section="feeds",
            batches=data["feedBatches"],
            kinds=FEED_KIND_LABELS,
            problem=problem,
        )
        response.status_code = status
        return response

    async def submit(page: Page) -> Response:
        form = await verified_form(page)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await feeds(page, problem="请选择要报送的文件（CSV、XLSX 或 JSONL）", status=400)
        kind = form_text(form, "kind", max_length=40)
        try:
            submitted = await page.run_change(
                SUBMIT_FILE,
                {
                    "kind": kind if kind in FEED_KIND_LABELS else None,
                    "file": upload,
                    "name": upload.filename,
                },
            )
        finally:
            await upload.close()
        if isinstance(submitted, str):
            return await feeds(page, problem=submitted, status=400)
        batch_id = submitted["submitFeed"]["batch"]["id"]
        return see_other(f"/department/feeds/{quote(batch_id)}")

    async def batch(page: Page) -> Response:
        batch_id: str = page.request.path_params["batch"]
        data = await page.run(QUARANTINE, {"batch": batch_id, "first": QUARANTINE_SHOWN})
        listed = await page.run(FEEDS, {"first": BATCHES_SHOWN})
        # The batch's figures, when it is among the latest (the quarantine is there anyway).
        summary = next((b for b in listed["feedBatches"] if b["id"] == batch_id), None)
        return page.render(
            "department_batch.html",
            section="feeds",
            batch_id=batch_id,
            summary=summary,
            rows=data["quarantine"],
            shown=QUARANTINE_SHOWN,
        )

    async def due(page: Page, problem: str | None = None, status: int = 200) -> Response:
        data = await page.run(DUE)
        code = page.consumer.org_code
        objections = _mine(data["objections"], code)
        repairs = _mine(data["repairApplications"], code)
        pending = ObjectionStatus.PENDING.value
        pending_objections = _by_deadline([o for o in objections if o["status"] == pending])
        pending_repairs = _by_deadline(
            [r for r in repairs if r["status"] == RepairStatus.PENDING.value]
        )
        if pending_objections:
            found = (await page.run(DUE_OBJECTION_FILES))["objections"]
            pending_objections = _with_files(pending_objections, found)
        if pending_repairs:
            found = (await page.run(DUE_REPAIR_FILES))["repairApplications"]
            pending_repairs = _with_files(pending_repairs, found)
        subjects = [o["subject"] for o in objections] + [r["subject"] for r in repairs]
        names = await enterprise_names(page, [s for s in subjects if not validate_uscc(s)])
        response = page.render(
            "department_due.html",
            section="due",
            problem=problem,
            outcomes=DECIDABLE_OUTCOMES,
            pending_objections=pending_objections,
            decided_objections=[o for o in objections if o["status"] != pending],
            pending_repairs=pending_repairs,
            decided_repairs=[r for r in repairs if r["status"] != RepairStatus.PENDING.value],
            rectifications=data["overdueRectifications"],
            names=names,
            today=kernel.clock().isoformat(),
        )
        response.status_code = status
        return response

    async def decide_objection(page: Page) -> Response:
        form = await verified_form(page)
        outcome = form_text(form, "outcome", max_length=40)
        variables = {
            "id": page.request.path_params["id"],
            "outcome": outcome if outcome in DECIDABLE_OUTCOMES else "",
            "reason": form_text(form, "reason"),
            "supplement": form_text(form, "supplement") or None,
        }
        if not variables["outcome"]:
            return await due(page, problem="请选择处理结果", status=400)
        refused = await page.change(DECIDE_OBJECTION, variables)
        if refused is not None:
            return await due(page, problem=refused, status=400)
        return see_other("/department/due")

    async def decide_repair(page: Page) -> Response:
        form = await verified_form(page)
        decision = form_text(form, "decision", max_length=10)
        if decision not in ("approve", "refuse"):
            return await due(page, problem="请选择同意修复或不予修复", status=400)
        refused = await page.change(
            DECIDE_REPAIR,
            {
                "id": page.request.path_params["id"],
                "approve": decision == "approve",
                "reason": form_text(form, "reason"),
            },
        )
        if refused is not None:
            return await due(page, problem=refused, status=400)
        return see_other("/department/due")

    async def lists(page: Page) -> Response:
        query, uscc = _enterprise_query(page)
        values: dict[str, Any] = {
            "section": "lists",
            "query": query,
            "e": None,
            "results": None,
            "decided": None,
            "next_page": None,
            "paged": False,
        }
        if not query:
            after = page.request.query_params.get("after") or None
            decided = (await page.run(DECIDED, {"after": after}))["decidedListEntries"]
            values.update(decided=decided, paged=after is not None)
            if decided["pageInfo"]["hasNextPage"]:
                cursor = decided["pageInfo"]["endCursor"]
                values["next_page"] = "/department/lists?" + urlencode({"after": cursor})
        elif uscc is not None:
            data = await page.run(LISTS, {"uscc": uscc})
            if data["enterprise"] is None:
                raise PageError(404, "未找到该市场主体", f"信用信息库中没有 {uscc}。")
            values["e"] = data["enterprise"]
        elif query:
            values["results"] = (await page.run(SEARCH, {"query": query}))["searchEnterprises"]
        return page.render("department_lists.html", **values)

    async def network(page: Page) -> Response:
        query, uscc = _enterprise_query(page)
        values: dict[str, Any] = {
            "section": "network",
            "query": query,
            "e": None,
            "related": [],
            "results": None,
            "svg": None,
            "diagram_problem": None,
            "names_shown": False,
            "ownership_svg": None,
        }
        if uscc is not None:
            data = await page.run(NETWORK, {"uscc": uscc})
            if data["enterprise"] is None:
                raise PageError(404, "未找到该市场主体", f"信用信息库中没有 {uscc}。")
            values["e"] = data["enterprise"]
            values["related"] = data["relatedEnterprises"]
            persons = [role["person"] for role in data["enterprise"]["people"]] + [
                person for link in data["relatedEnterprises"] for person in link["via"]
            ]
            values["names_shown"] = any(person["name"] for person in persons)
            try:
                values["svg"] = await render_network_svg(kernel, page.consumer, uscc)
            except DiagramRefused as error:
                values["diagram_problem"] = shown_message(str(error))
            except DiagramFailed:
                values["diagram_problem"] = "关联图谱暂时无法绘制，请稍后再试。"
            with contextlib.suppress(DiagramRefused, DiagramFailed):
                # Where the catalogue allows penetration; otherwise the section is left out.
                values["ownership_svg"] = await render_ownership_svg(kernel, page.consumer, uscc)
        elif query:
            values["results"] = (await page.run(SEARCH, {"query": query}))["searchEnterprises"]
        return page.render("department_network.html", **values)

    return [
        Route("/department", signed_in(kernel, DEPARTMENT, home), methods=["GET"]),
        Route("/department/feeds", signed_in(kernel, DEPARTMENT, feeds), methods=["GET"]),
        Route("/department/feeds", signed_in(kernel, DEPARTMENT, submit), methods=["POST"]),
        Route("/department/feeds/{batch}", signed_in(kernel, DEPARTMENT, batch), methods=["GET"]),
        Route("/department/due", signed_in(kernel, DEPARTMENT, due), methods=["GET"]),
        Route(
            "/department/due/objections/{id}",
            signed_in(kernel, DEPARTMENT, decide_objection),
            methods=["POST"],
        ),
        Route(
            "/department/due/repairs/{id}",
            signed_in(kernel, DEPARTMENT, decide_repair),
            methods=["POST"],
        ),
        Route("/department/lists", signed_in(kernel, DEPARTMENT, lists), methods=["GET"]),
        Route("/department/network", signed_in(kernel, DEPARTMENT, network), methods=["GET"]),
    ]
