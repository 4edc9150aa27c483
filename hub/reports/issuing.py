"""Issuing a report, and who may open one.

Anyone may ask for a report (the catalogue's ``operations.issueCreditReport``): the public gets
the public edition, and whoever the catalogue serves the conditional class for the enterprise
gets the full edition (hub/reports/edition.py). A public-edition report may be opened by anyone
holding its number — it says nothing the disclosure site does not — while a full edition is
opened only by the organisation it was issued to, or by a kind the catalogue lets act for
others (``operations.issueCreditReport.on_behalf``: the credit office).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from authz import policy
from authz.audit import AuditEvent, append
from authz.identity import Consumer
from graph.lifecycle.base import CHINA_TIME
from hub.errors import Forbidden, InvalidArgument
from hub.kernel import Kernel
from hub.reports.content import build_content, verification_url
from hub.reports.data import read_report_data
from hub.reports.edition import ReportEdition
from hub.reports.numbering import canonical_json, content_hash, new_number
from hub.reports.store import NumberTaken, StoredReport, save
from hub.settings import Settings

OPERATION = "issueCreditReport"
NUMBER_ATTEMPTS = 3


def require_issue(hub: Kernel, consumer: Consumer) -> None:
    """Refuse a consumer whose kind the catalogue does not let issue reports."""
    decision = policy.permit(hub.catalogue, consumer, OPERATION)
    if not decision.allowed:
        raise Forbidden(
            f"{consumer.org_kind.label}不能出具信用报告 (not allowed: {decision.citation})"
        )


def normalise_uscc(uscc: str) -> str:
    """The code as stored (upper case, no surrounding spaces); refuses an empty one."""
    code = uscc.strip().upper()
    if not code:
        raise InvalidArgument("uscc", "请填写统一社会信用代码 (must not be empty)")
    return code


def public_base_url(settings: Settings, request_base_url: str | None) -> str:
    """Where the public reaches this hub: the configured public URL (CREDITHUB_PUBLIC_URL),
    else the address the issuing request came to, else the address the hub serves on (a
    GraphQL request does not keep its address)."""
    if settings.public_url:
        return settings.public_url
    if request_base_url:
        return request_base_url.rstrip("/")
    return f"http://{settings.host}:{settings.port}"


async def issue_report(
    hub: Kernel,
    consumer: Consumer,
    uscc: str,
    *,
    request_id: str,
    base_url: str | None = None,
) -> StoredReport:
    """Issue the credit report of enterprise `uscc` to `consumer` and store it.

    The data is what the schema serves `consumer` (hub/reports/data.py); the stored content
    is canonical JSON and its hash the report's content hash. `request_id` names the request
    that issued it, as in the audit chain; `base_url` is the address that request came to
    (the verification link printed on the report starts with `public_base_url`).
    """
    require_issue(hub, consumer)
    code = normalise_uscc(uscc)
    generated_at = datetime.now(CHINA_TIME).replace(microsecond=0)
    cutoff = generated_at.date()
    number = new_number(cutoff)
    data = await read_report_data(hub, consumer, code, number=number)
    for _ in range(NUMBER_ATTEMPTS):
        content = build_content(
            data,
            number=number,
            generated_at=generated_at,
            cutoff=cutoff,
            consumer=consumer,
            catalogue_version=hub.catalogue.version,
            verify_url=verification_url(public_base_url(hub.settings, base_url), number),
        )
        canonical = canonical_json(content)
        report = StoredReport(
            number=number,
            uscc=data.enterprise["uscc"],
            enterprise_name=data.enterprise["name"],
            generated_at=generated_at,
            cutoff=cutoff,
            edition=data.edition,
            content_hash=content_hash(canonical),
            content=canonical,
            issued_to=None if consumer.is_public else consumer.org_code,
            issued_to_kind=consumer.org_kind.value,
            request_id=request_id,
        )
        try:
            await save(hub.db, report)
        except NumberTaken:
            number = new_number(cutoff)
            continue
        return report
    raise RuntimeError("no free report number after several draws")


def may_open(hub: Kernel, consumer: Consumer, report: StoredReport) -> bool:
    """Whether `consumer` may open (read the content of) `report`."""
    if report.edition is ReportEdition.PUBLIC:
        return True
    if report.issued_to is not None and consumer.org_code == report.issued_to:
        return True
    return policy.permit(hub.catalogue, consumer, OPERATION, on_behalf=True).allowed


def refusal_message(hub: Kernel) -> str:
    """Why a full edition is not shown, citing the catalogue."""
    return (
        "该报告为完整版，仅向报告出具对象和信用管理部门提供 (a full-edition report is shown "
        "only to the organisation it was issued to and to the credit office: "
        f"{hub.catalogue.operation_citation(OPERATION, on_behalf=True)})"
    )


async def record(
    hub: Kernel,
    consumer: Consumer,
    action: str,
    *,
    subjects: set[str],
    detail: str | None,
    request_id: str | None = None,
) -> None:
    """Append an audit entry for a plain HTTP request (GraphQL requests get theirs from
    hub/api/audit_trail.py), through the hub's group-committing writer when it has one."""
    event = AuditEvent(
        request_id=request_id or uuid.uuid4().hex,
        consumer=consumer,
        action=action,
        subjects=tuple(sorted(subjects)),
        detail=detail,
    )
    if hub.audit is not None:
        await hub.audit.submit(event)
    else:
        await append(hub.db, event)
