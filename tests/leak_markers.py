"""Markers planted in restricted data, and which consumer must never see which of them.

Markers go into every kind of restriction the catalogue has — personal fields, full ID numbers,
financial shares, corrected earlier versions, and rows outside what a consumer may see (repaired,
expired, removed, lifted) — on an enterprise nobody consented for (E2), on a person (P2), and on
an enterprise that consented to one bank only (E1). Computed types carry markers too: E2's stored
credit evaluation (its explanation and reason: the grade is never public), the ownership path
through P2 (a person's name and a share, computed by the penetration), and a notice in one
bank's outbox. tests/test_leak_probe.py asks every
hand-written query shape for them; tests/test_fuzz.py asks generated ones.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest

from authz.catalogue import default_catalogue
from graph.database import Database
from graph.model import CreditGrade, Label, NoticeKind, Rel
from tests.consumers import Asker
from tests.fixtures import B1, E1, E2, P1, P2, R2, SAMR, load_fixture_graph

TODAY = date.today()


def planted_markers() -> list[tuple[str, str, dict[str, Any]]]:
    """(cypher, marker, params) triples that plant the markers."""
    return [
        # personal: full name and ID of P2 (principal of E1)
        ("MATCH (p:Person {key: $p}) SET p.name = $m", "LEAKMARK-P2-NAME", {"p": P2}),
        ("MATCH (p:Person {key: $p}) SET p.idNumber = $m", "LEAKMARK-P2-IDNUMBER", {"p": P2}),
        # personal credit record of P1
        (
            "MATCH (p:Person {key: $p}) CREATE (r:Record {uid: 'LEAK-P1#v1', key: 'LEAK-P1', "
            "version: 1, current: true, kind: 'JUDGMENT', title: $m, status: 'EFFECTIVE', "
            "decisionDate: $d, publishFrom: $d, publishUntil: $d + duration('P1Y')})"
            "-[:HAS_SUBJECT]->(p)",
            "LEAKMARK-P1-PERSONAL-RECORD",
            {"p": P1, "d": TODAY - timedelta(days=10)},
        ),
        # rows of E2 nobody outside duty may see: repaired, expired, corrected old version
        (
            "MATCH (e:Enterprise {uscc: $e}), (d:Department {code: $samr}) "
            "CREATE (r:Record {uid: 'LEAK-E2-REP#v1', key: 'LEAK-E2-REP', version: 1, "
            "current: true, kind: 'PENALTY', title: $m, status: 'REPAIRED', decisionDate: $d, "
            "publishFrom: $d, publishUntil: $d + duration('P1Y')})-[:HAS_SUBJECT]->(e), "
            "(r)-[:PROVIDED_BY]->(d)",
            "LEAKMARK-E2-REPAIRED",
            {"e": E2, "samr": SAMR, "d": TODAY - timedelta(days=30)},
        ),
        (
            "MATCH (e:Enterprise {uscc: $e}), (d:Department {code: $samr}) "
            "CREATE (r:Record {uid: 'LEAK-E2-OLD#v1', key: 'LEAK-E2-OLD', version: 1, "
            "current: true, kind: 'PENALTY', title: $m, status: 'EFFECTIVE', decisionDate: $d, "
            "publishFrom: $d, publishUntil: $d + duration('P1Y')})-[:HAS_SUBJECT]->(e), "
            "(r)-[:PROVIDED_BY]->(d)",
            "LEAKMARK-E2-EXPIRED",
            {"e": E2, "samr": SAMR, "d": TODAY - timedelta(days=800)},
        ),
        (
            "MATCH (e:Enterprise {uscc: $e}), (d:Department {code: $samr}) "
            "CREATE (old:Record {uid: 'LEAK-E2-V#v1', key: 'LEAK-E2-V', version: 1, "
            "current: false, kind: 'LICENSE', title: $m, status: 'SUPERSEDED', decisionDate: $d, "
            "publishFrom: $d, publishUntil: $d + duration('P3Y')})-[:HAS_SUBJECT]->(e), "
            "(new:Record {uid: 'LEAK-E2-V#v2', key: 'LEAK-E2-V', version: 2, current: true, "
            "kind: 'LICENSE', title: '更正后的许可', status: 'EFFECTIVE', decisionDate: $d, "
            "publishFrom: $d, publishUntil: $d + duration('P3Y')})-[:HAS_SUBJECT]->(e), "
            "(new)-[:SUPERSEDES]->(old), (old)-[:PROVIDED_BY]->(d), (new)-[:PROVIDED_BY]->(d)",
            "LEAKMARK-E2-OLD-VERSION",
            {"e": E2, "samr": SAMR, "d": TODAY - timedelta(days=100)},
        ),
        # financial: the share P2 holds in E2 (a number: planted as a distinctive value)
        (
            "MATCH (p:Person {key: $p}), (e:Enterprise {uscc: $e}) "
            "CREATE (p)-[:SHAREHOLDER_OF {share: toFloat($m)}]->(e)",
            "0.7182818",
            {"p": P2, "e": E2},
        ),
        # the removed list entry of E2
        ("MATCH (l:ListEntry {id: 'LE-3'}) SET l.listName = $m", "LEAKMARK-E2-REMOVED-LIST", {}),
        # E1's repaired penalty R2: only E1 itself, B1 under consent, its member association,
        # SAMR (who provided it) and the admin may see it
        (
            "MATCH (r:Record {uid: $uid}) SET r.title = $m",
            "LEAKMARK-E1-REPAIRED",
            {"uid": R2["uid"]},
        ),
        # computed: E2's stored evaluation, an indicator's source and the re-evaluation reason
        # (only departments, the credit office and E2 itself may read it)
        (
            f"MATCH (e:{Label.ENTERPRISE} {{uscc: $e}}) "
            f"CREATE (v:{Label.EVALUATION} {{id: 'LEAK-EV', runId: 'LEAK-RUN', uscc: $e, "
            "score: 41.5, grade: $grade, evaluatedOn: $d, current: true, modelVersion: 'leak', "
            "reason: $m, explanation: $explanation})"
            f"-[:{Rel.EVALUATES}]->(e)",
            "LEAKMARK-E2-EVALUATION",
            {
                "e": E2,
                "d": TODAY,
                "grade": CreditGrade.C.value,
                "explanation": json.dumps(
                    {
                        "gradeByScore": CreditGrade.C.value,
                        "indicators": [
                            {
                                "family": "F",
                                "familyName": "泄露探针",
                                "code": "LEAK",
                                "name": "泄露探针",
                                "value": 1.0,
                                "points": -1.0,
                                "sources": [
                                    {
                                        "id": "LEAK-S",
                                        "kind": "探针",
                                        "title": "LEAKMARK-E2-EVAL-SOURCE",
                                    }
                                ],
                                "moreSources": 0,
                            }
                        ],
                        "families": [],
                        "rules": [],
                    }
                ),
            },
        ),
        ("RETURN $m AS planted_with_the_evaluation", "LEAKMARK-E2-EVAL-SOURCE", {}),
        # computed: a notice in bank B1's outbox, about E2 (only B1 reads its own outbox)
        (
            f"CREATE (n:{Label.NOTICE} {{id: 'NT-LEAK', recipient: $b1, kind: $kind, "
            "title: '探针通知', body: $m, subjectCode: $e, createdAt: datetime()})",
            "LEAKMARK-B1-NOTICE",
            {"b1": B1, "e": E2, "kind": NoticeKind.NEW_ADVERSE_RECORD.value},
        ),
    ]


NOTICE_MARKERS = frozenset({"LEAKMARK-B1-NOTICE"})
"""Markers in one organisation's outbox: even the credit office does not read them."""


def forbidden_for(asker: Asker) -> set[str]:
    """The markers this consumer must never see."""
    kind = asker.consumer.org_kind.value
    org = asker.consumer.org_code
    hidden = set()
    if kind not in ("DEPARTMENT", "ADMIN"):
        hidden |= {"LEAKMARK-P2-NAME", "LEAKMARK-P1-PERSONAL-RECORD"}
    by_duty = "personal_id" in default_catalogue().consumers["DEPARTMENT"]["duty"]
    if kind != "ADMIN" and not (
        kind == "DEPARTMENT" and by_duty and "personal_id" in asker.consumer.duty
    ):
        hidden.add("LEAKMARK-P2-IDNUMBER")
    # E2: no consent, no membership. Its repaired penalty: only E2 itself, SAMR (who supplied
    # it: 谁认定、谁修复) and the credit office.
    if kind != "ADMIN" and org not in (SAMR, E2):
        hidden.add("LEAKMARK-E2-REPAIRED")
    if kind not in ("ADMIN", "DEPARTMENT") and org != E2:
        hidden |= {"LEAKMARK-E2-EXPIRED", "LEAKMARK-E2-OLD-VERSION", "LEAKMARK-E2-REMOVED-LIST"}
    if kind not in ("ADMIN", "DEPARTMENT", "BANK") and org != E2:
        hidden.add("0.7182818")
    e1_visible = (
        kind == "ADMIN"
        or org == E1
        or (kind == "DEPARTMENT" and org == SAMR)
        or asker.holds("consent", E1)
        or asker.holds("members", E1)
    )
    if not e1_visible:
        hidden.add("LEAKMARK-E1-REPAIRED")
    # the grade and its explanation: never public; duty, the credit office and E2 itself
    if kind not in ("ADMIN", "DEPARTMENT") and org != E2:
        hidden |= {"LEAKMARK-E2-EVALUATION", "LEAKMARK-E2-EVAL-SOURCE"}
    if org != B1:
        hidden |= NOTICE_MARKERS
    return hidden


@pytest.fixture
async def planted(db: Database) -> AsyncIterator[list[str]]:
    """The markers, planted for one test; the fixture graph is restored afterwards."""
    markers = []
    for cypher, marker, params in planted_markers():
        await db.write(cypher, {**params, "m": marker})
        markers.append(marker)
    yield markers
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)
