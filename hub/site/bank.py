"""A bank's signed-in pages (金融机构服务): credit check, consenting enterprises, watch list,
notices.

    GET  /bank                       overview: the check box, consenting enterprises with their
                                     full-edition report, what is watched, unread notices
    GET  /bank/check?q=              credit check (贷前审查): an enterprise by 统一社会信用代码 or
                                     name, as the catalogue serves this bank (with consent: more)
    GET  /bank/watches               贷后监测: the borrowers watched
    POST /bank/watches               watch a consenting borrower (uscc, purpose)
    POST /bank/watches/{id}/stop     stop watching
    GET  /bank/notices[?all=1]       the bank's notices, unread first
    POST /bank/notices/read          mark notices read (ids, or every unread one)

Every page runs GraphQL as the signed-in bank (hub/site/signed_in.py); the area is open to
whoever the catalogue lets perform ``operations.watchSubjects`` (贷后监测). A full-edition
report is issued by the existing report flow (``POST /reports``, hub/reports/routes.py): the
catalogue decides there, on the bank's consent, which edition it gets.
"""

from __future__ import annotations

import datetime
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from graph.identifiers import validate_uscc
from hub.kernel import Kernel
from hub.site.forms import MAX_QUERY_LENGTH
from hub.site.public_graph import PageError
from hub.site.signed_in import (
    Area,
    Page,
    enterprise_names,
    form_text,
    see_other,
    signed_in,
    verified_form,
)

BANK = Area(title="金融机构服务", operation="watchSubjects", audience="金融机构")
"""The bank's pages: for whoever may watch borrowers (贷后监测) for its own organisation."""

CHECK_RESULTS = 20
"""Matches shown for a name in the credit check."""

HOME = """
query BankHome {
  consents { id grantor classes purpose grantedAt expiresOn revokedAt }
  watches { id subject subjectName purpose since active }
  notices(unreadOnly: true, first: 5) { id kind title body subject createdAt }
}
"""

WATCHES = """
query BankWatches {
  consents { grantor purpose expiresOn revokedAt }
  watches { id subject subjectName purpose since active }
}
"""

NOTICES = """
query BankNotices($unread: Boolean!) {
  notices(unreadOnly: $unread, first: 100) { id kind title body subject ref createdAt readAt }
}
"""

SEARCH = """
query BankSearch($query: String!) {
  searchEnterprises(query: $query, first: 20) {
    totalCount
    edges { node { uscc name status blackListed redListed legalRepresentative { nameMasked } } }
  }
}
"""

CHECK = """
query BankCheck($uscc: String!) {
  enterprise(uscc: $uscc) {
    uscc name categoryLabel entityType status foundedOn address registeredCapital industry
    businessScope provisional blackListed redListed banned representativeBanned
    legalRepresentative { nameMasked }
    shareholders { share person { nameMasked } enterprise { uscc name } }
    records(first: 20) {
      totalCount
      edges { node {
        key kind title documentNumber decisionDate issuingAuthority severity category content
        amount status publishUntil inPublicationWindow
        history { version status changeReason changedOn }
      } }
    }
    listEntries(first: 10) {
      totalCount
      edges { node {
        id listType listName basis decisionDate effectiveFrom effectiveUntil status
        decidedBy { name }
        sanctions { status startsOn endsOn measure { name business } }
      } }
    }
  }
  consents { grantor classes purpose expiresOn revokedAt }
}
"""

EVALUATION = """
query BankEvaluation($uscc: String!) {
  creditEvaluation(uscc: $uscc) { grade gradeLabel score evaluatedOn }
}
"""

WATCH = """
mutation BankWatch($uscc: String!, $purpose: String!) {
  watchEnterprise(uscc: $uscc, purpose: $purpose) { id }
}
"""

UNWATCH = "mutation BankUnwatch($id: ID!) { unwatchEnterprise(id: $id) { id } }"

MARK_READ = "mutation BankRead($ids: [ID!]!) { markNoticesRead(ids: $ids) }"


def _in_force(consent: dict[str, Any], today: datetime.date) -> bool:
    return consent["revokedAt"] is None and consent["expiresOn"] >= today.isoformat()


def _consenting(
    consents: list[dict[str, Any]],
    names: dict[str, dict[str, Any]],
    today: datetime.date,
    purpose: str | None,
) -> list[dict[str, Any]]:
    """The enterprises with a consent in force to this bank, one row per grant; `usable` when
    the grant's purpose is the one this request states (a grant serves only requests stating
    its purpose: the enforcer's rule, shown here so that the page can say why data is held
    back)."""
    rows = [
        {
            **consent,
            "enterprise": names.get(consent["grantor"]),
            "usable": consent["purpose"] == purpose,
        }
        for consent in consents
        if _in_force(consent, today)
    ]
    return sorted(rows, key=lambda row: (not row["usable"], row["expiresOn"], row["grantor"]))


def bank_routes(kernel: Kernel) -> list[BaseRoute]:
    """The bank's pages on the hub's kernel."""

    async def home(page: Page) -> Response:
        data = await page.run(HOME)
        today = kernel.clock()
        codes = [c["grantor"] for c in data["consents"]]
        names = await enterprise_names(page, codes)
        return page.render(
            "bank_home.html",
            section="home",
            consenting=_consenting(data["consents"], names, today, page.consumer.purpose),
            watches=[w for w in data["watches"] if w["active"]],
            notices=data["notices"],
        )

    async def check(page: Page) -> Response:
        query = " ".join(page.request.query_params.get("q", "").split())
        values: dict[str, Any] = {
            "section": "check",
            "query": query,
            "problem": None,
            "results": None,
            "e": None,
            "consent": None,
            "withheld": [],
            "evaluation": None,
            "evaluation_shared": False,
        }
        if not query:
            return page.render("bank_check.html", **values)
        if len(query) > MAX_QUERY_LENGTH:
            values["problem"] = f"查询内容过长，请不超过 {MAX_QUERY_LENGTH} 个字符"
            return page.render("bank_check.html", **values)
        if not validate_uscc(query.upper()):
            # A complete, valid 统一社会信用代码 names one enterprise: check it.
            data = await page.run(CHECK, {"uscc": query.upper()})
            found = data["enterprise"]
            if found is None:
                values["problem"] = f"信用信息库中没有统一社会信用代码为 {query.upper()} 的市场主体"
                return page.render("bank_check.html", **values)
            grants = [
                c
                for c in _consenting(data["consents"], {}, kernel.clock(), page.consumer.purpose)
                if c["grantor"] == found["uscc"]
            ]
            evaluation = await page.run_if_shared(EVALUATION, {"uscc": found["uscc"]})
            values.update(
                evaluation_shared=evaluation is not None,
                evaluation=evaluation["creditEvaluation"] if evaluation else None,
                e=found,
                consent=grants[0] if grants else None,
                withheld=page.withheld_labels(),
            )
            return page.render("bank_check.html", **values)
        data = await page.run(SEARCH, {"query": query})
        values["results"] = data["searchEnterprises"]
        return page.render("bank_check.html", **values)

    async def watches(page: Page, problem: str | None = None, status: int = 200) -> Response:
        data = await page.run(WATCHES)
        today = kernel.clock()
        names = await enterprise_names(page, [c["grantor"] for c in data["consents"]])
        watched = {w["subject"] for w in data["watches"] if w["active"]}
        candidates = [
            row
            for row in _consenting(data["consents"], names, today, page.consumer.purpose)
            if row["grantor"] not in watched
        ]
        response = page.render(
            "bank_watches.html",
            section="watches",
            watches=data["watches"],
            candidates=candidates,
            problem=problem,
            purpose=page.consumer.purpose or "贷后管理",
        )
        response.status_code = status
        return response

    async def watch(page: Page) -> Response:
        form = await verified_form(page)
        uscc = form_text(form, "uscc", max_length=40).upper()
        purpose = form_text(form, "purpose", max_length=200) or "贷后管理"
        refused = await page.change(WATCH, {"uscc": uscc, "purpose": purpose})
        if refused is not None:
            return await watches(page, problem=refused, status=400)
        return see_other("/bank/watches")

    async def unwatch(page: Page) -> Response:
        await verified_form(page)
        refused = await page.change(UNWATCH, {"id": page.request.path_params["id"]})
        if refused is not None:
            return await watches(page, problem=refused, status=400)
        return see_other("/bank/watches")

    async def notices(page: Page) -> Response:
        show_all = page.request.query_params.get("all") == "1"
        data = await page.run(NOTICES, {"unread": not show_all})
        return page.render(
            "bank_notices.html", section="notices", notices=data["notices"], show_all=show_all
        )

    async def mark_read(page: Page) -> Response:
        form = await verified_form(page)
        ids = [value for value in form.getlist("id") if isinstance(value, str) and value]
        if not ids:
            data = await page.run(NOTICES, {"unread": True})
            ids = [n["id"] for n in data["notices"]]
        if ids:
            # Only the bank's own notices change (markNoticesRead ignores others' ids).
            refused = await page.change(MARK_READ, {"ids": ids})
            if refused is not None:
                raise PageError(400, "未能标为已读", refused)
        return see_other("/bank/notices")

    return [
        Route("/bank", signed_in(kernel, BANK, home), methods=["GET"]),
        Route("/bank/check", signed_in(kernel, BANK, check), methods=["GET"]),
        Route("/bank/watches", signed_in(kernel, BANK, watches), methods=["GET"]),
        Route("/bank/watches", signed_in(kernel, BANK, watch), methods=["POST"]),
        Route("/bank/watches/{id}/stop", signed_in(kernel, BANK, unwatch), methods=["POST"]),
        Route("/bank/notices", signed_in(kernel, BANK, notices), methods=["GET"]),
        Route("/bank/notices/read", signed_in(kernel, BANK, mark_read), methods=["POST"]),
    ]
