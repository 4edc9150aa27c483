"""One policy (issue 16): every operation is decided by the catalogue through authz/policy.py.

- No module of hub/api compares consumer kinds (an AST check).
- Generated from the catalogue: each `[operations.*]` entry, asked as each consumer kind
  through the GraphQL app on the real Neo4j — the kinds it lists get past the permission
  check, every other kind is refused with the catalogue's citation.
- The per-subject rules: own vs another enterprise, member vs non-member, the deciding
  department vs another, consent present vs absent, the organising department vs another.
- `accessExplainOperation` answers for every operation, with the same decision and citation.
"""

from __future__ import annotations

import ast
import datetime
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from authz import policy
from authz.catalogue import Catalogue, CatalogueError, default_catalogue
from authz.identity import PUBLIC, Consumer, OrgKind
from authz.policy import Subject
from graph.attachments import OwnerKind, check_file, link
from graph.database import Database
from tests.conftest import ClientFor
from tests.consumers import ID_DUTY
from tests.fixtures import (
    A1,
    B1,
    B2,
    CA1,
    CONSENT_PURPOSE,
    E1,
    E2,
    E5,
    HOUSING,
    NDRC,
    R1,
    SAMR,
    load_fixture_graph,
)
from tests.graphql import query
from tests.lifecycle import org

HUB = Path(__file__).resolve().parent.parent / "hub"
HUB_API = HUB / "api"
POLICY_USERS = [
    *sorted(HUB_API.glob("*.py")),
    HUB / "exports.py",
    HUB / "attachment_downloads.py",
    *sorted((HUB / "reports").rglob("*.py")),
    *sorted((HUB / "site").rglob("*.py")),
]
"""The hub modules that answer requests: each asks authz.policy, none decides itself."""


_org = org
"""A consumer acting for one organisation (tests/lifecycle.py)."""


MARKET = _org(OrgKind.DEPARTMENT, SAMR, sector="市场监管", duty=ID_DUTY)
HOUSING_DEPT = _org(OrgKind.DEPARTMENT, HOUSING, sector="住房城乡建设")
DEVELOPMENT = _org(OrgKind.DEPARTMENT, NDRC, sector="发展改革", duty=ID_DUTY)
OFFICE = Consumer(subject="policy-office", org_kind=OrgKind.ADMIN)
ENTERPRISE_E1 = _org(OrgKind.ENTERPRISE, E1)
ENTERPRISE_E2 = _org(OrgKind.ENTERPRISE, E2)
BANK_CONSENTED = _org(OrgKind.BANK, B1, purpose=CONSENT_PURPOSE)
BANK_WITHOUT = _org(OrgKind.BANK, B2, purpose=CONSENT_PURPOSE)
ASSOCIATION = _org(OrgKind.ASSOCIATION, A1)
AGENCY = _org(OrgKind.CREDIT_AGENCY, CA1, purpose="信用报告")

ONE_OF_EACH_KIND: dict[OrgKind, Consumer] = {
    OrgKind.PUBLIC: PUBLIC,
    OrgKind.BANK: BANK_CONSENTED,
    OrgKind.CREDIT_AGENCY: AGENCY,
    OrgKind.ASSOCIATION: ASSOCIATION,
    OrgKind.DEPARTMENT: MARKET,
    OrgKind.ENTERPRISE: ENTERPRISE_E1,
    OrgKind.ADMIN: OFFICE,
}
"""The consumer each kind is asked as; each stands in a relation to E1 / R1 its kind's
subject rule needs (SAMR provided R1, E1 is a member of A1 and consented to B1)."""


# -- 1. no resolver compares kinds -----------------------------------------------------------
def kind_comparisons(source: str) -> list[int]:
    """Lines of `source` comparing consumer kinds: a comparison or membership test with
    `OrgKind` or an `.org_kind` attribute on either side."""

    def mentions_kind(node: ast.AST) -> bool:
        return any(
            (isinstance(n, ast.Name) and n.id == "OrgKind")
            or (isinstance(n, ast.Attribute) and n.attr in ("OrgKind", "org_kind"))
            for n in ast.walk(node)
        )

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and mentions_kind(node):
            found.append(node.lineno)
        elif isinstance(node, ast.match_case) and mentions_kind(node.pattern):
            found.append(node.pattern.lineno)
    return found


def test_the_kind_comparison_check_catches_what_it_must() -> None:
    assert kind_comparisons("x = c.org_kind is OrgKind.ADMIN") == [1]
    assert kind_comparisons("y = 1\nz = consumer.org_kind in READERS") == [2]
    assert kind_comparisons("ok = kind not in (OrgKind.BANK,)") == [1]
    assert kind_comparisons("w = c.org_kind.label") == []


def direct_permission_calls(source: str) -> list[int]:
    """Lines of `source` asking the catalogue for a permission directly (`….may(…)`) instead
    of through authz.policy."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "may"
    ]


def test_the_direct_permission_check_catches_what_it_must() -> None:
    assert direct_permission_calls("ok = catalogue.may(c, 'x')") == [1]
    assert direct_permission_calls("a = 1\nb = hub.catalogue.may(c, 'x', on_behalf=True)") == [2]
    assert direct_permission_calls("ok = policy.permit(catalogue, c, 'x').allowed") == []


def test_no_module_answering_requests_compares_kinds_or_asks_the_catalogue_directly() -> None:
    offenders = {
        str(path.relative_to(HUB)): lines
        for path in POLICY_USERS
        if (
            lines := kind_comparisons(text := path.read_text(encoding="utf-8"))
            + direct_permission_calls(text)
        )
    }
    assert {"exports.py", "reports/issuing.py"} <= {str(p.relative_to(HUB)) for p in POLICY_USERS}
    assert offenders == {}, "ask authz.policy instead of comparing kinds or calling may()"


def test_the_catalogue_refuses_an_unknown_relation_or_a_kind_without_a_rule() -> None:
    catalogue = default_catalogue()
    base = {
        "classes": catalogue.classes,
        "consumers": catalogue.consumers,
        "types": {},
        "rows": {},
    }
    with pytest.raises(CatalogueError, match="unknown relation"):
        Catalogue({**base, "operations": {"x": {"kinds": ["BANK"], "subject": {"BANK": "friend"}}}})
    with pytest.raises(CatalogueError, match="no rule for ADMIN"):
        Catalogue(
            {
                **base,
                "operations": {"x": {"kinds": ["BANK", "ADMIN"], "subject": {"BANK": "consent"}}},
            }
        )
    with pytest.raises(CatalogueError, match="unknown keys"):
        Catalogue({**base, "operations": {"x": {"kinds": ["BANK"], "subjects": {}}}})


# -- 2. generated from the catalogue: each operation as each kind ----------------------------
TASK_ID = "policy-task"  # replaced by the created task's id (see `world`)


@dataclass(frozen=True)
class Probe:
    """A request that performs one operation; `named` is the argument naming another
    organisation (given for kinds that may act only on behalf of others)."""

    document: str
    named: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    department: Consumer = MARKET
    withheld: str | None = None
    """For operations that withhold rather than refuse: the response path (dotted) that is
    null for kinds the operation refuses and present for those it allows."""


NONE = "NO-SUCH-ID"
PROBES: dict[str, Probe] = {
    "submitFeed": Probe(
        'mutation($for: String) { submitRecord(kind: "no-such-kind", row: {}, supplier: $for) '
        "{ __typename } }",
        named="for",
    ),
    "readQuarantine": Probe("{ feedBatches { __typename } }"),
    "publicationTimeliness": Probe(
        '{ publicationTimeliness(decidedFrom: "2026-01-01", decidedTo: "2026-01-31") '
        "{ __typename } }"
    ),
    "readOrganisations": Probe("{ organisations { __typename } }"),
    "registerOrganisation": Probe(
        f'mutation {{ updateOrganisation(organisation: "{NONE}", reason: "p") {{ __typename }} }}'
    ),
    "fileObjection": Probe(
        'mutation { fileObjection(grounds: WRONG_DATA, statement: "p", '
        f'recordKey: "{NONE}") {{ __typename }} }}'
    ),
    "decideObjection": Probe(
        f'mutation {{ decideObjection(id: "{NONE}", outcome: REJECT, reason: "p") '
        "{ __typename } }"
    ),
    "readObjections": Probe("{ objections { __typename } }"),
    "applyRepair": Probe(
        'mutation { applyForRepair(proof: "p", commitment: "c", '
        f'recordKey: "{NONE}") {{ __typename }} }}'
    ),
    "decideRepair": Probe(
        f'mutation {{ decideRepair(id: "{NONE}", approve: false, reason: "p") {{ __typename }} }}'
    ),
    "readRepairs": Probe("{ repairApplications { __typename } }"),
    "decideList": Probe(
        f'mutation($for: String) {{ activateListEntry(id: "{NONE}", department: $for) '
        "{ __typename } }",
        named="for",
    ),
    "revokeRecord": Probe(
        f'mutation($for: String) {{ revokeRecord(recordKey: "{NONE}", reason: "p", '
        "department: $for) { __typename } }",
        named="for",
    ),
    "imposeMeasure": Probe(
        f'mutation($for: String) {{ liftBan(id: "{NONE}", reason: "p", department: $for) '
        "{ __typename } }",
        named="for",
    ),
    "reportMeasureApplication": Probe(
        "mutation($for: String) { reportMeasureApplication(report: "
        f'{{sanctionId: "{NONE}", outcome: "p"}}, reporter: $for) {{ __typename }} }}',
        named="for",
    ),
    "applicableMeasures": Probe(f'{{ applicableMeasures(uscc: "{E1}") {{ __typename }} }}'),
    "measureStatistics": Probe(
        '{ measureStatistics(appliedFrom: "2026-01-01", appliedTo: "2026-01-31") { __typename } }'
    ),
    "orderRectification": Probe(
        f'mutation($for: String) {{ completeRectification(id: "{NONE}", note: "p", '
        "department: $for) { __typename } }",
        named="for",
    ),
    "manageCommitmentItems": Probe(
        'mutation($for: String) { saveCommitmentItem(code: "", name: "", template: "", '
        "offeredBy: $for) { __typename } }",
        named="for",
    ),
    "makeCommitment": Probe(
        f'mutation($for: String) {{ makeCommitment(item: "{NONE}", acceptedText: "p", '
        "subject: $for) { __typename } }",
        named="for",
    ),
    "decideCommitment": Probe(
        f'mutation {{ decideCommitment(id: "{NONE}", outcome: KEPT, note: "p") {{ __typename }} }}'
    ),
    "registerVoluntary": Probe(
        f'mutation {{ amendVoluntary(id: "{NONE}", title: "p") {{ __typename }} }}'
    ),
    "verifyVoluntary": Probe(
        f'mutation {{ verifyVoluntary(id: "{NONE}", outcome: VERIFIED, note: "p") '
        "{ __typename } }"
    ),
    "watchSubjects": Probe("{ watches { __typename } }"),
    "readNotices": Probe("{ notices { __typename } }"),
    "readChangeHistory": Probe(
        "query($key: String) { changeHistory(recordKey: $key) { __typename } }",
        variables={"key": R1["key"]},
    ),
    "readRectifications": Probe(f'{{ rectifications(subject: "{E1}") {{ __typename }} }}'),
    "readCommitments": Probe(f'{{ commitments(subject: "{E1}") {{ __typename }} }}'),
    "readVoluntaryHistory": Probe(
        f'{{ voluntaryItems(subject: "{E1}", includeHistory: true) {{ __typename }} }}'
    ),
    "readAccessLog": Probe(f'{{ accessLog(subject: "{E1}", first: 1) {{ __typename }} }}'),
    "manageConsent": Probe(f'mutation {{ revokeConsent(id: "{NONE}") {{ __typename }} }}'),
    "readDrawDetails": Probe(
        "query($task: ID!) { inspectionTask(id: $task) { seed } }",
        department=HOUSING_DEPT,
        withheld="inspectionTask.seed",
    ),
    "readRosterNames": Probe(
        f'{{ inspectors(department: "{HOUSING}") {{ name }} }}',
        department=HOUSING_DEPT,
        withheld="inspectors.0.name",
    ),
    "identifyPerson": Probe('{ person(idNumber: "410481197005173110") { __typename } }'),
    "manageMembership": Probe(
        f'mutation($for: String) {{ endMembership(enterprise: "{NONE}", until: "2026-01-01", '
        'reason: "p", association: $for) { __typename } }',
        named="for",
    ),
    "issueCreditReport": Probe(
        '{ verifyCreditReport(number: "NO-SUCH") { __typename } }',
    ),
    "manageInspections": Probe(
        f'mutation($for: String) {{ drawInspectionTask(taskId: "{NONE}", department: $for) '
        "{ __typename } }",
        named="for",
    ),
    "readAssessment": Probe(
        "query($for: String) { departmentAssessment(year: 2026, department: $for) { __typename } }",
        named="for",
    ),
    "readEvaluation": Probe(f'{{ creditEvaluation(uscc: "{E1}") {{ __typename }} }}'),
    "readEvaluationRuns": Probe("{ evaluationRuns(first: 1) { __typename } }"),
    "runEvaluation": Probe("mutation { runEvaluation { __typename } }"),
    "ownershipPenetration": Probe(
        f'{{ ownershipPenetration(uscc: "{E1}", maxDepth: 1) {{ __typename }} }}'
    ),
    "controlledHoldings": Probe(
        f'{{ controlledHoldings(uscc: "{E1}", maxDepth: 1) {{ __typename }} }}'
    ),
    "readRiskAlerts": Probe("{ riskScans(last: 1) { __typename } }"),
    "readExchange": Probe("{ exchangeDeliveries(first: 1) { __typename } }"),
    "readAttachment": Probe(
        "query($sha: String!, $objection: ID!) { attachment(sha256: $sha, of: $objection) "
        "{ __typename } }"
    ),
    "readVoluntaryAttachment": Probe(
        "query($sha: String!, $voluntary: ID!) { attachment(sha256: $sha, of: $voluntary) "
        "{ __typename } }"
    ),
}
"""One request per catalogue operation (a test fails when an operation has none)."""

UNPROBED_ON_PURPOSE = {
    "issueCreditReport": "every kind may issue a report; the probe reads one instead",
}

NAMED_ORG = {"for": NDRC}
"""The organisation a kind that acts only on behalf of others names."""


@pytest.fixture(scope="module")
async def world(db: Database, client_for: ClientFor) -> AsyncIterator[dict[str, str]]:
    """A task organised by the housing department, drawn, and an inspector of its roster;
    E1's consent to B1 and membership of A1 come from the fixture. Restored afterwards."""
    async with client_for(HOUSING_DEPT) as http:
        for number, name in (("41048106P0001", "孙政策"), ("41048106P0002", "李政策")):
            await query(
                http,
                "mutation($n: String!, $c: String!) { saveInspector(name: $n, "
                "certificateNumber: $c) { id } }",
                n=name,
                c=number,
            )
        created = await query(
            http,
            'mutation($y: Int) { createInspectionTask(title: "住建抽查(政策测试)", year: $y) '
            "{ id } }",
            y=datetime.date.today().year,
        )
        task = created["createInspectionTask"]["id"]
        await query(
            http,
            "mutation($id: ID!) { drawInspectionTask(taskId: $id, seed: 11) { id } }",
            id=task,
        )
    # 证明材料 of an objection and of a voluntary item of E1 (the attachment probes).
    proof = check_file("证明.pdf", b"%PDF-1.4 policy probe")
    async with client_for(ENTERPRISE_E1) as http:
        objection = await query(
            http,
            "mutation($k: String) { fileObjection(recordKey: $k, grounds: WRONG_DATA, "
            'statement: "政策测试") { id } }',
            k=R1["key"],
        )
        voluntary = await query(
            http,
            'mutation { registerVoluntary(kind: WELFARE, title: "政策测试", detail: "d", '
            'truthful: true, statement: "真实") { id } }',
        )
    objection_id = objection["fileObjection"]["id"]
    voluntary_id = voluntary["registerVoluntary"]["id"]
    await link(db, OwnerKind.OBJECTION, objection_id, [proof], E1)
    await link(db, OwnerKind.VOLUNTARY_ITEM, voluntary_id, [proof], E1)
    yield {"task": task, "sha": proof.sha256, "objection": objection_id, "voluntary": voluntary_id}
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


def _dig(data: Any, path: str) -> Any:
    for step in path.split("."):
        if data is None:
            return None
        data = data[int(step)] if isinstance(data, list) else data.get(step)
    return data


def test_every_operation_of_the_catalogue_has_a_probe() -> None:
    assert set(PROBES) == set(default_catalogue().operations)


CASES = [
    (operation, kind)
    for operation in default_catalogue().operations
    for kind in OrgKind
    if operation not in UNPROBED_ON_PURPOSE
]


@pytest.mark.parametrize(("operation", "kind"), CASES, ids=[f"{o}-{k.value}" for o, k in CASES])
async def test_each_operation_is_open_to_the_kinds_the_catalogue_lists_and_no_other(
    client_for: ClientFor, world: dict[str, str], operation: str, kind: OrgKind
) -> None:
    catalogue = default_catalogue()
    entry = catalogue.operations[operation]
    probe = PROBES[operation]
    consumer = probe.department if kind is OrgKind.DEPARTMENT else ONE_OF_EACH_KIND[kind]
    own_kinds, other_kinds = entry.get("kinds", []), entry.get("on_behalf", [])
    allowed = kind.value in own_kinds or kind.value in other_kinds
    variables = {**probe.variables, **world}
    if probe.named and kind.value not in own_kinds and kind.value in other_kinds:
        variables[probe.named] = NAMED_ORG[probe.named]
    variables = {k: v for k, v in variables.items() if f"${k}" in probe.document}
    async with client_for(consumer) as http:
        response = await http.post(
            "/graphql", json={"query": probe.document, "variables": variables}
        )
    body = response.json()
    cited = [
        e for e in body.get("errors", []) if f"operations.{operation}." in e.get("message", "")
    ]
    if probe.withheld is not None:
        value = _dig(body.get("data"), probe.withheld)
        assert (value is not None) is allowed, body
        return
    if allowed:
        # Past the permission check: whatever else goes wrong (no such id, a subject the
        # consumer has no relation to — see the per-subject tests), it is not the kind rule.
        kind_refusals = [
            e
            for e in cited
            if f"operations.{operation}.kinds" in e["message"]
            or f"operations.{operation}.on_behalf" in e["message"]
        ]
        assert not kind_refusals, f"{kind.value} may {operation}: {kind_refusals}"
        assert all(
            e.get("extensions", {}).get("code") != "INTERNAL_ERROR" for e in body.get("errors", [])
        ), body
    else:
        assert cited, f"{kind.value} may not {operation}, and the refusal cites it: {body}"
        assert all(e["extensions"]["code"] != "INTERNAL_ERROR" for e in cited)


# -- 3. the per-subject rules ----------------------------------------------------------------
async def decision(
    db: Database, consumer: Consumer, operation: str, subject: Subject
) -> policy.Decision:
    return await policy.decide(db, default_catalogue(), consumer, operation, subject)


async def test_own_enterprise_versus_another(db: Database, world: dict[str, str]) -> None:
    own = await decision(db, ENTERPRISE_E1, "readRectifications", Subject.party(E1))
    other = await decision(db, ENTERPRISE_E2, "readRectifications", Subject.party(E1))
    assert own.allowed and own.relation == "own"
    assert not other.allowed and other.reason is not None
    assert other.reason.value == "NOT_YOUR_OWN"
    assert "operations.readRectifications.subject.ENTERPRISE = ['own']" in other.citation
    # Own records and list entries: their subject is the enterprise.
    history = await decision(db, ENTERPRISE_E1, "readChangeHistory", Subject.record(R1["key"]))
    stranger = await decision(db, ENTERPRISE_E2, "readChangeHistory", Subject.record(R1["key"]))
    assert history.allowed and not stranger.allowed


async def test_member_versus_non_member(db: Database, world: dict[str, str]) -> None:
    member = await decision(db, ASSOCIATION, "readEvaluation", Subject.enterprise(E1))
    outsider = await decision(db, ASSOCIATION, "readEvaluation", Subject.enterprise(E2))
    assert member.allowed and member.relation == "member"
    assert not outsider.allowed and outsider.reason is not None
    assert outsider.reason.value == "NOT_YOUR_MEMBER"


async def test_the_deciding_department_versus_another(
    db: Database, client_for: ClientFor, world: dict[str, str]
) -> None:
    provider = await decision(db, MARKET, "readChangeHistory", Subject.record(R1["key"]))
    other = await decision(db, DEVELOPMENT, "readChangeHistory", Subject.record(R1["key"]))
    assert provider.allowed and provider.relation == "decider"
    assert not other.allowed and other.reason is not None
    assert other.reason.value == "NOT_YOUR_DECISION"
    entry_decider = await decision(db, DEVELOPMENT, "readChangeHistory", Subject.list_entry("LE-1"))
    entry_other = await decision(db, MARKET, "readChangeHistory", Subject.list_entry("LE-1"))
    assert entry_decider.allowed and not entry_other.allowed
    # Through the app: the refusal is FORBIDDEN and cites the rule.
    async with client_for(DEVELOPMENT) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": "query($k: String) { changeHistory(recordKey: $k) { type } }",
                "variables": {"k": R1["key"]},
            },
        )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "operations.readChangeHistory.subject.DEPARTMENT = ['decider']" in error["message"]


async def test_consent_present_versus_absent(db: Database, world: dict[str, str]) -> None:
    granted = await decision(db, BANK_CONSENTED, "readEvaluation", Subject.enterprise(E1))
    absent = await decision(db, BANK_WITHOUT, "readEvaluation", Subject.enterprise(E1))
    other_purpose = await decision(
        db, _org(OrgKind.BANK, B1, purpose="贷后管理"), "readEvaluation", Subject.enterprise(E1)
    )
    assert granted.allowed and granted.relation == "consent"
    assert not absent.allowed and absent.reason is not None
    assert absent.reason.value == "NEEDS_CONSENT"
    assert not other_purpose.allowed


async def test_the_organising_department_versus_another(
    db: Database, client_for: ClientFor, world: dict[str, str]
) -> None:
    organiser = await decision(db, HOUSING_DEPT, "readDrawDetails", Subject.task(world["task"]))
    other = await decision(db, MARKET, "readDrawDetails", Subject.task(world["task"]))
    assert organiser.allowed and organiser.relation == "organiser"
    assert not other.allowed and other.reason is not None
    assert other.reason.value == "NOT_YOUR_TASK"
    document = "query($id: ID!) { inspectionTask(id: $id) { seed } }"
    async with client_for(HOUSING_DEPT) as http:
        mine = await query(http, document, id=world["task"])
    async with client_for(MARKET) as http:
        theirs = await query(http, document, id=world["task"])
    assert mine["inspectionTask"]["seed"] == 11
    assert theirs["inspectionTask"]["seed"] is None


async def test_an_association_sees_only_the_commitments_made_to_its_own_programme(
    db: Database,
) -> None:
    narrowed = await decision(db, ASSOCIATION, "readCommitments", Subject.enterprise(E5))
    assert narrowed.allowed and narrowed.narrowed


async def test_many_subjects_are_judged_in_one_question(db: Database) -> None:
    decisions = await policy.decide_many(
        db,
        default_catalogue(),
        ASSOCIATION,
        "readEvaluation",
        [Subject.enterprise(E1), Subject.enterprise(E2), Subject.enterprise(E5)],
        today=datetime.date.today(),
    )
    assert [d.allowed for d in decisions] == [True, False, True]


# -- 4. a person's full name is the catalogue's field decision ------------------------------
def test_who_sees_a_persons_full_name_is_the_catalogues_person_name_decision() -> None:
    catalogue = default_catalogue()
    for kind, consumer in ONE_OF_EACH_KIND.items():
        decision = catalogue.field(consumer, "Person", "name")
        assert decision.allowed is (
            "personal" in catalogue.consumers[kind.value].get("classes", [])
        )


# -- 5. accessExplainOperation answers for every operation -----------------------------------
async def test_access_explain_answers_for_every_operation_as_the_policy_decides(
    client_for: ClientFor,
) -> None:
    catalogue = default_catalogue()
    document = (
        "{ accessExplainOperation { operation decision onBehalf reason citation conditions } }"
    )
    for kind, consumer in ONE_OF_EACH_KIND.items():
        async with client_for(consumer) as http:
            data = await query(http, document)
        explained = {e["operation"]: e for e in data["accessExplainOperation"]}
        assert set(explained) == set(catalogue.operations)
        for name, entry in catalogue.operations.items():
            expected = policy.permit_either(catalogue, consumer, name)
            got = explained[name]
            assert (got["decision"] != "REFUSED") is expected.allowed, (kind, name)
            assert got["citation"] == expected.citation
            may = kind.value in entry.get("kinds", []) or kind.value in entry.get("on_behalf", [])
            assert expected.allowed is may
            if not may:
                assert got["reason"] == "NOT_PERMITTED"


async def test_access_explain_judges_the_relation_for_a_subject(
    client_for: ClientFor, world: dict[str, str]
) -> None:
    document = (
        'query($s: String) { accessExplainOperation(operation: "readEvaluation", '
        "subject: $s) { decision relation reason citation } }"
    )
    async with client_for(BANK_CONSENTED) as http:
        [general] = (await query(http, document, s=None))["accessExplainOperation"]
        [consented] = (await query(http, document, s=E1))["accessExplainOperation"]
        [other] = (await query(http, document, s=E2))["accessExplainOperation"]
    assert general["decision"] == "CONDITIONAL"
    assert consented == {
        "decision": "ALLOWED",
        "relation": "consent",
        "reason": None,
        "citation": consented["citation"],
    }
    assert other["decision"] == "REFUSED" and other["reason"] == "NEEDS_CONSENT"
    assert "operations.readEvaluation.subject.BANK = ['consent']" in other["citation"]
