"""Ownership penetration (股权穿透): who ultimately owns and controls an enterprise; the reverse.

Shareholdings are ``(Person|Enterprise)-[:SHAREHOLDER_OF {share}]->(Enterprise)`` with ``share``
in 0..1. From an enterprise we follow them upward through any number of layers; from a person or
an enterprise we follow them downward. One Cypher query fetches the part of the graph within
reach (the node set by a breadth-first, node-pruning expansion, then each node's holdings), and
the paths are enumerated here, so the work is one round trip whatever the depth.

**Effective share.** Along one path the product of the shares; for a holder, the sum over every
path from it to the enterprise. Only *simple* paths count: a path never visits a node twice.

**Cycles** (A holds B, B holds A). When the next holder on a path is already on it, the path is
not followed round the loop; the product that would flow back into the loop is reported as
``circular_share`` and attributed to nobody. Each node's shareholders hold at most 100 % of it,
so on every branch the shares passed upward never exceed what came in, and the effective shares
of the ultimate holders plus the circular share never exceed 1: a cycle can neither loop nor
inflate a share. (The alternative — solving the infinite series round the loop — attributes
the self-held part back to the outside holders; a register of holdings records no such
holding, so we do not invent one.)

**Ultimate holders** hold shares and are held by nobody (persons, or enterprises without
recorded shareholders). A path that reaches the depth limit while its last holder still has
holders stops there; the result says so (``depth_limit_reached``) and that holder is listed
with ``beyond_limit``.

**Beneficial owners (受益所有人).** Natural persons with an effective share of at least
``beneficial_owner_share`` (25 %, the PBOC rule), and — as the same rule counts control — the
persons who control the enterprise when ``controllers_are_beneficial_owners``.

**Control (控制).** The persons recorded as ``ACTUAL_CONTROLLER_OF`` the enterprise; every holder
along the chain of control — the holder of more than ``control_share`` (50 %) of the enterprise,
that holder's own majority holder, and so on up; and the recorded actual controllers of the
enterprises on that chain. Downward, the same rule: an origin controls what it holds above the
threshold, what it is the recorded actual controller of, and whatever those control in turn.

**Visibility.** A caller may pass a Cypher predicate over a node (`Visibility`): a holding is
read only when the predicate holds for its holder or for the enterprise held (the sharing
catalogue's per-subject conditions), so shares the caller may not see never leave the
database; the result counts the holdings withheld.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, LiteralString

from graph.database import Database

__all__ = [
    "NODE",
    "BeneficialOwner",
    "ControlBasis",
    "Controller",
    "Holder",
    "Holding",
    "Hop",
    "OwnershipError",
    "OwnershipSettings",
    "Party",
    "Penetration",
    "Portfolio",
    "Visibility",
    "holdings_of",
    "load_settings",
    "penetrate",
]

SETTINGS_FILE: Final = Path(__file__).with_name("ownership.toml")
DEPTH_CAP: Final = 30
"""The most layers any query follows (a literal in the Cypher: bounds cannot be parameters)."""


class OwnershipError(ValueError):
    """Settings or arguments that cannot be used; the message names the value."""


@dataclass(frozen=True)
class OwnershipSettings:
    """The thresholds of penetration, as the office tunes them in ``graph/ownership.toml``."""

    default_depth: int = 10
    beneficial_owner_share: float = 0.25
    control_share: float = 0.5
    controllers_are_beneficial_owners: bool = True
    max_paths: int = 50_000
    """Paths enumerated per query at most; beyond it the result says ``path_limit_reached``."""

    def __post_init__(self) -> None:
        if not 1 <= self.default_depth <= DEPTH_CAP:
            raise OwnershipError(f"default_depth must be between 1 and {DEPTH_CAP}")
        if not 0.0 < self.beneficial_owner_share <= 1.0:
            raise OwnershipError("beneficial_owner_share must be in (0, 1]")
        if not 0.0 <= self.control_share < 1.0:
            raise OwnershipError("control_share must be in [0, 1)")
        if self.max_paths < 1:
            raise OwnershipError("max_paths must be at least 1")


def load_settings(path: Path = SETTINGS_FILE) -> OwnershipSettings:
    """The settings in `path` (defaults for what it leaves out); OwnershipError names a bad key."""
    with path.open("rb") as handle:
        data = tomllib.load(handle).get("ownership", {})
    known = set(OwnershipSettings.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise OwnershipError(f"{path.name}: unknown key(s) under [ownership]: {', '.join(unknown)}")
    for key, value in data.items():
        expected = type(getattr(OwnershipSettings(), key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            data[key] = float(value)
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise OwnershipError(f"{path.name}: [ownership].{key} must be {expected.__name__}")
    return OwnershipSettings(**data)


NODE: Final = "__NODE__"
"""Placeholder for the node variable in a `Visibility` predicate."""


@dataclass(frozen=True)
class Visibility:
    """A Cypher predicate over the node `NODE` stands for, and its parameters: true when the
    caller may see that node's holdings (as holder or as the enterprise held)."""

    predicate: str
    params: dict[str, Any] = field(default_factory=dict)

    def over(self, variable: str) -> str:
        """The predicate about `variable`."""
        # A missing property makes a comparison null; null must count as "not visible".
        return "coalesce((" + self.predicate.replace(NODE, variable) + "), false)"


@dataclass(frozen=True)
class Party:
    """A holder or a held enterprise: an enterprise by USCC or a person by key.

    ``name`` is the enterprise's name, or the person's full name when it was asked for;
    ``name_masked`` is the de-identified name of a person.
    """

    code: str
    is_person: bool
    name: str | None
    name_masked: str | None


@dataclass(frozen=True)
class Hop:
    """One shareholding on a path: `holder` holds `share` of `held`."""

    holder: str
    held: str
    share: float


class ControlBasis:
    """Why a party controls an enterprise (stable codes, Chinese labels)."""

    RECORDED: Final = "RECORDED"
    MAJORITY_CHAIN: Final = "MAJORITY_CHAIN"
    CONTROLLER_OF_PARENT: Final = "CONTROLLER_OF_PARENT"
    LABELS: Final = {
        RECORDED: "登记的实际控制人",
        MAJORITY_CHAIN: "逐层持股超过控股比例",
        CONTROLLER_OF_PARENT: "控股股东的实际控制人",
    }


@dataclass(frozen=True)
class Controller:
    """A party that controls the enterprise, why, and the enterprises the control runs through."""

    party: Party
    basis: str
    via: tuple[str, ...]


@dataclass(frozen=True)
class Holder:
    """One holder of the enterprise, direct or indirect, with the paths that explain its share."""

    party: Party
    effective_share: float
    direct_share: float | None
    layer: int
    """Fewest hops from this holder to the enterprise (1 = a direct shareholder)."""
    ultimate: bool
    beyond_limit: bool
    beneficial_owner: bool
    controls: bool
    paths: tuple[tuple[Hop, ...], ...]
    path_count: int


@dataclass(frozen=True)
class BeneficialOwner:
    """A natural person who is a 受益所有人: by effective share, by control, or both."""

    party: Party
    effective_share: float
    by_share: bool
    by_control: bool


@dataclass(frozen=True)
class Penetration:
    """The upward answer for one enterprise."""

    subject: Party
    max_depth: int
    holders: tuple[Holder, ...]
    controllers: tuple[Controller, ...]
    beneficial_owners: tuple[BeneficialOwner, ...]
    circular_share: float
    depth_limit_reached: bool
    path_limit_reached: bool
    withheld_holdings: int

    @property
    def ultimate_holders(self) -> tuple[Holder, ...]:
        """Holders that nobody holds."""
        return tuple(h for h in self.holders if h.ultimate)


@dataclass(frozen=True)
class Holding:
    """One enterprise the origin holds or controls, directly or indirectly."""

    enterprise: Party
    effective_share: float
    direct_share: float | None
    layer: int
    controls: bool
    control_basis: str | None
    paths: tuple[tuple[Hop, ...], ...]
    path_count: int


@dataclass(frozen=True)
class Portfolio:
    """The downward answer for one person or enterprise."""

    origin: Party
    max_depth: int
    holdings: tuple[Holding, ...]
    depth_limit_reached: bool
    path_limit_reached: bool
    withheld_holdings: int


# -- reading the reachable part of the graph -------------------------------------------------
_PARTY: Final = (
    "CASE WHEN n:Person THEN n.key ELSE n.uscc END AS code, n:Person AS isPerson, "
    "CASE WHEN n:Person THEN CASE WHEN $fullNames THEN n.name END ELSE n.name END AS name, "
    "CASE WHEN n:Person THEN n.nameMasked END AS nameMasked"
)

# The node set comes from `collect(DISTINCT …)` over a variable-length pattern, which the planner
# answers with a pruning breadth-first expansion (each node once), so cycles cost nothing here.
_UPWARD: Final = (
    "MATCH (x:Enterprise {uscc: $code}) "
    "CALL (x) { "
    "  MATCH (x)<-[:SHAREHOLDER_OF*1..__DEPTH__]-(m) RETURN collect(DISTINCT m) AS above "
    "} "
    "UNWIND [x] + above AS n "
    "RETURN " + _PARTY + ", "
    "COLLECT { MATCH (h)-[r:SHAREHOLDER_OF]->(n) WHERE __VISIBLE_N__ OR __VISIBLE_H__ "
    "  RETURN {code: CASE WHEN h:Person THEN h.key ELSE h.uscc END, share: r.share} } AS links, "
    "COUNT { MATCH (h)-[r:SHAREHOLDER_OF]->(n) WHERE NOT (__VISIBLE_N__ OR __VISIBLE_H__) } "
    "  AS withheld, "
    "COLLECT { MATCH (p:Person)-[:ACTUAL_CONTROLLER_OF]->(n) "
    "  RETURN {code: p.key, name: CASE WHEN $fullNames THEN p.name END, "
    "  nameMasked: p.nameMasked} } AS controllers"
)

_DOWNWARD: Final = (
    "MATCH (o) WHERE (o:Enterprise AND o.uscc = $code) OR (o:Person AND o.key = $code) "
    "CALL (o) { "
    "  OPTIONAL MATCH (o)-[:SHAREHOLDER_OF*1..__DEPTH__]->(m) RETURN collect(DISTINCT m) AS held "
    "} "
    "CALL (o) { "
    "  OPTIONAL MATCH (o)-[:ACTUAL_CONTROLLER_OF]->(:Enterprise)"
    "-[:SHAREHOLDER_OF*0..__DEPTH__]->(m) "
    "  RETURN collect(DISTINCT m) AS controlled "
    "} "
    "WITH o, held, controlled "
    "UNWIND [o] + held + [c IN controlled WHERE NOT c IN held] AS n "
    "WITH DISTINCT o, n "
    "RETURN " + _PARTY + ", "
    "COLLECT { MATCH (n)-[r:SHAREHOLDER_OF]->(h:Enterprise) WHERE __VISIBLE_N__ OR __VISIBLE_H__ "
    "  RETURN {code: h.uscc, share: r.share} } AS links, "
    "COUNT { MATCH (n)-[r:SHAREHOLDER_OF]->(h:Enterprise) "
    "  WHERE NOT (__VISIBLE_N__ OR __VISIBLE_H__) } AS withheld, "
    "EXISTS { MATCH (o)-[:ACTUAL_CONTROLLER_OF]->(n) } AS recordedControl"
)


def _compile(template: str, depth: int, visibility: Visibility | None) -> LiteralString:
    """The query with its depth bound and visibility predicates filled in."""
    visible_n = visibility.over("n") if visibility else "true"
    visible_h = visibility.over("h") if visibility else "true"
    query = (
        template.replace("__DEPTH__", str(int(depth)))
        .replace("__VISIBLE_N__", visible_n)
        .replace("__VISIBLE_H__", visible_h)
    )
    return query  # built from literals and a checked int only


def _party(row: dict[str, Any]) -> Party:
    return Party(row["code"], bool(row["isPerson"]), row["name"], row["nameMasked"])


def _check_depth(max_depth: int | None, settings: OwnershipSettings) -> int:
    depth = settings.default_depth if max_depth is None else max_depth
    if not 1 <= depth <= DEPTH_CAP:
        raise OwnershipError(f"maxDepth must be between 1 and {DEPTH_CAP}")
    return depth


@dataclass(frozen=True)
class _Reach:
    """The part of the graph within reach of an origin, as the query returned it."""

    depth: int
    rows: list[dict[str, Any]]
    parties: dict[str, Party]
    links: dict[str, list[tuple[str, float]]]  # each node's holdings or holders, largest first
    withheld: int


async def _reach(
    db: Database,
    template: str,
    code: str,
    max_depth: int | None,
    min_share: float,
    settings: OwnershipSettings,
    visibility: Visibility | None,
    full_names: bool,
) -> _Reach | None:
    """Check the arguments and read everything `template` reaches from `code` in one query;
    None when there is no such origin. Shared by both directions."""
    depth = _check_depth(max_depth, settings)
    if not 0.0 <= min_share <= 1.0:
        raise OwnershipError("minShare must be between 0 and 1")
    rows = await db.read(
        _compile(template, depth, visibility),
        {"code": code, "fullNames": full_names, **(visibility.params if visibility else {})},
    )
    if not rows:
        return None
    return _Reach(
        depth=depth,
        rows=rows,
        parties={row["code"]: _party(row) for row in rows},
        links={
            row["code"]: sorted(
                ((link["code"], float(link["share"] or 0.0)) for link in row["links"]),
                key=lambda item: (-item[1], item[0]),
            )
            for row in rows
        },
        withheld=sum(int(row["withheld"]) for row in rows),
    )


# -- upward: who owns and controls an enterprise ---------------------------------------------
@dataclass
class _Walk:
    """What the path enumeration accumulates."""

    effective: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    paths: dict[str, list[tuple[Hop, ...]]] = field(default_factory=lambda: defaultdict(list))
    path_count: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    layer: dict[str, int] = field(default_factory=dict)
    beyond: set[str] = field(default_factory=set)
    circular: float = 0.0
    enumerated: int = 0
    depth_limited: bool = False
    path_limited: bool = False


def _enumerate(
    start: str,
    links: dict[str, list[tuple[str, float]]],
    depth: int,
    settings: OwnershipSettings,
    paths_kept: int,
    *,
    upward: bool,
) -> _Walk:
    """Every simple path from `start` along `links` (node → [(next node, share)]), up to
    `depth` hops; effective shares summed per node reached."""
    walk = _Walk()
    # An explicit stack: (node, product, path so far as hops, nodes on the path)
    stack: list[tuple[str, float, tuple[Hop, ...], frozenset[str]]] = [
        (start, 1.0, (), frozenset({start}))
    ]
    while stack:
        node, product, hops, on_path = stack.pop()
        for other, share in links.get(node, ()):
            if walk.enumerated >= settings.max_paths:
                walk.path_limited = True
                return walk
            if other in on_path:
                walk.circular += product * share
                continue
            walk.enumerated += 1
            value = product * share
            hop = Hop(other, node, share) if upward else Hop(node, other, share)
            path = (hop, *hops) if upward else (*hops, hop)
            walk.effective[other] += value
            walk.path_count[other] += 1
            if len(walk.paths[other]) < paths_kept:
                walk.paths[other].append(path)
            length = len(path)
            walk.layer[other] = min(walk.layer.get(other, length), length)
            if links.get(other):
                if length >= depth:
                    walk.depth_limited = True
                    walk.beyond.add(other)
                else:
                    stack.append((other, value, path, on_path | {other}))
    return walk


async def penetrate(
    db: Database,
    uscc: str,
    *,
    max_depth: int | None = None,
    min_share: float = 0.0,
    settings: OwnershipSettings | None = None,
    visibility: Visibility | None = None,
    full_names: bool = False,
    paths_per_holder: int = 10,
) -> Penetration | None:
    """Everyone who holds `uscc` directly or indirectly, with effective shares, beneficial owners
    and controllers; holders below `min_share` are left out. None when no such enterprise."""
    settings = settings or OwnershipSettings()
    reach = await _reach(db, _UPWARD, uscc, max_depth, min_share, settings, visibility, full_names)
    if reach is None:
        return None
    depth, found, parties, links, withheld = (
        reach.depth,
        reach.rows,
        reach.parties,
        reach.links,
        reach.withheld,
    )
    recorded = {row["code"]: row["controllers"] for row in found}
    walk = _enumerate(uscc, links, depth, settings, paths_per_holder, upward=True)

    # The chain of control: each majority holder's majority holder, as far as it goes.
    chain: list[str] = []
    current = uscc
    while True:
        majority = [h for h, share in links.get(current, ()) if share > settings.control_share]
        if (
            not majority
            or majority[0] in chain
            or majority[0] == uscc
            or majority[0] not in parties
            or len(chain) >= depth
        ):
            break
        chain.append(majority[0])
        current = majority[0]
    controllers: dict[str, Controller] = {}
    for position, code in enumerate(chain):
        controllers[code] = Controller(
            parties[code], ControlBasis.MAJORITY_CHAIN, tuple(chain[:position])
        )
    for via, enterprise in enumerate([uscc, *(c for c in chain if not parties[c].is_person)]):
        for person in recorded.get(enterprise, ()):
            if person["code"] in controllers:
                continue
            party = parties.get(person["code"]) or Party(
                person["code"], True, person["name"], person["nameMasked"]
            )
            basis = ControlBasis.RECORDED if via == 0 else ControlBasis.CONTROLLER_OF_PARENT
            controllers[person["code"]] = Controller(party, basis, tuple(chain[:via]))

    holders: list[Holder] = []
    for code, effective in walk.effective.items():
        if effective + 1e-12 < min_share:
            continue
        party = parties[code]
        controls = code in controllers
        beneficial = party.is_person and (
            effective + 1e-12 >= settings.beneficial_owner_share
            or (controls and settings.controllers_are_beneficial_owners)
        )
        direct = next((share for h, share in links.get(uscc, ()) if h == code), None)
        holders.append(
            Holder(
                party=party,
                effective_share=effective,
                direct_share=direct,
                layer=walk.layer[code],
                ultimate=not links.get(code),
                beyond_limit=code in walk.beyond,
                beneficial_owner=beneficial,
                controls=controls,
                paths=tuple(walk.paths[code]),
                path_count=walk.path_count[code],
            )
        )
    holders.sort(key=lambda h: (-h.effective_share, h.layer, h.party.code))
    owners = {
        h.party.code: BeneficialOwner(
            h.party,
            h.effective_share,
            h.effective_share + 1e-12 >= settings.beneficial_owner_share,
            h.controls,
        )
        for h in holders
        if h.beneficial_owner
    }
    if settings.controllers_are_beneficial_owners:
        # A recorded controller need hold nothing: control alone makes a beneficial owner.
        for controller in controllers.values():
            if controller.party.is_person and controller.party.code not in owners:
                share = walk.effective.get(controller.party.code, 0.0)
                owners[controller.party.code] = BeneficialOwner(
                    controller.party,
                    share,
                    share + 1e-12 >= settings.beneficial_owner_share,
                    True,
                )
    return Penetration(
        subject=parties[uscc],
        max_depth=depth,
        holders=tuple(holders),
        controllers=tuple(controllers.values()),
        beneficial_owners=tuple(
            sorted(owners.values(), key=lambda o: (-o.effective_share, o.party.code))
        ),
        circular_share=walk.circular,
        depth_limit_reached=walk.depth_limited,
        path_limit_reached=walk.path_limited,
        withheld_holdings=withheld,
    )


# -- downward: what a person or an enterprise holds and controls -----------------------------
async def holdings_of(
    db: Database,
    code: str,
    *,
    max_depth: int | None = None,
    min_share: float = 0.0,
    settings: OwnershipSettings | None = None,
    visibility: Visibility | None = None,
    full_names: bool = False,
    paths_per_holding: int = 10,
) -> Portfolio | None:
    """Every enterprise `code` (a person key or a USCC) holds or controls, directly or
    indirectly; holdings below `min_share` that it does not control are left out. None when
    there is no such person or enterprise."""
    settings = settings or OwnershipSettings()
    reach = await _reach(
        db, _DOWNWARD, code, max_depth, min_share, settings, visibility, full_names
    )
    if reach is None:
        return None
    depth, found, parties, links, withheld = (
        reach.depth,
        reach.rows,
        reach.parties,
        reach.links,
        reach.withheld,
    )
    walk = _enumerate(code, links, depth, settings, paths_per_holding, upward=False)

    # Control spreads from what the origin controls to what that holds above the threshold.
    basis: dict[str, str] = {}
    control_path: dict[str, tuple[Hop, ...]] = {}
    frontier: list[str] = []
    for row in found:
        if row["recordedControl"]:
            basis[row["code"]] = ControlBasis.RECORDED
            control_path[row["code"]] = ()
            frontier.append(row["code"])
    for held, share in links.get(code, ()):
        if share > settings.control_share and held not in basis and held in parties:
            basis[held] = ControlBasis.MAJORITY_CHAIN
            control_path[held] = (Hop(code, held, share),)
            frontier.append(held)
    while frontier:
        controller = frontier.pop()
        for held, share in links.get(controller, ()):
            if (
                share > settings.control_share
                and held not in basis
                and held != code
                and held in parties  # beyond the depth limit: not read
            ):
                basis[held] = (
                    ControlBasis.MAJORITY_CHAIN
                    if basis[controller] == ControlBasis.MAJORITY_CHAIN
                    else ControlBasis.CONTROLLER_OF_PARENT
                )
                control_path[held] = (*control_path[controller], Hop(controller, held, share))
                frontier.append(held)

    holdings: list[Holding] = []
    for enterprise in set(walk.effective) | set(basis):
        effective = walk.effective.get(enterprise, 0.0)
        controls = enterprise in basis
        if effective + 1e-12 < min_share and not controls:
            continue
        paths = list(walk.paths.get(enterprise, []))
        if controls and control_path[enterprise] and control_path[enterprise] not in paths:
            paths.insert(0, control_path[enterprise])
        direct = next((share for h, share in links.get(code, ()) if h == enterprise), None)
        holdings.append(
            Holding(
                enterprise=parties[enterprise],
                effective_share=effective,
                direct_share=direct,
                layer=walk.layer.get(enterprise, len(control_path.get(enterprise, ())) or 1),
                controls=controls,
                control_basis=basis.get(enterprise),
                paths=tuple(paths[:paths_per_holding]),
                path_count=max(walk.path_count.get(enterprise, 0), len(paths)),
            )
        )
    holdings.sort(key=lambda h: (-h.effective_share, h.layer, h.enterprise.code))
    return Portfolio(
        origin=parties[code],
        max_depth=depth,
        holdings=tuple(holdings),
        depth_limit_reached=walk.depth_limited,
        path_limit_reached=walk.path_limited,
        withheld_holdings=withheld,
    )
