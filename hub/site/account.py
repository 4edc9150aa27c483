"""The signed-in organisation's own pages (市场主体的“我的信用”), under ``/account``:

    GET  /account                     its full record: records, list entries, notices
    GET  /account/consents            its consent grants; POST grants one (grantConsent)
    POST /account/consents/{id}/revoke                   revokes one (revokeConsent)
    GET  /account/accesses            who looked at its data (accessLog)
    GET  /account/objections          its objections and repair applications;
    POST /account/objections          files an objection (fileObjection)
    POST /account/repairs             applies for credit repair (applyForRepair)
    GET  /account/voluntary           自愿注册; POST registers an item (registerVoluntary)
    GET  /account/commitments         信用承诺; POST makes one (makeCommitment)
    GET  /attachments/{sha256}?of=<id>  downloads a 证明材料 file (hub/attachment_downloads.py)

The objection, repair and voluntary forms are multipart: their chosen files (证明材料) go to the
mutation as its `attachments` uploads, checked by content before anything is filed.

Every read and change is a GraphQL document run through `Kernel.execute` as the signed-in
consumer, so the one policy (authz/catalogue.toml) decides what is shown and what is refused;
a page never looks at the consumer's kind: a bank that opens /account/consents sees the grants
made to it, and the kernel refuses its attempt to grant one, in Chinese. Every form is
CSRF-checked (hub/signin/csrf.py). Without a session the pages send the visitor to /signin.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

from neo4j.exceptions import DriverError, Neo4jError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from authz.identity import Consumer, OrgKind
from graph.attachments import ACCEPTED_LABEL, MAX_FILE_BYTES, MAX_FILES, MAX_SUBMISSION_BYTES
from graph.lifecycle.base import CHINA_TIME, china_today
from graph.model import (
    LabelledEnum,
    ObjectionGround,
    ObjectionStatus,
    RepairStatus,
    VerificationStatus,
    VoluntaryKind,
)
from hub.attachment_downloads import attachment_routes
from hub.errors import DatabaseUnavailable
from hub.kernel import Kernel, asker
from hub.settings import Settings
from hub.signin.csrf import CsrfRejected, csrf_token, verify_csrf
from hub.signin.dev_provider import DevProvider
from hub.signin.routes import SignIn
from hub.signin.sessions import EndedSessions
from hub.site.rendering import render

HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}

TABS: Final = (
    ("record", "/account", "信用记录"),
    ("consents", "/account/consents", "授权管理"),
    ("accesses", "/account/accesses", "查询记录"),
    ("objections", "/account/objections", "异议与信用修复"),
    ("voluntary", "/account/voluntary", "自愿注册"),
    ("commitments", "/account/commitments", "信用承诺"),
)

CONSENT_CLASS: Final = "conditional"
"""What a consent on these pages grants: the catalogue's 有条件共享 class (full reports)."""

DEFAULT_CONSENT_DAYS: Final = 90
TRUTHFULNESS: Final = (
    "本单位承诺所填报信息真实、准确、完整，如有虚假，愿意承担相应法律责任并接受信用惩戒。"
)

RECORD: Final = """query Account($uscc: String!) {
  enterprise(uscc: $uscc) {
    uscc name status address provisional blackListed redListed banned
    legalRepresentative { nameMasked }
    records(first: 50) { totalCount edges { node {
      key kind title documentNumber decisionDate severity status publishBy
      issuingAuthority batchId } } }
    listEntries(first: 20) { edges { node {
      id listType listName status decisionDate basis effectiveUntil } } }
  }
  notices(first: 30) { id kind title body createdAt readAt }
}"""

CONSENTS: Final = """query Consents {
  consents { id grantor grantee granteeKind classes purpose grantedAt expiresOn revokedAt }
}"""

BANKS: Final = "query Banks { organisations(kind: BANK) { code name } }"

GRANT: Final = """mutation Grant($grantee: String!, $classes: [String!]!, $purpose: String!,
                   $expiresOn: Date!) {
  grantConsent(grantee: $grantee, classes: $classes, purpose: $purpose, expiresOn: $expiresOn) {
    id grantee purpose expiresOn } }"""

REVOKE: Final = "mutation Revoke($id: ID!) { revokeConsent(id: $id) { id revokedAt } }"

ACCESSES: Final = """query Accesses($first: Int!) {
  accessLog(first: $first) { at orgCode orgKind purpose action } }"""

OBJECTIONS: Final = """query Objections($uscc: String!) {
  objections(first: 50) { id status grounds statement evidence filedOn dueBy
                          attachments { fileName size url } }
  repairApplications(first: 50) { id status recordKey listEntryId appliedOn dueBy proof
                                  attachments { fileName size url } }
  enterprise(uscc: $uscc) {
    records(first: 50) { edges { node { key title documentNumber kind status } } }
    listEntries(first: 20) { edges { node { id listName status } } } }
}"""

OBJECT: Final = """mutation Object($grounds: ObjectionGround!, $statement: String!,
                    $recordKey: String, $listEntryId: String, $evidence: String,
                    $attachments: [Upload!]) {
  fileObjection(grounds: $grounds, statement: $statement, recordKey: $recordKey,
                listEntryId: $listEntryId, evidence: $evidence,
                attachments: $attachments) { id dueBy } }"""

REPAIR: Final = """mutation Repair($proof: String!, $commitment: String!, $recordKey: String,
                    $listEntryId: String, $trainingCertificate: String, $creditReport: String,
                    $attachments: [Upload!]) {
  applyForRepair(proof: $proof, commitment: $commitment, recordKey: $recordKey,
                 listEntryId: $listEntryId, trainingCertificate: $trainingCertificate,
                 creditReport: $creditReport, attachments: $attachments) { id dueBy } }"""

VOLUNTARY: Final = """query Voluntary {
  voluntaryItems { id key version kind kindLabel title detail evidence registeredOn
                   verification attachments { fileName size url } } }"""

REGISTER: Final = """mutation Register($kind: VoluntaryKind!, $title: String!, $detail: String!,
                      $evidence: String, $statement: String!, $attachments: [Upload!]) {
  registerVoluntary(kind: $kind, title: $title, detail: $detail, evidence: $evidence,
                    truthful: true, statement: $statement, attachments: $attachments) { id } }"""

COMMITMENTS: Final = """query Commitments {
  commitments { id status statusLabel madeOn dueBy text item { code name } }
  commitmentItems { code name template offeredByName }
}"""

COMMIT: Final = """mutation Commit($item: String!, $acceptedText: String!) {
  makeCommitment(item: $item, acceptedText: $acceptedText) { id } }"""

_ENGLISH_TAIL = re.compile(r"\s*\((?=[^()]*[A-Za-z])[^()]*(\([^()]*\)[^()]*)*\)\s*$")


def chinese(message: str) -> str:
    """A refusal's Chinese words, without the English (and citation) in parentheses."""
    text = _ENGLISH_TAIL.sub("", message).strip()
    return text or message


@dataclass
class Outcome:
    """What a document returned: its data, and the refusals and errors as Chinese text."""

    data: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    forbidden: bool = False


async def run(
    kernel: Kernel,
    consumer: Consumer,
    document: str,
    variables: Mapping[str, Any],
    *,
    action: str = "query",
) -> Outcome:
    """Run `document` as `consumer` (the one policy decides) and collect its refusals."""
    execution = await kernel.execute(consumer, document, variables, action=action)
    problems: list[str] = []
    forbidden = False
    for error in execution.errors:
        extensions = error.extensions or {}
        forbidden = forbidden or extensions.get("code") == "FORBIDDEN"
        problems.append(chinese(error.message))
    return Outcome(data=execution.data or {}, problems=problems, forbidden=forbidden)


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _optional(form: Mapping[str, Any], name: str) -> str | None:
    return _text(form, name) or None


def _uploads(form: Any) -> list[UploadFile] | None:
    """The form's chosen files (`attachments`), passed to the mutation as its uploads; a file
    input left empty sends one nameless part, which is no file."""
    chosen = [
        part
        for part in form.getlist("attachments")
        if isinstance(part, UploadFile) and part.filename
    ]
    return chosen or None


def _size(value: int | None) -> str:
    """A file size for people (KB / MB)."""
    if not value:
        return "0 KB"
    if value >= 1024 * 1024:
        return f"{value / 1024 / 1024:.1f} MB"
    return f"{max(1, round(value / 1024))} KB"


ACTION_LABELS: Final = {
    "query": "查询",
    "mutation": "办理",
    "issue_credit_report": "出具信用报告",
    "read_credit_report": "查看信用报告",
    "verify_credit_report": "核验信用报告",
    "grant_consent": "授权",
    "revoke_consent": "撤销授权",
    "read_evaluation": "查看信用评价",
    "credit_report_data": "读取信用报告数据",
    "ownership_penetration": "股权穿透查询",
    "read_attachment": "查看证明材料",
}
"""The audit's action names as the access log page shows them (others as recorded)."""


def labels(enum_cls: type[LabelledEnum]) -> dict[str, str]:
    """An enumeration's values with their Chinese labels (a status shown on a page)."""
    return {member.value: member.label for member in enum_cls}


def action_label(value: str) -> str:
    """An audit action's Chinese name."""
    return ACTION_LABELS.get(value, value)


def beijing_time(value: str) -> str:
    """An ISO timestamp as Beijing time to the second (the access log's times)."""
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M:%S")


def kind_label(value: str | None) -> str:
    """An organisation kind's Chinese label (for the access log)."""
    try:
        return OrgKind.of(value).label if value else "—"
    except ValueError:
        return value or "—"


Endpoint = Callable[[Request], Awaitable[Response]]


def account_routes(kernel: Kernel) -> list[BaseRoute]:
    """The signed-in organisation's pages on the hub's kernel."""

    def page(
        request: Request, template: str, tab: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        consumer = asker(request)
        html = render(
            template,
            active="account",
            tabs=TABS,
            tab=tab,
            org_name=consumer.org_name or consumer.org_code or "",
            org_code=consumer.org_code or "",
            csrf_token=csrf_token(request),
            done=request.query_params.get("done"),
            file_size=_size,
            attachment_rule=(
                f"可选，{ACCEPTED_LABEL} 文件，每个不超过 {MAX_FILE_BYTES // 1024 // 1024} MB，"
                f"最多 {MAX_FILES} 个，合计不超过 {MAX_SUBMISSION_BYTES // 1024 // 1024} MB"
            ),
            **values,
        )
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def signed_in_only(endpoint: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            if asker(request).is_public:
                target = "/signin?next=" + quote(request.url.path)
                return RedirectResponse(target, status_code=303, headers=HEADERS)
            try:
                return await endpoint(request)
            except (DriverError, Neo4jError, OSError):
                html = render(
                    "error.html",
                    active="",
                    title="暂时无法查询",
                    message=str(DatabaseUnavailable()),
                )
                return HTMLResponse(html, status_code=503, headers=HEADERS)

        return guarded

    async def checked_form(request: Request) -> tuple[Mapping[str, Any] | None, Response | None]:
        form = await request.form()
        try:
            verify_csrf(request, form)
        except CsrfRejected as error:
            await form.close()  # its spooled files, unread
            html = render("error.html", active="", title="表单已失效", message=str(error))
            return None, HTMLResponse(html, status_code=403, headers=HEADERS)
        return form, None

    def status_of(outcome: Outcome) -> int:
        return 403 if outcome.forbidden else 400

    # -- the record --------------------------------------------------------------------------

    async def record(request: Request) -> Response:
        consumer = asker(request)
        outcome = await run(kernel, consumer, RECORD, {"uscc": consumer.org_code or ""})
        return page(
            request,
            "account_record.html",
            "record",
            e=outcome.data.get("enterprise"),
            notices=outcome.data.get("notices") or [],
            problems=outcome.problems,
        )

    # -- consents ----------------------------------------------------------------------------

    async def consents_page(
        request: Request, problems: list[str] | None = None, status: int = 200
    ) -> Response:
        consumer = asker(request)
        outcome = await run(kernel, consumer, CONSENTS, {})
        banks = await run(kernel, consumer, BANKS, {})
        today = china_today()
        return page(
            request,
            "account_consents.html",
            "consents",
            status,
            consents=outcome.data.get("consents") or [],
            banks=banks.data.get("organisations") or [],
            names={
                **{b["code"]: b["name"] for b in banks.data.get("organisations") or []},
                **(
                    {consumer.org_code: consumer.org_name or consumer.org_code}
                    if consumer.org_code
                    else {}
                ),
            },
            class_labels={
                name: entry.get("label", name) for name, entry in kernel.catalogue.classes.items()
            },
            problems=(problems or []) + outcome.problems,
            class_label=kernel.catalogue.classes.get(CONSENT_CLASS, {}).get("label", ""),
            default_until=(today + datetime.timedelta(days=DEFAULT_CONSENT_DAYS)).isoformat(),
            today=today.isoformat(),
        )

    async def consents(request: Request) -> Response:
        return await consents_page(request)

    async def grant(request: Request) -> Response:
        form, refused = await checked_form(request)
        if form is None:
            assert refused is not None
            return refused
        try:
            until = datetime.date.fromisoformat(_text(form, "expires_on"))
        except ValueError:
            return await consents_page(request, ["请填写有效的授权截止日期"], 400)
        variables = {
            "grantee": _text(form, "grantee"),
            "classes": [CONSENT_CLASS],
            "purpose": _text(form, "purpose"),
            "expiresOn": until.isoformat(),
        }
        outcome = await run(kernel, asker(request), GRANT, variables, action="mutation")
        if outcome.problems:
            return await consents_page(request, outcome.problems, status_of(outcome))
        return RedirectResponse("/account/consents?done=granted", 303, headers=HEADERS)

    async def revoke(request: Request) -> Response:
        form, refused = await checked_form(request)
        if form is None:
            assert refused is not None
            return refused
        variables = {"id": request.path_params["id"]}
        outcome = await run(kernel, asker(request), REVOKE, variables, action="mutation")
        if outcome.problems:
            return await consents_page(request, outcome.problems, status_of(outcome))
        return RedirectResponse("/account/consents?done=revoked", 303, headers=HEADERS)

    # -- who looked --------------------------------------------------------------------------

    async def accesses(request: Request) -> Response:
        outcome = await run(kernel, asker(request), ACCESSES, {"first": 200})
        return page(
            request,
            "account_accesses.html",
            "accesses",
            entries=outcome.data.get("accessLog") or [],
            problems=outcome.problems,
            kind_label=kind_label,
            action_label=action_label,
            beijing_time=beijing_time,
        )

    # -- objections and repair ---------------------------------------------------------------

    async def objections_page(
        request: Request, problems: list[str] | None = None, status: int = 200
    ) -> Response:
        consumer = asker(request)
        outcome = await run(kernel, consumer, OBJECTIONS, {"uscc": consumer.org_code or ""})
        enterprise = outcome.data.get("enterprise") or {}
        return page(
            request,
            "account_objections.html",
            "objections",
            status,
            objections=outcome.data.get("objections") or [],
            repairs=outcome.data.get("repairApplications") or [],
            records=[e["node"] for e in ((enterprise.get("records") or {}).get("edges") or [])],
            entries=[e["node"] for e in ((enterprise.get("listEntries") or {}).get("edges") or [])],
            grounds=list(ObjectionGround),
            objection_status=labels(ObjectionStatus),
            repair_status=labels(RepairStatus),
            problems=(problems or []) + outcome.problems,
        )

    async def objections(request: Request) -> Response:
        return await objections_page(request)

    def _target(form: Mapping[str, Any]) -> dict[str, str | None]:
        # One select names a record (record:<key>) or a list entry (entry:<id>).
        chosen = _text(form, "target")
        kind, _, key = chosen.partition(":")
        return {
            "recordKey": key if kind == "record" and key else None,
            "listEntryId": key if kind == "entry" and key else None,
        }

    async def file_objection(request: Request) -> Response:
        form, refused = await checked_form(request)
        if form is None:
            assert refused is not None
            return refused
        variables = {
            "grounds": _text(form, "grounds"),
            "statement": _text(form, "statement"),
            "evidence": _optional(form, "evidence"),
            "attachments": _uploads(form),
            **_target(form),
        }
        outcome = await run(kernel, asker(request), OBJECT, variables, action="mutation")
        if outcome.problems:
            return await objections_page(request, outcome.problems, status_of(outcome))
        return RedirectResponse("/account/objections?done=objection", 303, headers=HEADERS)

    async def apply_for_repair(request: Request) -> Response:
        form, refused = await checked_form(request)
        if form is None:
            assert refused is not None
            return refused
        variables = {
            "proof": _text(form, "proof"),
            "commitment": _text(form, "commitment"),
            "trainingCertificate": _optional(form, "training_certificate"),
            "creditReport": _optional(form, "credit_report"),
            "attachments": _uploads(form),
            **_target(form),
        }
        outcome = await run(kernel, asker(request), REPAIR, variables, action="mutation")
        if outcome.problems:
            return await objections_page(request, outcome.problems, status_of(outcome))
        return RedirectResponse("/account/objections?done=repair", 303, headers=HEADERS)

    # -- 自愿注册 ------------------------------------------------------------------------------

    async def voluntary_page(
        request: Request, problems: list[str] | None = None, status: int = 200
    ) -> Response:
        outcome = await run(kernel, asker(request), VOLUNTARY, {})
        return page(
            request,
            "account_voluntary.html",
            "voluntary",
            status,
            entries_v=outcome.data.get("voluntaryItems") or [],
            kinds=list(VoluntaryKind),
            verification=labels(VerificationStatus),
            truthfulness=TRUTHFULNESS,
            problems=(problems or []) + outcome.problems,
        )

    async def voluntary(request: Request) -> Response:
        return await voluntary_page(request)

    async def register(request: Request) -> Response:
        form, refused = await checked_form(request)
        if form is None:
            assert refused is not None
            return refused
        if form.get("truthful") != "yes":
            return await voluntary_page(request, ["请勾选真实性承诺后再提交"], 400)
        variables = {
            "kind": _text(form, "kind"),
            "title": _text(form, "title"),
            "detail": _text(form, "detail"),
            "evidence": _optional(form, "evidence"),
            "statement": _text(form, "statement"),
            "attachments": _uploads(form),
        }
        outcome = await run(kernel, asker(request), REGISTER, variables, action="mutation")
        if outcome.problems:
            return await voluntary_page(request, outcome.problems, status_of(outcome))
        return RedirectResponse("/account/voluntary?done=registered", 303, headers=HEADERS)

    # -- 信用承诺 ------------------------------------------------------------------------------

    async def commitments_page(
        request: Request, problems: list[str] | None = None, status: int = 200
    ) -> Response:
        outcome = await run(kernel, asker(request), COMMITMENTS, {})
        return page(
            request,
            "account_commitments.html",
            "commitments",
            status,
            commitments=outcome.data.get("commitments") or [],
            offers=outcome.data.get("commitmentItems") or [],
            problems=(problems or []) + outcome.problems,
        )

    async def commitments(request: Request) -> Response:
        return await commitments_page(request)

    async def commit(request: Request) -> Response:
        form, refused = await checked_form(request)
        if form is None:
            assert refused is not None
            return refused
        if form.get("accept") != "yes":
            return await commitments_page(request, ["请勾选“我已阅读并同意承诺内容”"], 400)
        variables = {"item": _text(form, "item"), "acceptedText": str(form.get("text") or "")}
        outcome = await run(kernel, asker(request), COMMIT, variables, action="mutation")
        if outcome.problems:
            return await commitments_page(request, outcome.problems, status_of(outcome))
        return RedirectResponse("/account/commitments?done=committed", 303, headers=HEADERS)

    def route(path: str, endpoint: Endpoint, method: str = "GET") -> Route:
        return Route(path, signed_in_only(endpoint), methods=[method])

    return [
        route("/account", record),
        route("/account/consents", consents),
        route("/account/consents", grant, "POST"),
        route("/account/consents/{id}/revoke", revoke, "POST"),
        route("/account/accesses", accesses),
        route("/account/objections", objections),
        route("/account/objections", file_objection, "POST"),
        route("/account/repairs", apply_for_repair, "POST"),
        route("/account/voluntary", voluntary),
        route("/account/voluntary", register, "POST"),
        route("/account/commitments", commitments),
        route("/account/commitments", commit, "POST"),
        # 证明材料 downloads: by token or session, decided by the catalogue (not only /account's).
        *attachment_routes(kernel),
    ]


def report_form_page(
    request: Request, uscc: str, problem: str | None, purpose: str, status: int = 200
) -> HTMLResponse:
    """The report form for a signed-in organisation: the enterprise, the purpose its request
    states (consent is bound to it) and the CSRF token (hub/reports/routes.py)."""
    consumer = asker(request)
    html = render(
        "account_report.html",
        active="",
        org_name=consumer.org_name or consumer.org_code or "",
        uscc=uscc,
        purpose=purpose,
        problem=problem,
        csrf_token=csrf_token(request),
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def signin_routes(
    kernel: Kernel, settings: Settings, ended: EndedSessions | None = None
) -> list[BaseRoute]:
    """The sign-in routes of a hub with these settings (hub/signin/routes.py), the development
    provider only in a local hub without a configured provider."""
    config = settings.signin
    local = not settings.production and not config.external
    dev = DevProvider.create(settings.home, settings.session_secret()) if local else None
    signin = SignIn(
        config,
        production=settings.production,
        db=kernel.db,
        catalogue=kernel.catalogue,
        tokens=settings.token_config(),
        dev=dev,
        render=render,
        ended=ended,
    )
    return signin.routes()
