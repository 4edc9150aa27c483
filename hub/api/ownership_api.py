"""The ownership penetration API (股权穿透): `ownershipPenetration` upward from an enterprise,
`controlledHoldings` downward from a person or an enterprise.

Effective shares are built from shareholdings, so this API is no looser than the graph API's
`Enterprise.shareholders` / `investments`: the caller's kind must be allowed the operation at
all (`operations.ownershipPenetration` / `operations.controlledHoldings`, never the public);
then the sharing class of `Shareholder.share` / `Investment.share` (financial) decides per
subject — banks, departments and the credit office see every holding, a credit agency those
of enterprises that consented, an association its members', an enterprise its own. The
starting subject must be visible or the request is refused, naming the rule (`extensions.code`
= the reason: NEEDS_CONSENT, NOT_YOUR_MEMBER, NOT_YOUR_OWN); further up or down, a holding is
followed only when its holder or the enterprise held is visible, and the answer counts the
holdings withheld. Persons appear by key and masked name; full names only when the catalogue's
`Person.name` class is shared with the caller. Every call is one audit entry naming the subjects
returned.
"""

from __future__ import annotations

from functools import cache

import strawberry

from authz import policy
from authz.catalogue import FieldDecision, Reason
from authz.policy import Subject
from graph import ownership
from graph.identifiers import is_valid_uscc, validate_uscc
from hub.api.lifecycle_support import require
from hub.api.query import GraphInfo
from hub.errors import ClientError, Forbidden, InvalidArgument, InvalidUscc

COMPUTED_TYPES = (
    "OwnershipParty",
    "OwnershipHop",
    "OwnershipPath",
    "OwnershipHolder",
    "OwnershipController",
    "BeneficialOwner",
    "OwnershipPenetration",
    "OwnershipHolding",
    "ControlledHoldings",
)
"""Types of this module: computed in the hub under its operations, not by the projection."""


class SubjectNotShared(ClientError):
    """The starting subject's shareholdings are not shared with this caller."""

    def __init__(self, reason: Reason, citation: str) -> None:
        super().__init__(f"{reason.label} (not shared with you: {citation})")
        self.code = reason.value  # type: ignore[misc]  # the stable reason code


@strawberry.type(description="A holder or held enterprise: an enterprise by USCC, a person by key")
class OwnershipParty:
    code: str = strawberry.field(description="统一社会信用代码, or the person's key")
    is_person: bool
    name: str | None = strawberry.field(
        description="Enterprise name; a person's full name only for callers the catalogue's "
        "Person.name class is shared with (else null)"
    )
    name_masked: str | None = strawberry.field(description="A person's de-identified name")

    @classmethod
    def of(cls, party: ownership.Party) -> OwnershipParty:
        """From the graph's party."""
        return cls(
            code=party.code,
            is_person=party.is_person,
            name=party.name,
            name_masked=party.name_masked,
        )


@strawberry.type(description="One shareholding on a path: holder holds share of held")
class OwnershipHop:
    holder: str
    held: str
    share: float


@strawberry.type(description="A chain of shareholdings and the product of its shares")
class OwnershipPath:
    hops: list[OwnershipHop]
    share: float = strawberry.field(description="Product of the shares along the path")

    @classmethod
    def of(cls, hops: tuple[ownership.Hop, ...]) -> OwnershipPath:
        """From the graph's hops."""
        product = 1.0
        for hop in hops:
            product *= hop.share
        return cls(
            hops=[OwnershipHop(holder=h.holder, held=h.held, share=h.share) for h in hops],
            share=product,
        )


@strawberry.type(description="A direct or indirect holder with its effective share (穿透持股)")
class OwnershipHolder:
    party: OwnershipParty
    effective_share: float = strawberry.field(
        description="Sum over simple paths of the product of shares (cycles not followed)"
    )
    direct_share: float | None = strawberry.field(description="Its own direct holding, if any")
    layer: int = strawberry.field(description="Fewest hops to the enterprise (1 = direct)")
    ultimate: bool = strawberry.field(description="Nobody holds it: an ultimate holder")
    beyond_limit: bool = strawberry.field(
        description="Has holders of its own beyond the depth limit (not followed)"
    )
    beneficial_owner: bool = strawberry.field(description="受益所有人")
    controls: bool = strawberry.field(description="Controls the enterprise (实际控制)")
    path_count: int
    paths: list[OwnershipPath] = strawberry.field(description="The paths (at most 10)")


@strawberry.type(description="Who controls the enterprise, and why")
class OwnershipController:
    party: OwnershipParty
    basis: str = strawberry.field(description="RECORDED, MAJORITY_CHAIN or CONTROLLER_OF_PARENT")
    basis_label: str
    via: list[str] = strawberry.field(description="Enterprises the control runs through")


@strawberry.type(
    description="A beneficial owner (受益所有人): by effective share, control, or both"
)
class BeneficialOwner:
    party: OwnershipParty
    effective_share: float
    by_share: bool
    by_control: bool


@strawberry.type(description="Ownership penetration of one enterprise (股权穿透)")
class OwnershipPenetration:
    subject: OwnershipParty
    max_depth: int
    min_share: float
    holders: list[OwnershipHolder] = strawberry.field(
        description="Every holder at or above minShare, largest effective share first"
    )
    ultimate_holders: list[OwnershipHolder]
    controllers: list[OwnershipController]
    beneficial_owners: list[BeneficialOwner]
    circular_share: float = strawberry.field(
        description="Share that flows round a cycle back into the path: attributed to nobody"
    )
    depth_limit_reached: bool
    path_limit_reached: bool
    withheld_holdings: int = strawberry.field(
        description="Shareholdings not followed because they are not shared with you"
    )


@strawberry.type(description="One enterprise held or controlled, directly or indirectly")
class OwnershipHolding:
    enterprise: OwnershipParty
    effective_share: float
    direct_share: float | None
    layer: int
    controls: bool
    control_basis: str | None
    control_basis_label: str | None
    path_count: int
    paths: list[OwnershipPath]


@strawberry.type(description="Everything a person or enterprise holds or controls")
class ControlledHoldings:
    origin: OwnershipParty
    max_depth: int
    min_share: float
    holdings: list[OwnershipHolding]
    depth_limit_reached: bool
    path_limit_reached: bool
    withheld_holdings: int


async def _visibility(
    info: GraphInfo, type_name: str, subject: str, subject_is_person: bool
) -> ownership.Visibility | None:
    """The per-subject visibility of shareholdings for this caller (None: all visible); refuses
    when the caller may see none, or not the starting subject's."""
    context = info.context
    decision: FieldDecision = context.catalogue.field(context.consumer, type_name, "share")
    if decision.allowed:
        context.released.add(decision.coordinate)
        return None
    if not decision.conditional:
        raise Forbidden(f"{(decision.reason or Reason.NOT_SHARED).label} ({decision.citation})")
    params = policy.CypherParams()
    today = context.today()
    predicate = policy.field_condition(
        context.catalogue, context.consumer, decision, ownership.NODE, params, today
    )
    reason = decision.reason or Reason.NOT_SHARED
    if predicate == "false":
        raise SubjectNotShared(reason, decision.citation)
    start = Subject.person(subject) if subject_is_person else Subject.enterprise(subject)
    holds = await policy.field_holds(
        context.db, context.catalogue, context.consumer, decision, start, today
    )
    if holds is False:  # None: no such subject, answered as not found below
        raise SubjectNotShared(reason, decision.citation)
    visibility = ownership.Visibility(predicate, params.values)
    context.released.add(decision.coordinate)
    return visibility


def _full_names(info: GraphInfo) -> bool:
    context = info.context
    decision = context.catalogue.field(context.consumer, "Person", "name")
    if decision.allowed:
        context.released.add(decision.coordinate)
    return decision.allowed


def _uscc(argument: str, value: str) -> str:
    code = value.strip().upper()
    if not code:
        raise InvalidArgument(argument, "must not be empty")
    if not is_valid_uscc(code):
        raise InvalidUscc(argument, [p.reason for p in validate_uscc(code)])
    return code


def _check(max_depth: int | None, min_share: float) -> None:
    if max_depth is not None and not 1 <= max_depth <= ownership.DEPTH_CAP:
        raise InvalidArgument("maxDepth", f"must be between 1 and {ownership.DEPTH_CAP}")
    if not 0.0 <= min_share <= 1.0:
        raise InvalidArgument("minShare", "must be between 0 and 1")


@cache
def _settings() -> ownership.OwnershipSettings:
    """The office's thresholds (graph/ownership.toml), read once per process."""
    return ownership.load_settings()


def _party(party: ownership.Party) -> OwnershipParty:
    return OwnershipParty.of(party)


@strawberry.type
class OwnershipQuery:
    @strawberry.field(
        description="Ownership penetration (股权穿透): every direct and indirect holder of the "
        "enterprise through any number of layers, with effective shares (products along paths, "
        "summed across paths; cycles not followed), ultimate holders, beneficial owners "
        "(受益所有人) and controllers, each with the paths that explain it. maxDepth defaults "
        "to the office's setting (10); holders below minShare are left out"
    )
    async def ownership_penetration(
        self,
        info: GraphInfo,
        uscc: str,
        max_depth: int | None = None,
        min_share: float = 0.0,
    ) -> OwnershipPenetration | None:
        context = info.context
        require(info, "ownershipPenetration")
        code = _uscc("uscc", uscc)
        _check(max_depth, min_share)
        visibility = await _visibility(info, "Shareholder", code, False)
        result = await ownership.penetrate(
            context.db,
            code,
            max_depth=max_depth,
            min_share=min_share,
            settings=_settings(),
            visibility=visibility,
            full_names=_full_names(info),
        )
        context.audit_action(
            "ownership_penetration",
            subjects={code} | ({h.party.code for h in result.holders} if result else set()),
            detail=f"maxDepth={max_depth} minShare={min_share}",
        )
        if result is None:
            return None

        def holder(h: ownership.Holder) -> OwnershipHolder:
            return OwnershipHolder(
                party=_party(h.party),
                effective_share=h.effective_share,
                direct_share=h.direct_share,
                layer=h.layer,
                ultimate=h.ultimate,
                beyond_limit=h.beyond_limit,
                beneficial_owner=h.beneficial_owner,
                controls=h.controls,
                path_count=h.path_count,
                paths=[OwnershipPath.of(p) for p in h.paths],
            )

        return OwnershipPenetration(
            subject=_party(result.subject),
            max_depth=result.max_depth,
            min_share=min_share,
            holders=[holder(h) for h in result.holders],
            ultimate_holders=[holder(h) for h in result.ultimate_holders],
            controllers=[
                OwnershipController(
                    party=_party(c.party),
                    basis=c.basis,
                    basis_label=ownership.ControlBasis.LABELS[c.basis],
                    via=list(c.via),
                )
                for c in result.controllers
            ],
            beneficial_owners=[
                BeneficialOwner(
                    party=_party(o.party),
                    effective_share=o.effective_share,
                    by_share=o.by_share,
                    by_control=o.by_control,
                )
                for o in result.beneficial_owners
            ],
            circular_share=result.circular_share,
            depth_limit_reached=result.depth_limit_reached,
            path_limit_reached=result.path_limit_reached,
            withheld_holdings=result.withheld_holdings,
        )

    @strawberry.field(
        description="The reverse of penetration: every enterprise a person (by key) or an "
        "enterprise (by USCC) holds directly or indirectly, with its effective share and "
        "whether it controls it (majority at every hop, or recorded actual controller); give "
        "exactly one of personKey and uscc"
    )
    async def controlled_holdings(
        self,
        info: GraphInfo,
        person_key: strawberry.ID | None = None,
        uscc: str | None = None,
        max_depth: int | None = None,
        min_share: float = 0.0,
    ) -> ControlledHoldings | None:
        context = info.context
        require(info, "controlledHoldings")
        if (person_key is None) == (uscc is None):
            raise InvalidArgument("personKey", "give exactly one of `personKey` and `uscc`")
        is_person = person_key is not None
        code = str(person_key).strip() if person_key is not None else _uscc("uscc", uscc or "")
        _check(max_depth, min_share)
        visibility = await _visibility(info, "Investment", code, is_person)
        result = await ownership.holdings_of(
            context.db,
            code,
            max_depth=max_depth,
            min_share=min_share,
            settings=_settings(),
            visibility=visibility,
            full_names=_full_names(info),
        )
        context.audit_action(
            "controlled_holdings",
            subjects={code} | ({h.enterprise.code for h in result.holdings} if result else set()),
            detail=f"maxDepth={max_depth} minShare={min_share}",
        )
        if result is None:
            return None
        return ControlledHoldings(
            origin=_party(result.origin),
            max_depth=result.max_depth,
            min_share=min_share,
            holdings=[
                OwnershipHolding(
                    enterprise=_party(h.enterprise),
                    effective_share=h.effective_share,
                    direct_share=h.direct_share,
                    layer=h.layer,
                    controls=h.controls,
                    control_basis=h.control_basis,
                    control_basis_label=ownership.ControlBasis.LABELS.get(h.control_basis or ""),
                    path_count=h.path_count,
                    paths=[OwnershipPath.of(p) for p in h.paths],
                )
                for h in result.holdings
            ],
            depth_limit_reached=result.depth_limit_reached,
            path_limit_reached=result.path_limit_reached,
            withheld_holdings=result.withheld_holdings,
        )
