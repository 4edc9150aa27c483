"""What the site's forms send, read from the query string and checked before anything runs.

Every page works as a plain GET form (no JavaScript needed), so its state is the query string.
A value that cannot be used is said so on the page in Chinese — which field and why — and the
form comes back filled in as it was sent.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.model import RecordKind

MAX_QUERY_LENGTH = 100
"""Longest search text `searchEnterprises` accepts (and `disclosedRecords` its keyword, 文号)."""

MAX_KEYWORDS = 5
"""Words of a keyword search `disclosedRecords` accepts (hub/api/disclosure_api.py, which the
site does not import: hub.site depends on the API only through GraphQL)."""

DISCLOSED = {RecordKind.LICENSE.value: "行政许可", RecordKind.PENALTY.value: "行政处罚"}
"""The 双公示 kinds a listing may be limited to, with the words the form shows."""


def _text(params: Mapping[str, str], name: str) -> str:
    return params.get(name, "").strip()


def cursor(params: Mapping[str, str], name: str) -> str | None:
    """A page cursor from the query string (checked by the API, which issued it)."""
    value = _text(params, name)
    return value or None


@dataclass(frozen=True)
class SearchForm:
    """The search box: a name (or part of one) or a 统一社会信用代码 (or its beginning)."""

    query: str
    after: str | None
    problem: str | None

    @classmethod
    def read(cls, params: Mapping[str, str]) -> SearchForm:
        """The search as sent; `problem` says what is wrong with it, if anything."""
        query = " ".join(_text(params, "q").split())
        problem = None
        if not query:
            problem = "请输入企业名称或统一社会信用代码"
        elif len(query) > MAX_QUERY_LENGTH:
            problem = f"查询内容过长，请不超过 {MAX_QUERY_LENGTH} 个字符"
        return cls(query=query, after=cursor(params, "after"), problem=problem)


def _date(params: Mapping[str, str], name: str, label: str, problems: list[str]) -> str:
    value = _text(params, name)
    if not value:
        return ""
    try:
        # Normalised, so that the range check below can compare the texts.
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        problems.append(f"{label}“{value}”不是有效日期，请按 年-月-日 填写，如 2026-03-10")
        return value


def _search_text(params: Mapping[str, str], name: str, label: str, problems: list[str]) -> str:
    value = " ".join(_text(params, name).split())
    if len(value) > MAX_QUERY_LENGTH:
        problems.append(f"{label}过长，请不超过 {MAX_QUERY_LENGTH} 个字符")
    return value


@dataclass(frozen=True)
class DisclosureForm:
    """The 双公示 filters: kind (the tab), keyword, 文号, deciding department, decision dates
    from/to, and the page."""

    kind: str
    department: str
    decided_from: str
    decided_to: str
    after: str | None
    problems: list[str] = field(default_factory=list)
    keyword: str = ""
    number: str = ""

    @classmethod
    def read(cls, params: Mapping[str, str]) -> DisclosureForm:
        """The filters as sent; `problems` lists each one that cannot be used."""
        problems: list[str] = []
        kind = _text(params, "kind").upper()
        if kind and kind not in DISCLOSED:
            problems.append("信息类别只能是行政许可或行政处罚")
        decided_from = _date(params, "from", "起始日期", problems)
        decided_to = _date(params, "to", "截止日期", problems)
        if not problems and decided_from and decided_to and decided_from > decided_to:
            problems.append("起始日期不能晚于截止日期")
        keyword = _search_text(params, "q", "关键词", problems)
        number = _search_text(params, "number", "决定文书号", problems)
        if len(keyword.split()) > MAX_KEYWORDS:
            problems.append(f"关键词最多 {MAX_KEYWORDS} 个，请用空格分隔")
        return cls(
            keyword=keyword,
            number=number,
            kind=kind,
            department=_text(params, "department").upper(),
            decided_from=decided_from,
            decided_to=decided_to,
            after=cursor(params, "after"),
            problems=problems,
        )

    def variables(self) -> dict[str, Any]:
        """The variables of the `disclosedRecords` document for these filters."""
        return {
            "kinds": [self.kind] if self.kind else None,
            "department": self.department or None,
            "from": self.decided_from or None,
            "to": self.decided_to or None,
            "keyword": self.keyword or None,
            "number": self.number or None,
            "after": self.after,
        }

    def query_string(self, **changes: str) -> dict[str, str]:
        """These filters as query parameters (empty ones left out), with `changes` applied."""
        values = {
            "kind": self.kind,
            "q": self.keyword,
            "number": self.number,
            "department": self.department,
            "from": self.decided_from,
            "to": self.decided_to,
            **changes,
        }
        return {name: value for name, value in values.items() if value}
