"""Every field of every type, as every kind of consumer: allowed or withheld, as the catalogue says.

Generated from the schema and authz/catalogue.toml, for each consumer in tests/consumers.py (with
and without consent, member and non-member, own and other enterprise). The expected outcome comes
from the catalogue and the fixture's facts about consent, membership and ownership — not from
the code under test.

- Projected graph types: an instance reachable from a root query is asked for one field at a
  time over HTTP.
- Computed types (answered in Python): each field goes through the field policy the schema
  installed (hub/api/field_policy.py) with a real request context and database, on an object
  whose subject is a fixture enterprise, nested ones below an object naming it; a few real
  requests (ownership penetration, list decisions) check the glue end to end.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import GraphQLField, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLString
from graphql.pyutils import Path

from authz.catalogue import default_catalogue
from graph.database import Database
from graph.lifecycle.rules import LifecycleRules
from hub.api.field_policy import (
    IS_PERSON,
    _guarded,
    computed_types,
    guard_for,
    is_projected,
)
from hub.api.schema import build_schema
from hub.kernel import Kernel, RequestContext, request_context
from hub.settings import Settings
from tests.consumers import ASKERS, Asker
from tests.fixtures import A1, E1, E2, E4, P1

# type → (document with {sel}, path to the instance, the instance's subject)
ENTRIES: dict[str, tuple[str, list[str | int], str | None]] = {
    "Enterprise": (f'{{ enterprise(uscc: "{E1}") {{ {{sel}} }} }}', ["enterprise"], E1),
    "Person": (
        f'{{ enterprise(uscc: "{E1}") {{ legalRepresentative {{ {{sel}} }} }} }}',
        ["enterprise", "legalRepresentative"],
        P1,
    ),
    "EnterpriseRole": (
        f'{{ enterprise(uscc: "{E1}") {{ people(roles: [SHAREHOLDER]) {{ {{sel}} }} }} }}',
        ["enterprise", "people", 0],
        E1,
    ),
    "PersonRole": (
        f'{{ person(key: "{P1}") {{ roles(roles: [SHAREHOLDER]) {{ {{sel}} }} }} }}',
        ["person", "roles", 0],
        P1,
    ),
    "Shareholder": (
        f'{{ enterprise(uscc: "{E1}") {{ shareholders {{ {{sel}} }} }} }}',
        ["enterprise", "shareholders", 0],
        E1,
    ),
    "Investment": (
        f'{{ enterprise(uscc: "{E4}") {{ investments {{ {{sel}} }} }} }}',
        ["enterprise", "investments", 0],
        E4,
    ),
    # The association is the subject of its own member roll (the `own` condition).
    "Association": (f'{{ association(code: "{A1}") {{ {{sel}} }} }}', ["association"], A1),
    "Department": ("{ departments { {sel} } }", ["departments", 0], None),
    "Measure": ("{ measures { {sel} } }", ["measures", 0], None),
    "Record": (
        f'{{ enterprise(uscc: "{E1}") {{ records(kinds: [PENALTY], decidedFrom: "2026-01-01") '
        f"{{ edges {{ node {{ {{sel}} }} }} }} }} }}",
        ["enterprise", "records", "edges", 0, "node"],
        E1,
    ),
    "ListEntry": (
        f'{{ enterprise(uscc: "{E1}") {{ listEntries {{ edges {{ node {{ {{sel}} }} }} }} }} }}',
        ["enterprise", "listEntries", "edges", 0, "node"],
        E1,
    ),
    "LinkedPerson": (
        f'{{ enterprise(uscc: "{E1}") {{ listEntries {{ edges {{ node {{ linkedPersons '
        f"{{ {{sel}} }} }} }} }} }} }}",
        ["enterprise", "listEntries", "edges", 0, "node", "linkedPersons", 0],
        E1,
    ),
    "Sanction": (
        f'{{ enterprise(uscc: "{E1}") {{ sanctions {{ edges {{ node {{ {{sel}} }} }} }} }} }}',
        ["enterprise", "sanctions", "edges", 0, "node"],
        E1,
    ),
    "RelatedEnterprise": (
        f'{{ relatedEnterprises(uscc: "{E1}", maxHops: 1) {{ {{sel}} }} }}',
        ["relatedEnterprises", 0],
        None,
    ),
    "DecidingAuthority": (
        f'{{ enterprise(uscc: "{E1}") {{ records {{ edges {{ node {{ decidedBy {{ {{sel}} }} '
        f"}} }} }} }} }}",
        ["enterprise", "records", "edges", 0, "node", "decidedBy"],
        None,
    ),
}

# A small selection under object-valued fields of each type.
PROBE = {
    "Enterprise": "uscc",
    "Person": "key",
    "Record": "id",
    "ListEntry": "id",
    "Sanction": "id",
    "Department": "code",
    "Association": "code",
    "Measure": "code",
    "EnterpriseRole": "role",
    "PersonRole": "role",
    "Shareholder": "share",
    "Investment": "share",
    "LinkedPerson": "role",
    "RelatedEnterprise": "distance",
    "DecidingAuthority": "code",
    "RecordConnection": "totalCount",
    "ListEntryConnection": "totalCount",
    "SanctionConnection": "totalCount",
    "EnterpriseConnection": "totalCount",
}


def _named(gql_type: Any) -> Any:
    while isinstance(gql_type, GraphQLNonNull | GraphQLList):
        gql_type = gql_type.of_type
    return gql_type


def _cases() -> list[tuple[str, str]]:
    schema = build_schema()._schema
    cases = []
    for type_name in ENTRIES:
        gql_type = schema.type_map[type_name]
        assert isinstance(gql_type, GraphQLObjectType)
        cases += [(type_name, field_name) for field_name in gql_type.fields]
    return cases


CASES = _cases()
SCHEMA = build_schema()._schema


def _object(type_name: str) -> GraphQLObjectType:
    gql_type = SCHEMA.type_map[type_name]
    assert isinstance(gql_type, GraphQLObjectType)
    return gql_type


def _selection(type_name: str, field_name: str) -> str:
    gql_type = SCHEMA.type_map[type_name]
    assert isinstance(gql_type, GraphQLObjectType)
    target = _named(gql_type.fields[field_name].type)
    if isinstance(target, GraphQLObjectType):
        return f"{field_name} {{ {PROBE[target.name]} }}"
    return field_name


def _at(data: Any, path: list[str | int]) -> Any:
    for step in path:
        if data is None:
            return None
        data = data[step]
    return data


def test_every_type_of_the_schema_is_probed() -> None:
    """Projected types over HTTP (ENTRIES), computed ones through the field policy (below);
    tests/test_catalogue_complete.py checks that the catalogue covers them all."""
    projected = {
        name
        for name, t in SCHEMA.type_map.items()
        if isinstance(t, GraphQLObjectType) and is_projected(t)
    }
    assert projected == set(ENTRIES)
    assert {t.name for t in computed_types(SCHEMA)} == {name for name, _ in COMPUTED_CASES}


@pytest.mark.parametrize("asker", ASKERS, ids=[a.name for a in ASKERS])
async def test_each_field_is_served_or_withheld_as_the_catalogue_says(
    asker: Asker, client_for: Any
) -> None:
    catalogue = default_catalogue()
    failures = []
    async with client_for(asker.consumer) as http:
        for type_name, field_name in CASES:
            document, path, subject = ENTRIES[type_name]
            query = document.replace("{sel}", _selection(type_name, field_name))
            response = await http.post("/graphql", json={"query": query})
            body = response.json()
            codes = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
            # Refused as a whole is right only when nothing asked for may be seen.
            assert codes <= {"NOTHING_SHARED"}, (type_name, field_name, body)
            holder = _at(body["data"], path)
            if holder is None and _everyone_sees(type_name):
                continue  # the fixture has no instance, and nothing of it is withheld anyway
            if holder is None:
                # The path to the instance passes a field this consumer may not see.
                parent_withheld = body.get("extensions", {}).get("access", {}).get("withheld")
                assert parent_withheld, (asker.name, type_name, field_name, body)
                continue
            decision = catalogue.field(asker.consumer, type_name, field_name)
            visible = decision.allowed or any(
                asker.holds(c.kind, subject) for c in decision.conditions
            )
            coordinate = f"{type_name}.{field_name}"
            withheld = [
                w
                for w in body.get("extensions", {}).get("access", {}).get("withheld", [])
                if w["field"] == coordinate
            ]
            if visible and withheld:
                failures.append(f"{coordinate}: withheld but should be served")
            if not visible:
                if holder.get(field_name) is not None:
                    failures.append(f"{coordinate}: served but should be withheld")
                elif not withheld or withheld[0]["reason"] != (
                    decision.reason and decision.reason.value
                ):
                    failures.append(f"{coordinate}: withheld without reason {decision.reason}")
    assert failures == [], f"{asker.name}: " + "; ".join(failures)


async def test_a_public_response_lists_withheld_paths_with_reasons(
    anon: httpx.AsyncClient,
) -> None:
    body = (
        await anon.post(
            "/graphql",
            json={
                "query": f'{{ enterprise(uscc: "{E1}") {{ name legalRepresentative '
                "{ nameMasked name idNumber } } }"
            },
        )
    ).json()
    assert body["data"]["enterprise"]["name"] == "舞钢市鑫源钢铁有限公司"
    rep = body["data"]["enterprise"]["legalRepresentative"]
    assert rep == {"nameMasked": "张*", "name": None, "idNumber": None}
    withheld = body["extensions"]["access"]["withheld"]
    assert {(tuple(w["path"]), w["reason"]) for w in withheld} == {
        (("enterprise", "legalRepresentative", "name"), "PERSONAL_DATA"),
        (("enterprise", "legalRepresentative", "idNumber"), "PERSONAL_DATA"),
    }


async def test_a_request_for_nothing_shareable_is_refused_as_a_whole(
    anon: httpx.AsyncClient,
) -> None:
    body = (
        await anon.post(
            "/graphql",
            json={"query": f'{{ person(key: "{P1}") {{ name idNumber }} }}'},
        )
    ).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOTHING_SHARED"
    assert {w["field"] for w in body["extensions"]["access"]["withheld"]} == {
        "Person.name",
        "Person.idNumber",
    }


def _everyone_sees(type_name: str) -> bool:
    catalogue = default_catalogue()
    return all(
        guard_for(catalogue, type_name, field) is None for field in _object(type_name).fields
    )


# -- computed types ----------------------------------------------------------------------------
SUBJECT_VALUE = {"Membership": A1}
"""The subject an object of the type names (an association's roll is the association's)."""

COMPUTED_CASES: list[tuple[str, str]] = [
    (t.name, field) for t in computed_types(SCHEMA) for field in t.fields
]


def _subject_types() -> dict[str, str]:
    """Type → the nearest type at or above it (from a root) that names its subject."""
    catalogue = default_catalogue()
    found: dict[str, str] = {}
    for name, entry in catalogue.types.items():
        if "subject" not in entry:
            continue
        queue = [name]
        while queue:
            current = queue.pop()
            if current in found:
                continue
            found[current] = name
            for field_def in _object(current).fields.values():
                target = _named(field_def.type)
                if isinstance(target, GraphQLObjectType) and not is_projected(target):
                    queue.append(target.name)
    return found


SUBJECT_TYPES = _subject_types()


class _Root:
    """A computed object standing in for the real one: its subject and whether it is a
    person are what the policy reads."""

    def __init__(self, subject_path: tuple[str, ...] | None, subject: str, person: bool):
        self.is_person = person
        self.kind = "Person" if person else "Enterprise"
        if subject_path:
            holder: Any = self
            for step in subject_path[:-1]:
                inner = _Root(None, subject, person)
                setattr(holder, step, inner)
                holder = inner
            setattr(holder, subject_path[-1], subject)


class _Info:
    def __init__(self, context: RequestContext, path: Path):
        self.context = context
        self.path = path


def _served(root: Any, info: Any, **_: Any) -> str:
    return "MARK"


@pytest.fixture(scope="module")
def kernel(db: Database, settings: Settings) -> Kernel:
    """The hub's parts, as a request context of the real server is made from them."""
    return Kernel(
        db=db,
        schema=build_schema(),
        settings=settings,
        person_secret=b"matrix",
        catalogue=default_catalogue(),
        rules=LifecycleRules(),
    )


async def _ask(
    kernel: Kernel, asker: Asker, type_name: str, field_name: str, *, person: bool
) -> tuple[Any, list[dict[str, Any]], str | None]:
    """Resolve one computed field through the policy: (value, withheld entries, subject)."""
    catalogue = default_catalogue()
    context = request_context(kernel, asker.consumer)
    owner = SUBJECT_TYPES.get(type_name)
    subject = SUBJECT_VALUE.get(owner or "", E1) if owner else None
    path = Path(None, "root", None)
    if owner is not None and owner != type_name:
        # Resolve a field of the object naming the subject first, as a response would.
        owner_guard = next(
            g for f in _object(owner).fields if (g := guard_for(catalogue, owner, f)) is not None
        )
        assert owner_guard.subject_path is not None
        parent = _Root(owner_guard.subject_path, subject or "", person)
        step = _guarded(owner_guard, GraphQLField(GraphQLString, resolve=_served))
        value = step(parent, _Info(context, path.add_key(owner_guard.field_name, None)))
        if not isinstance(value, str | None):
            await value
        path = path.add_key("nested", None)
        context.withheld.clear()
    guard = guard_for(catalogue, type_name, field_name)
    assert guard is not None
    root = _Root(guard.subject_path, subject or "", person)
    resolve = _guarded(guard, GraphQLField(GraphQLString, resolve=_served))
    value = resolve(root, _Info(context, path.add_key(field_name, None)))
    if not isinstance(value, str | None):
        value = await value
    return value, context.withheld, subject


@pytest.mark.parametrize("asker", ASKERS, ids=[a.name for a in ASKERS])
async def test_each_computed_field_is_served_or_withheld_as_the_catalogue_says(
    asker: Asker, kernel: Kernel
) -> None:
    catalogue = default_catalogue()
    failures = []
    for type_name, field_name in COMPUTED_CASES:
        coordinate = f"{type_name}.{field_name}"
        installed = _object(type_name).fields[field_name].resolve
        guard = guard_for(catalogue, type_name, field_name)
        if guard is None:
            # Shared with every consumer kind: nothing runs for it, and the catalogue agrees.
            assert catalogue.field(asker.consumer, type_name, field_name).allowed, coordinate
            assert "_guarded" not in getattr(installed, "__qualname__", ""), coordinate
            continue
        assert "_guarded" in getattr(installed, "__qualname__", ""), coordinate
        standings = [False, True] if guard.person_coordinate and type_name in IS_PERSON else [False]
        for person in standings:
            decided_as = guard.person_coordinate if person else (type_name, field_name)
            assert decided_as is not None
            decision = catalogue.field(asker.consumer, *decided_as)
            value, withheld, subject = await _ask(
                kernel, asker, type_name, field_name, person=person
            )
            visible = decision.allowed or any(
                asker.holds(c.kind, subject) for c in decision.conditions
            )
            label = f"{coordinate}{' (a person)' if person else ''}"
            if visible and value != "MARK":
                failures.append(f"{label}: withheld but should be served")
            if not visible:
                if value is not None:
                    failures.append(f"{label}: served but should be withheld")
                elif [(w["field"], w["reason"], w["citation"]) for w in withheld] != [
                    (coordinate, (decision.reason and decision.reason.value), decision.citation)
                ]:
                    failures.append(f"{label}: withheld without its reason and citation")
    assert failures == [], f"{asker.name}: " + "; ".join(failures)


OWNERSHIP = (
    f'{{ ownershipPenetration(uscc: "{E1}") {{ subject {{ code }} maxDepth '
    "holders { effectiveShare party { code isPerson name nameMasked } } } }"
)


@pytest.mark.parametrize("asker", ASKERS, ids=[a.name for a in ASKERS])
async def test_a_computed_type_over_http_withholds_as_the_catalogue_says(
    asker: Asker, client_for: Any
) -> None:
    """End to end: the ownership penetration of E1, its holders `financial`, the holders'
    full names decided as Person.name when the holder is a person."""
    catalogue = default_catalogue()
    async with client_for(asker.consumer) as http:
        body = (await http.post("/graphql", json={"query": OWNERSHIP})).json()
    if not catalogue.may(asker.consumer, "ownershipPenetration"):
        assert not (body["data"] or {}).get("ownershipPenetration"), body
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        return
    penetration = body["data"]["ownershipPenetration"]
    withheld = body.get("extensions", {}).get("access", {}).get("withheld", [])
    decision = catalogue.field(asker.consumer, "OwnershipPenetration", "holders")
    visible = decision.allowed or any(asker.holds(c.kind, E1) for c in decision.conditions)
    if not visible and penetration is None:
        # Refused as a whole: the starting subject's holdings are not shared with the caller.
        assert body["errors"][0]["extensions"]["code"] == (
            decision.reason and decision.reason.value
        )
        return
    assert penetration["maxDepth"] is not None  # public: always served
    if not visible:
        assert penetration["holders"] is None
        assert {(tuple(w["path"]), w["reason"], w["citation"]) for w in withheld} == {
            (
                ("ownershipPenetration", "holders"),
                decision.reason and decision.reason.value,
                decision.citation,
            )
        }
        return
    assert penetration["holders"], body
    name = catalogue.field(asker.consumer, "Person", "name")
    for index, holder in enumerate(penetration["holders"]):
        party = holder["party"]
        path = ["ownershipPenetration", "holders", index, "party", "name"]
        reported = [w for w in withheld if w["path"] == path]
        if party["isPerson"] and not name.allowed:
            assert party["name"] is None, party
            assert reported and reported[0]["field"] == "OwnershipParty.name"
            assert reported[0]["citation"] == name.citation
        else:
            assert party["name"], party
            assert reported == []


async def test_a_bank_sees_an_enterprise_evaluation_only_with_consent(kernel: Kernel) -> None:
    """The same per-subject condition as the graph's conditional fields (consent, purpose)."""
    with_consent, without = ASKERS[1], ASKERS[3]
    assert with_consent.holds("consent", E1) and not without.holds("consent", E1)
    assert (await _ask(kernel, with_consent, "CreditEvaluation", "grade", person=False))[
        0
    ] == "MARK"
    value, withheld, _ = await _ask(kernel, without, "CreditEvaluation", "grade", person=False)
    assert value is None and withheld[0]["reason"] == "NEEDS_CONSENT"
    assert E2 not in with_consent.consented


async def test_access_explain_answers_for_every_field_of_every_type(
    client_for: Any,
) -> None:
    """accessExplain covers the computed types too, with the same decisions the policy takes."""
    catalogue = default_catalogue()
    asker = next(a for a in ASKERS if a.name == "bank without consent")
    names = sorted(
        name
        for name, t in SCHEMA.type_map.items()
        if isinstance(t, GraphQLObjectType)
        and not name.startswith("__")
        and name not in ("Query", "Mutation", "Subscription")
    )
    async with client_for(asker.consumer) as http:
        for name in names:
            body = (
                await http.post(
                    "/graphql",
                    json={
                        "query": "query($t: String!) { accessExplain(typeName: $t) "
                        "{ fieldName decision reason citation } }",
                        "variables": {"t": name},
                    },
                )
            ).json()
            assert "errors" not in body, (name, body)
            explained = {e["fieldName"]: e for e in body["data"]["accessExplain"]}
            assert set(explained) == set(_object(name).fields), name
            for field, explanation in explained.items():
                decision = catalogue.field(asker.consumer, name, field)
                expected = (
                    "ALLOWED"
                    if decision.allowed
                    else "CONDITIONAL"
                    if decision.conditional
                    else "WITHHELD"
                )
                assert explanation["decision"] == expected, (name, field)
                assert explanation["citation"].startswith(decision.citation), (name, field)
    # A name is public for an enterprise and decided as Person.name for a person.
    async with client_for(asker.consumer) as http:
        body = (
            await http.post(
                "/graphql",
                json={
                    "query": '{ accessExplain(typeName: "SubjectRef", fieldName: "name") '
                    "{ decision citation } }"
                },
            )
        ).json()
    [explanation] = body["data"]["accessExplain"]
    assert explanation["decision"] == "ALLOWED"
    assert "decided as Person.name (PERSONAL_DATA)" in explanation["citation"]
