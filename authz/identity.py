"""Who is asking: the consumer of a request, as its verified token (or its absence) names it."""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.model import LabelledEnum


class OrgKind(LabelledEnum):
    """Kinds of consumer; the sharing catalogue's rules are written per kind."""

    PUBLIC = ("PUBLIC", "社会公众")
    DEPARTMENT = ("DEPARTMENT", "政府部门")
    BANK = ("BANK", "金融机构")
    ASSOCIATION = ("ASSOCIATION", "行业协会商会")
    CREDIT_AGENCY = ("CREDIT_AGENCY", "信用服务机构")
    ENTERPRISE = ("ENTERPRISE", "市场主体")
    ADMIN = ("ADMIN", "信用管理部门")


@dataclass(frozen=True)
class Consumer:
    """The verified identity behind one request.

    `org_code` is the organisation's 统一社会信用代码 (the node it names in the graph);
    `purpose` is what the request is for (e.g. 贷前审查), which consent grants are bound to.
    `duty` holds the sharing classes (e.g. ``personal_id``) the organisation's registered duty
    grants (机构名录 职责, turned into classes when the token is minted; the catalogue's
    ``consumers.<KIND>.duty`` says which classes a duty may grant at all). `sectors` (行业领域)
    describes the organisation and decides nothing.
    """

    subject: str
    org_kind: OrgKind
    org_code: str | None = None
    org_name: str | None = None
    sectors: frozenset[str] = field(default_factory=frozenset)
    purpose: str | None = None
    duty: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None

    @property
    def is_public(self) -> bool:
        """True for an anonymous request (the disclosure site)."""
        return self.org_kind is OrgKind.PUBLIC


PUBLIC = Consumer(subject="anonymous", org_kind=OrgKind.PUBLIC)
"""Every request without a token."""
