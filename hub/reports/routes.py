"""The plain HTTP pages of credit reports, beside ``/graphql``.

    GET  /reports/new[?uscc=]     the issue form; with `uscc`, issue and redirect to the report
    POST /reports                 issue from the form (field `uscc`), redirect to the report
    GET  /reports/verify[?number=] verify a number: who, when, edition, content hash — no content
    GET  /reports/{number}.html   the report (a full edition: its recipient and the credit office)
    GET  /reports/{number}.pdf    the same content as PDF

The consumer is whoever `BearerAuth` verified (the public without a token), so a browser
following the disclosure site's link gets the public edition, and an organisation calling with
its token gets what the catalogue serves it. Each request appends its entry to the audit chain
(the GraphQL executions behind an issue append theirs too).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from urllib.parse import quote

from neo4j.exceptions import DriverError, Neo4jError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.errors import ClientError, DatabaseUnavailable
from hub.kernel import Kernel, asker
from hub.reports.fonts import ReportFontMissing
from hub.reports.html import render_error, render_issue_form, render_report, render_verification
from hub.reports.issuing import issue_report, may_open, record, refusal_message
from hub.reports.numbering import NUMBER_FORMAT, normalise_number
from hub.reports.pdf import render_pdf
from hub.reports.store import StoredReport, load
from hub.signin.csrf import CsrfRejected, verify_csrf
from hub.signin.sessions import signed_in
from hub.site.account import report_form_page

STATUS_OF_CODE = {
    "INVALID_ARGUMENT": 400,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "REPORT_TOO_LARGE": 422,
    "DATABASE_UNAVAILABLE": 503,
}

# Report pages carry an enterprise's credit data (and a full edition its non-public part):
# never cached, never indexed, never leaking their number to another site through Referer.
HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
}


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _unavailable() -> HTMLResponse:
    return _page(render_error("暂时无法完成请求", str(DatabaseUnavailable())), 503)


Endpoint = Callable[[Request], Awaitable[Response]]


def _database_guarded(endpoint: Endpoint) -> Endpoint:
    """Answer 503 with a clear page while Neo4j is unreachable (the hub recovers by itself)."""

    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except (DriverError, Neo4jError, OSError):
            return _unavailable()

    return guarded


def report_routes(hub: Kernel) -> list[BaseRoute]:
    """The report routes on the hub's kernel."""

    async def issue(request: Request, uscc: str, purpose: str | None = None) -> Response:
        consumer = asker(request)
        if purpose is not None:
            # A signed-in organisation states its purpose per request (a token carries it).
            consumer = replace(consumer, purpose=purpose or None)
        request_id = uuid.uuid4().hex
        try:
            report = await issue_report(
                hub, consumer, uscc, request_id=request_id, base_url=str(request.base_url)
            )
        except ClientError as error:
            status = STATUS_OF_CODE.get(error.code, 400)
            if signed_in(request):
                return report_form_page(request, uscc, str(error), purpose or "", status)
            return _page(render_issue_form(uscc, str(error)), status)
        await record(
            hub,
            consumer,
            "issue_credit_report",
            subjects={report.uscc},
            detail=report.number,
            request_id=request_id,
        )
        # 303: the browser fetches the report with GET, so reloading it issues nothing new.
        return RedirectResponse(f"/reports/{report.number}.html", status_code=303, headers=HEADERS)

    async def new(request: Request) -> Response:
        uscc = request.query_params.get("uscc")
        if signed_in(request):
            # Signed in by cookie: a link must not issue in the organisation's name (that is a
            # state change a cross-site page could trigger), so the form asks, with a CSRF token.
            return report_form_page(request, uscc or "", None, "贷前审查")
        if uscc is None:
            return _page(render_issue_form("", None))
        return await issue(request, uscc)

    async def create(request: Request) -> Response:
        form = await request.form()
        value = form.get("uscc")
        uscc = value if isinstance(value, str) else ""
        if signed_in(request):
            try:
                verify_csrf(request, form)
            except CsrfRejected as error:
                return _page(render_error("表单已失效", str(error)), 403)
            purpose = form.get("purpose")
            return await issue(request, uscc, purpose.strip() if isinstance(purpose, str) else "")
        return await issue(request, uscc)

    async def verify(request: Request) -> Response:
        text = request.query_params.get("number")
        if text is None:
            return _page(render_verification("", None, None))
        number = normalise_number(text)
        if number is None:
            problem = f"报告编号格式不正确，应为 {NUMBER_FORMAT} (not a report number)"
            return _page(render_verification(text, None, problem), 400)
        report = await load(hub.db, number)
        await record(
            hub,
            asker(request),
            "verify_credit_report",
            subjects={report.uscc} if report else set(),
            detail=number,
        )
        if report is None:
            problem = f"未找到编号为 {number} 的信用报告：该编号不是本平台出具的报告 (not found)"
            return _page(render_verification(number, None, problem), 404)
        return _page(render_verification(number, report, None))

    async def opened(request: Request) -> StoredReport | Response:
        number = normalise_number(request.path_params["number"])
        report = await load(hub.db, number) if number else None
        if report is None:
            message = "未找到该编号的信用报告 (no report with this number)"
            return _page(render_error("未找到信用报告", message), 404)
        consumer = asker(request)
        if not may_open(hub, consumer, report):
            return _page(render_error("无权查看该报告", refusal_message(hub)), 403)
        await record(
            hub, consumer, "read_credit_report", subjects={report.uscc}, detail=report.number
        )
        return report

    async def as_html(request: Request) -> Response:
        report = await opened(request)
        if isinstance(report, Response):
            return report
        return _page(render_report(report))

    async def as_pdf(request: Request) -> Response:
        report = await opened(request)
        if isinstance(report, Response):
            return report
        filename = quote(f"{report.number}.pdf")
        try:
            pdf = render_pdf(report)
        except ReportFontMissing as error:
            return _page(render_error("暂时无法生成 PDF", str(error)), 503)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={**HEADERS, "Content-Disposition": f'inline; filename="{filename}"'},
        )

    return [
        Route("/reports/new", _database_guarded(new), methods=["GET"]),
        Route("/reports", _database_guarded(create), methods=["POST"]),
        Route("/reports/verify", _database_guarded(verify), methods=["GET"]),
        Route("/reports/{number}.html", _database_guarded(as_html), methods=["GET"]),
        Route("/reports/{number}.pdf", _database_guarded(as_pdf), methods=["GET"]),
    ]
