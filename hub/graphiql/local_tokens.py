"""Who a local token speaks for: one organisation of the register, as `credithub token` and the
GraphiQL role switcher (local mode only) both mint it."""

from __future__ import annotations

from authz.catalogue import Catalogue, default_catalogue
from authz.identity import Consumer, OrgKind
from graph.model import OrganisationKind
from loaders.reference.organisations import Organisation

KIND_OF_LABEL = {
    "Department": OrgKind.DEPARTMENT,
    "Bank": OrgKind.BANK,
    "Association": OrgKind.ASSOCIATION,
    "CreditAgency": OrgKind.CREDIT_AGENCY,
    "CreditOffice": OrgKind.ADMIN,
    "Enterprise": OrgKind.ENTERPRISE,
}
"""The consumer kind of an organisation (or enterprise), by its node label."""


def local_consumer(
    found: Organisation,
    *,
    purpose: str | None = None,
    subject: str | None = None,
    catalogue: Catalogue | None = None,
) -> Consumer:
    """The consumer a local token for `found` stands for.

    Its registered duty (职责) becomes the classes it grants, as far as the catalogue lets a duty
    grant them (``consumers.<KIND>.duty``); a department carries its 行业领域. Raises ValueError
    when the duty names a class a duty cannot grant.
    """
    kind = KIND_OF_LABEL[found.label]
    duty = (catalogue or default_catalogue()).duty_classes(kind, found.duty)
    return Consumer(
        subject=subject or f"local@{found.code}",
        org_kind=kind,
        org_code=found.code,
        org_name=found.name,
        sectors=frozenset({found.sector})
        if found.sector and found.kind is OrganisationKind.DEPARTMENT
        else frozenset(),
        purpose=purpose,
        duty=duty,
    )
