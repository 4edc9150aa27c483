"""What the signed-in pages of banks and departments share (hub/site/bank.py, department.py).

Who is asking arrives as the `Consumer` in ``request.scope["state"]["consumer"]`` — put there by
`BearerAuth` for a bearer token, and by the sign-in's session for a browser — and every page
runs its GraphQL documents as that consumer through `Kernel.execute`: the same schema, guards,
sharing catalogue and audit trail as ``/graphql``. Nothing here decides what a consumer may
see; an area of pages is opened to whoever the catalogue lets perform the area's operation
(`authz.policy.permit`), and each section shows what the API serves.

A request without a consumer (the public) is sent to sign in; a consumer the catalogue does not
admit gets a Chinese page saying so, with the operation's Chinese name, never an internal name,
a citation or raw JSON.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from graphql import GraphQLError
from neo4j.exceptions import DriverError, Neo4jError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from authz import policy
from authz.identity import Consumer
from graph.model import (
    LabelledEnum,
    NoticeKind,
    ObjectionGround,
    ObjectionOutcome,
    ObjectionStatus,
    RectificationStatus,
    RepairStatus,
    RoleKind,
)
from hub.errors import ClientError, DatabaseUnavailable
from hub.kernel import Kernel, asker
from hub.projection import InvalidCursor
from hub.signin.csrf import CsrfRejected, csrf_token, verify_csrf
from hub.site.public_graph import PageError
from hub.site.rendering import HEADERS as PAGE_HEADERS
from hub.site.rendering import MISSING, render

log = logging.getLogger("credithub.site")

SIGNIN_PATH = "/signin"
"""Where a visitor without a consumer signs in (hub/signin); `next` brings them back."""

# Signed-in pages carry data that is not public: never cached, never sent on as a Referer.
HEADERS = {**PAGE_HEADERS, "Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}
"""The public pages' headers, but an organisation's own page is never stored nor indexed."""

_ENGLISH_ASIDE = re.compile(r"\s*\([^()\u4e00-\u9fff]*\)")
"""A parenthesised aside without Chinese: the English half of the hub's bilingual messages."""

_CHINESE = re.compile(r"[\u4e00-\u9fff]")

_INTERNAL = re.compile(r"operations\.\S+|rows\.\S+|types\.\S+|consumers\.\S+")
"""Catalogue citations (entry names) that a page never shows."""

CALLER_CODES = frozenset({"INVALID_ARGUMENT", "NOT_FOUND", "BAD_USER_INPUT", "INVALID_CURSOR"})
"""Error codes about what the caller asked for: shown as 查询条件有误 (400)."""

Endpoint = Callable[[Request], Awaitable[Response]]


def html(page: str, status: int = 200) -> HTMLResponse:
    """A signed-in page with its headers."""
    return HTMLResponse(page, status_code=status, headers=HEADERS)


def see_other(path: str) -> RedirectResponse:
    """After a form was handled: back to a page with GET (reloading sends nothing again)."""
    return RedirectResponse(path, status_code=303, headers=HEADERS)


def shown_message(message: str) -> str:
    """A hub error message as a page shows it: the Chinese part, no catalogue entry names."""
    text = _INTERNAL.sub("", _ENGLISH_ASIDE.sub("", message)).strip(" ;:：；")
    if not _CHINESE.search(text):
        # A message written only for API clients (argument names): say it in general terms.
        return "请求未能完成，请检查填写的内容"
    return text


def signin_url(request: Request) -> str:
    """The sign-in page, returning to this page afterwards."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{SIGNIN_PATH}?{urlencode({'next': back})}"


@dataclass(frozen=True)
class Area:
    """A set of signed-in pages, open to consumers the catalogue lets perform `operation` for
    their own organisation (`policy.permit`): a bank's (贷后监测), a department's (异议处理)."""

    title: str
    """The area's name in the header of its pages, e.g. 金融机构服务."""
    operation: str
    """The catalogue operation whose kind rule admits a consumer."""
    audience: str
    """Who the pages are for, in words (金融机构, 政府部门), for the refusal page."""

    def admits(self, kernel: Kernel, consumer: Consumer) -> bool:
        """Does the catalogue let this consumer's kind perform the area's operation?"""
        return policy.permit(kernel.catalogue, consumer, self.operation).allowed

    def operation_label(self, kernel: Kernel) -> str:
        """The operation's Chinese name from the catalogue."""
        return str(kernel.catalogue.operations.get(self.operation, {}).get("label", self.title))


@dataclass
class Page:
    """One request to a signed-in page: who asks, as what, and the data it may run."""

    kernel: Kernel
    request: Request
    consumer: Consumer
    area: Area
    withheld: list[dict[str, Any]] = field(default_factory=list)

    async def run(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        action: str = "query",
    ) -> dict[str, Any]:
        """The data of `document` as this page's consumer sees it; `PageError` when it cannot
        be had. The page's path is the detail of the request's audit entry."""
        result = await self.kernel.execute(
            self.consumer,
            document,
            variables or {},
            action=action,
            detail=f"信用舞钢 {self.request.url.path}",
        )
        if result.errors:
            raise page_error(result.errors)
        self.withheld.extend(result.context.withheld)
        assert result.data is not None
        return result.data

    async def run_change(self, document: str, variables: Mapping[str, Any]) -> dict[str, Any] | str:
        """Run a mutation: its data, or the Chinese reason it was refused (as `change`)."""
        result = await self.kernel.execute(
            self.consumer, document, variables, detail=f"信用舞钢 {self.request.url.path}"
        )
        if result.errors:
            return self._refused(result.errors[0])
        assert result.data is not None
        return result.data

    async def run_if_shared(
        self, document: str, variables: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The data of `document`, or None when the catalogue refuses it to this consumer (a
        section the page then marks as not shared); other failures as `run`."""
        result = await self.kernel.execute(
            self.consumer, document, variables, detail=f"信用舞钢 {self.request.url.path}"
        )
        if result.errors:
            if all(_refusal(error) for error in result.errors):
                return None
            raise page_error(result.errors)
        self.withheld.extend(result.context.withheld)
        assert result.data is not None
        return result.data

    async def change(self, document: str, variables: Mapping[str, Any]) -> str | None:
        """Run a mutation; None when it was done, else the Chinese reason it was refused."""
        result = await self.kernel.execute(
            self.consumer, document, variables, detail=f"信用舞钢 {self.request.url.path}"
        )
        if not result.errors:
            return None
        return self._refused(result.errors[0])

    def _refused(self, error: GraphQLError) -> str:
        """Why a mutation was refused, as a page says it (or `PageError` 503: no database)."""
        original = error.original_error
        if isinstance(original, DatabaseUnavailable):
            raise PageError(503, "暂时无法办理", str(original))
        code = (error.extensions or {}).get("code")
        if code == "INTERNAL_ERROR":
            log.error("signed-in page %s: %s", self.request.url.path, error.message)
            return "系统暂时无法办理，请稍后再试"
        return shown_message(error.message)

    def withheld_labels(self) -> list[tuple[str, str]]:
        """What the catalogue withheld from this page's data: (field label, reason label),
        each once, in the catalogue's words."""
        seen: dict[str, str] = {}
        types = self.kernel.catalogue.types
        for entry in self.withheld:
            type_name, _, field_name = str(entry["field"]).partition(".")
            spec = types.get(type_name, {}).get("fields", {}).get(field_name, {})
            label = str(spec.get("label") or field_name)
            seen.setdefault(label, str(entry["message"]))
        return sorted(seen.items())

    def class_label(self, name: str) -> str:
        """A sharing class's Chinese name (有条件共享 for ``conditional``)."""
        return str(self.kernel.catalogue.classes.get(name, {}).get("label", name))

    def csrf(self) -> str:
        """The value of the forms' hidden ``csrf_token`` input ('' without a session: a bearer
        client's header is not sent by a browser on its own, so it needs none)."""
        return csrf_token(self.request) if "session" in self.request.scope else ""

    def render(self, template: str, **values: Any) -> HTMLResponse:
        """The page `template` with the area, the signed-in organisation and the labels."""
        return html(
            render(
                template,
                active="",
                area=self.area,
                viewer=self.consumer,
                csrf=self.csrf(),
                label=LABELS,
                class_label=self.class_label,
                **values,
            )
        )


def _labeller(enum_cls: type[LabelledEnum]) -> Callable[[str | None], str]:
    labels = {member.value: member.label for member in enum_cls}

    def label(value: str | None) -> str:
        return MISSING if value is None else labels.get(value, value)

    return label


def when(value: str | None) -> str:
    """A served date-time (ISO 8601) to the minute, as people read it: 2026-12-06 15:16."""
    return MISSING if not value else value[:16].replace("T", " ")


LABELS: dict[str, Callable[[str | None], str]] = {
    "when": when,
    "notice": _labeller(NoticeKind),
    "objection_status": _labeller(ObjectionStatus),
    "ground": _labeller(ObjectionGround),
    "outcome": _labeller(ObjectionOutcome),
    "repair_status": _labeller(RepairStatus),
    "rectification": _labeller(RectificationStatus),
    "role": _labeller(RoleKind),
}
"""The Chinese labels of the enumerations the signed-in pages show (``label.notice(kind)``)."""


async def verified_form(page: Page) -> FormData:
    """The posted form, once it has proved it came from this site's own page.

    A browser sends the session cookie with any form, whichever site made it submit, so a
    request whose consumer may have come from the cookie must carry the session's CSRF token
    (hub/signin/csrf.py). A request naming its consumer in an ``Authorization`` header is
    exempt: no other site can make a browser send that header.
    """
    form = await page.request.form()
    if "authorization" not in page.request.headers:
        try:
            verify_csrf(page.request, form)
        except CsrfRejected as error:
            await form.close()  # its spooled files (a feed upload), unread
            raise PageError(403, "表单已失效", str(error)) from error
    return form


NAME_ALIASES = 15
"""Enterprises named per query (the alias guard allows 15 aliased fields in one document)."""


async def enterprise_names(page: Page, codes: list[str]) -> dict[str, dict[str, Any]]:
    """Name and flags of each enterprise in `codes`, as the page's consumer may see them (by
    统一社会信用代码, 15 a query); codes of no enterprise are left out."""
    found: dict[str, dict[str, Any]] = {}
    unique = sorted(set(codes))
    for start in range(0, len(unique), NAME_ALIASES):
        chunk = unique[start : start + NAME_ALIASES]
        params = ", ".join(f"$u{i}: String!" for i in range(len(chunk)))
        fields = " ".join(
            f"e{i}: enterprise(uscc: $u{i}) {{ uscc name blackListed redListed }}"
            for i in range(len(chunk))
        )
        data = await page.run(
            f"query SiteNames({params}) {{ {fields} }}",
            {f"u{i}": code for i, code in enumerate(chunk)},
        )
        for value in data.values():
            if value is not None:
                found[value["uscc"]] = value
    return found


def _refusal(error: GraphQLError) -> bool:
    """Is `error` the catalogue's refusal (forbidden, no consent, not a member …), rather than
    a wrong argument or an unreachable database?"""
    original = error.original_error
    code = (error.extensions or {}).get("code")
    return (
        isinstance(original, ClientError)
        and not isinstance(original, DatabaseUnavailable)
        and code not in CALLER_CODES
    )


def page_error(errors: list[GraphQLError]) -> PageError:
    """The page a failed query becomes: its status and a Chinese message, no internals."""
    error = errors[0]
    original = error.original_error
    code = (error.extensions or {}).get("code")
    if isinstance(original, DatabaseUnavailable):
        return PageError(503, "暂时无法查询", str(original))
    if code == "FORBIDDEN":
        return PageError(403, "无权查看", "共享目录未向您的机构开放此项信息。")
    if isinstance(original, ClientError | InvalidCursor) or code in CALLER_CODES:
        return PageError(400, "查询条件有误", shown_message(error.message))
    log.error("signed-in page query failed: %s", error.message)
    return PageError(500, "内部错误", "页面暂时无法显示，请稍后再试。")


def form_text(form: FormData, name: str, *, max_length: int = 2000) -> str:
    """A text field of a posted form, stripped ('' when absent or not text)."""
    value = form.get(name)
    return value.strip()[:max_length] if isinstance(value, str) else ""


def signed_in(
    kernel: Kernel, area: Area, handler: Callable[[Page], Awaitable[Response]]
) -> Endpoint:
    """An endpoint of `area`: sign-in first, then the catalogue's admission, then `handler`;
    `PageError`s and an unreachable database answered with a Chinese page."""

    async def endpoint(request: Request) -> Response:
        consumer = asker(request)
        if consumer.is_public:
            return html(
                render(
                    "signed_in_notice.html",
                    active="",
                    title="请先登录",
                    message=f"{area.title}仅向已登录的{area.audience}开放，请先登录本平台账号。",
                    signin=signin_url(request),
                ),
                401,
            )
        if not area.admits(kernel, consumer):
            message = (
                f"您当前登录的机构属于“{consumer.org_kind.label}”。依据信用信息共享目录，"
                f"“{area.operation_label(kernel)}”不向此类机构开放，因此不能使用{area.title}。"
            )
            return html(
                render(
                    "signed_in_notice.html",
                    active="",
                    title="无权使用本服务",
                    message=message,
                    signin=None,
                ),
                403,
            )
        page = Page(kernel, request, consumer, area)
        try:
            return await handler(page)
        except PageError as error:
            return html(
                render(
                    "signed_in_notice.html",
                    active="",
                    title=error.title,
                    message=error.message,
                    signin=None,
                ),
                error.status,
            )
        except (DriverError, Neo4jError, OSError) as error:
            log.warning("signed-in page %s: database unavailable (%s)", request.url.path, error)
            message = str(DatabaseUnavailable())
            return html(
                render(
                    "signed_in_notice.html",
                    active="",
                    title="暂时无法查询",
                    message=message,
                    signin=None,
                ),
                503,
            )

    return endpoint
