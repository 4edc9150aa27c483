"""Typed models of the reference files: what a clerk may write, and what each cell must hold.

One model per row (an organisation, a measure, a commitment item) and one per catalogue file.
The models are the formats' documentation: field names are the TOML keys, and
`ORGANISATION_HEADERS` maps the Chinese CSV headers onto them. Every validator's message is
Chinese then English, so `files.py` can report it with the file, row and field.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from graph.identifiers import validate_uscc
from graph.model import MeasureCategory, OrganisationKind

__all__ = [
    "KIND_NAMES",
    "ORGANISATION_HEADERS",
    "BasisDocument",
    "CommitmentItemEntry",
    "CommitmentItemFile",
    "MeasureCatalogueFile",
    "MeasureEntry",
    "OrganisationEntry",
    "OrganisationFile",
    "checked_code",
    "parse_kind",
    "split_names",
]

_SEPARATORS: Final = re.compile(r"[、;；,，\n]")
_ITEM_CODE: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")

KIND_NAMES: Final[dict[str, OrganisationKind]] = {
    **{kind.label: kind for kind in OrganisationKind},
    **{kind.value.lower(): kind for kind in OrganisationKind},
    "政府部门": OrganisationKind.DEPARTMENT,
    "金融机构": OrganisationKind.BANK,
    "agency": OrganisationKind.CREDIT_AGENCY,
    "行业协会商会": OrganisationKind.ASSOCIATION,
    "office": OrganisationKind.CREDIT_OFFICE,
}
"""Words a clerk may write for a kind: the Chinese label, the English name, the CLI's short word."""

ORGANISATION_HEADERS: Final[dict[str, str]] = {
    "统一社会信用代码": "code",
    "代码": "code",
    "名称": "name",
    "单位名称": "name",
    "机构名称": "name",
    "简称/别名": "short_names",
    "简称": "short_names",
    "别名": "short_names",
    "简称或别名": "short_names",
    "类别": "kind",
    "机构类别": "kind",
    "行业领域": "sector",
    "领域": "sector",
    "职责/可查看个人信息": "duty",
    "职责": "duty",
    "可查看个人信息": "duty",
    "决定类型": "decision_types",
    "决定文号前缀": "document_prefixes",
    "文号前缀": "document_prefixes",
    "业务范围": "services",
    "撤销日期": "closed_on",
    "注销日期": "closed_on",
}
"""CSV headers (Chinese, as a clerk writes them) → model fields; the field names work too."""


def split_names(value: Any) -> list[str]:
    """Several names in one cell (separated by 、 ; ， or a line break), or a list; deduplicated."""
    if value is None:
        return []
    parts = _SEPARATORS.split(value) if isinstance(value, str) else [str(v) for v in value]
    return list(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


def parse_kind(value: Any) -> OrganisationKind:
    """The kind a clerk wrote (部门, 银行, bank, CREDIT_AGENCY …)."""
    if isinstance(value, OrganisationKind):
        return value
    kind = KIND_NAMES.get(str(value).strip().lower()) or KIND_NAMES.get(str(value).strip())
    if kind is None:
        allowed = "/".join(k.label for k in OrganisationKind)
        raise ValueError(f"类别应为 {allowed} (kind must be one of {allowed}, got {value!r})")
    return kind


def checked_code(value: Any) -> str:
    """A 统一社会信用代码 checked by GB 32100 (upper-cased, spaces removed)."""
    code = str(value or "").strip().replace(" ", "").upper()
    problems = validate_uscc(code)
    if problems:
        raise ValueError("; ".join(p.reason for p in problems))
    return code


def _optional_text(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _category(value: Any) -> Any:
    if isinstance(value, str):
        for member in MeasureCategory:
            if value.strip() in (member.label, member.value):
                return member
        allowed = "/".join(m.label for m in MeasureCategory)
        raise ValueError(f"类别应为 {allowed} (category must be one of {allowed})")
    return value


Names = Annotated[list[str], BeforeValidator(split_names)]
OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
OptionalDate = Annotated[date | None, BeforeValidator(_optional_text)]
Code = Annotated[str, BeforeValidator(checked_code)]


class OrganisationEntry(BaseModel):
    """One organisation: a row of the organisations CSV or an `[[organisation]]` of the TOML."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    code: Code = Field(description="统一社会信用代码 (GB 32100, checked)")
    name: str = Field(min_length=2, max_length=100, description="名称: the full registered name")
    kind: Annotated[OrganisationKind, BeforeValidator(parse_kind)] = Field(
        description="类别: 部门/银行/信用服务机构/行业协会/信用管理部门"
    )
    short_names: Names = Field(default_factory=list, description="简称/别名: 、 or ; between")
    sector: OptionalText = Field(default=None, description="行业领域 (departments: required)")
    duty: Names = Field(default_factory=list, description="职责/可查看个人信息 (departments)")
    decision_types: Names = Field(default_factory=list, description="决定类型 it takes")
    document_prefixes: Names = Field(default_factory=list, description="决定文号前缀")
    services: OptionalText = Field(default=None, description="业务范围 (credit agencies)")
    closed_on: OptionalDate = Field(default=None, description="撤销日期: closed since (YYYY-MM-DD)")

    @field_validator("short_names")
    @classmethod
    def _short_names_are_short(cls, names: list[str]) -> list[str]:
        for name in names:
            if len(name) > 100:
                raise ValueError("简称不能超过100字 (a short name has at most 100 characters)")
        return names

    @model_validator(mode="after")
    def _department_has_sector(self) -> OrganisationEntry:
        if self.kind is OrganisationKind.DEPARTMENT and not self.sector:
            raise ValueError("部门须填写行业领域 (a department needs its sector, 行业领域)")
        return self

    @property
    def aliases(self) -> list[str]:
        """The short names other than the full name."""
        return [n for n in self.short_names if n != self.name]


class OrganisationFile(BaseModel):
    """An organisations TOML file: ``[[organisation]]`` tables."""

    model_config = ConfigDict(extra="forbid")

    organisation: list[dict[str, Any]] = Field(min_length=1)


class BasisDocument(BaseModel):
    """A document the measures rest on (国办发〔2020〕49号 …)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    reference: str = Field(min_length=1, max_length=200, description="文号 or the law's name")
    title: str = Field(min_length=1, max_length=300, description="标题")


class MeasureEntry(BaseModel):
    """One measure of the 联合奖惩措施清单."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    code: str = Field(pattern=r"^[A-Za-z0-9._-]{1,32}$", description="措施编码")
    name: str = Field(min_length=2, max_length=200, description="措施名称")
    category: Annotated[MeasureCategory, BeforeValidator(_category)] = Field(
        description="类别: 行政性/市场性/行业性/社会性惩戒"
    )
    basis: str = Field(min_length=2, max_length=1000, description="法律、法规和政策依据")
    business: str = Field(min_length=1, max_length=100, description="限制的业务 (招投标 …)")
    implemented_by: OptionalText = Field(
        default=None, description="实施部门: its code, name or short name"
    )


class MeasureCatalogueFile(BaseModel):
    """A measures catalogue TOML file: title, version, basis documents and measures."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=2, max_length=200)
    version: str = Field(min_length=1, max_length=40, description="清单版本")
    published_on: date | None = None
    basis_document: list[BasisDocument] = Field(default_factory=list)
    measure: list[dict[str, Any]] = Field(min_length=1)


class CommitmentItemEntry(BaseModel):
    """One item of the 信用承诺事项目录."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    code: str = Field(description="事项编码")
    name: str = Field(min_length=2, max_length=200, description="事项名称")
    offered_by: str = Field(min_length=2, description="提供单位: code, name or short name")
    template: str = Field(min_length=10, max_length=5000, description="承诺书文本")
    active: bool = True

    @field_validator("code")
    @classmethod
    def _item_code(cls, code: str) -> str:
        if not _ITEM_CODE.fullmatch(code):
            raise ValueError(
                "事项编码为1–64位字母、数字或 . _ - (1–64 letters, digits, '.', '_' or '-')"
            )
        return code


class CommitmentItemFile(BaseModel):
    """A commitment catalogue TOML file: ``[[item]]`` tables."""

    model_config = ConfigDict(extra="forbid")

    item: list[dict[str, Any]] = Field(min_length=1)
