"""Who an organisation of the register acts as: the one `Consumer` that `credithub token`, the
GraphiQL role switcher (local mode only) and a sign-in (hub/signin) all give it, so a token, a
demo token and a session are served the same."""

from __future__ import annotations

from authz.catalogue import Catalogue, default_catalogue
from authz.identity import Consumer, OrgKind
from graph.model import Label, OrganisationKind
from loaders.reference.organisations import Organisation

KIND_OF_LABEL = {
    Label.DEPARTMENT.value: OrgKind.DEPARTMENT,
    Label.BANK.value: OrgKind.BANK,
    Label.ASSOCIATION.value: OrgKind.ASSOCIATION,
    Label.CREDIT_AGENCY.value: OrgKind.CREDIT_AGENCY,
    Label.CREDIT_OFFICE.value: OrgKind.ADMIN,
    Label.ENTERPRISE.value: OrgKind.ENTERPRISE,
}
"""The consumer kind of an organisation (or enterprise), by its node label."""


def organisation_consumer(
    found: Organisation,
    *,
    purpose: str | None = None,
    subject: str | None = None,
    catalogue: Catalogue | None = None,
) -> Consumer:
    """The consumer `found` acts as, through a token, a demo token or a sign-in.

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
