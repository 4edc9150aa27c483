"""Who a signed-in person acts for: the register's organisation (or enterprise) as a `Consumer`.

The identity provider vouches for an organisation's 统一社会信用代码; what that organisation is
(its kind, name, registered duty, sector) comes from the register in the graph, exactly as
`credithub token` reads it, so a signed-in page is served what that organisation's token would
be served. An enterprise (a market entity, not in the register of organisations) signs in as
an ENTERPRISE consumer whose code is its USCC.
"""

from __future__ import annotations

from authz.catalogue import Catalogue
from authz.identity import Consumer
from graph.database import Database
from graph.lifecycle.base import LifecycleError
from hub.identities import KIND_OF_LABEL, organisation_consumer
from loaders.reference import resolve_organisation


class UnknownOrganisation(Exception):
    """The provider vouched for a code the register does not know (or knows as closed)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            f"统一社会信用代码 {code} 不在本平台的机构名录或市场主体库中，无法登录；"
            "请联系市信用办登记机构信息"
        )


async def signed_in_consumer(
    db: Database, catalogue: Catalogue, code: str, subject: str
) -> Consumer:
    """The consumer for the organisation or enterprise whose USCC is `code` (exactly: the
    provider's claim is a code, never a name), or `UnknownOrganisation`."""
    wanted = code.strip().upper()
    try:
        found = await resolve_organisation(db, wanted, include_enterprises=True)
    except LifecycleError:
        raise UnknownOrganisation(wanted) from None
    if found.code != wanted or found.label not in KIND_OF_LABEL:
        raise UnknownOrganisation(wanted)
    try:
        return organisation_consumer(found, subject=subject, catalogue=catalogue)
    except ValueError:
        raise UnknownOrganisation(wanted) from None
