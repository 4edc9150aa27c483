"""The consumers the need-to-share tests ask as, with what the fixture graph says about them."""

from __future__ import annotations

from dataclasses import dataclass, field

from authz.identity import PUBLIC, Consumer, OrgKind
from tests.fixtures import A1, B1, B2, CA1, CONSENT_PURPOSE, E1, E2, E5, HOUSING, NDRC, SAMR


@dataclass(frozen=True)
class Asker:
    """A consumer and the subjects for which its per-subject conditions hold."""

    name: str
    consumer: Consumer
    consented: frozenset[str] = field(default_factory=frozenset)
    members: frozenset[str] = field(default_factory=frozenset)

    def holds(self, condition: str, subject: str | None) -> bool:
        """Does `condition` (consent / members / own) hold for `subject`?"""
        if subject is None:
            return False
        if condition == "consent":
            return subject in self.consented
        if condition == "members":
            return subject in self.members
        if condition == "own":
            return subject == self.consumer.org_code
        raise ValueError(condition)


ID_DUTY = frozenset({"personal_id"})
"""What a department's registered duty 身份证件号码 (机构名录 职责) grants: full ID numbers."""


def _org(
    kind: OrgKind,
    code: str,
    *,
    purpose: str | None = None,
    sector: str = "",
    duty: frozenset[str] = frozenset(),
) -> Consumer:
    return Consumer(
        subject=f"tester@{code}",
        org_kind=kind,
        org_code=code,
        sectors=frozenset({sector}) if sector else frozenset(),
        purpose=purpose,
        duty=duty,
    )


ASKERS = (
    Asker("public", PUBLIC),
    Asker(
        "bank with consent",
        _org(OrgKind.BANK, B1, purpose=CONSENT_PURPOSE),
        consented=frozenset({E1}),
    ),
    Asker("bank, other purpose", _org(OrgKind.BANK, B1, purpose="贷后管理")),
    Asker("bank without consent", _org(OrgKind.BANK, B2, purpose=CONSENT_PURPOSE)),
    Asker("credit agency", _org(OrgKind.CREDIT_AGENCY, CA1, purpose="信用报告")),
    Asker(
        "association",
        _org(OrgKind.ASSOCIATION, A1),
        members=frozenset({E1, E5}),
    ),
    Asker("department (duty)", _org(OrgKind.DEPARTMENT, NDRC, sector="发展改革", duty=ID_DUTY)),
    Asker("department (no ID duty)", _org(OrgKind.DEPARTMENT, HOUSING, sector="住房城乡建设")),
    Asker("department (market)", _org(OrgKind.DEPARTMENT, SAMR, sector="市场监管", duty=ID_DUTY)),
    Asker("enterprise itself", _org(OrgKind.ENTERPRISE, E1)),
    Asker("other enterprise", _org(OrgKind.ENTERPRISE, E2)),
    Asker("admin", Consumer(subject="admin", org_kind=OrgKind.ADMIN)),
)

ADMIN = ASKERS[-1].consumer
