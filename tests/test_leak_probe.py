"""Plant unique markers in restricted data; no unauthorised consumer may ever see one.

The markers (tests/leak_markers.py) go into every kind of restriction the catalogue has. Then
every query shape the schema offers — lookups, nested traversals to other companies, search,
filters that would select the hidden rows, history flags, counts — runs as each consumer, and
the raw bodies (data, errors and extensions) are searched for the markers that consumer must
not see.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.consumers import ASKERS, Asker
from tests.fixtures import E1, E2, P1, P2
from tests.leak_markers import NOTICE_MARKERS, forbidden_for, planted

__all__ = ["planted"]  # the fixture, used by name below

PROBES = [
    # lookups and nested traversal to the legal representative's other companies
    f"""{{ enterprise(uscc: "{E1}") {{ name people {{ role share title person {{ key name
        nameMasked idNumber idNumberMasked gender birthYear records {{ totalCount edges {{ node
        {{ title }} }} }} listEntries {{ totalCount edges {{ node {{ listName }} }} }} }} }}
      legalRepresentative {{ name enterprises {{ uscc name shareholders {{ share person
        {{ name idNumber }} }} records(includeHistory: true, statuses: [REPAIRED, SUPERSEDED,
        EFFECTIVE, REVOKED]) {{ totalCount edges {{ node {{ title history {{ title }}
        previousVersion {{ title }} }} }} }}
        listEntries(statuses: [REMOVED, ACTIVE]) {{ totalCount
        edges {{ node {{ listName status }} }} }}
        sanctions(statuses: [LIFTED]) {{ totalCount }} }} }}
      records(statuses: [REPAIRED]) {{ totalCount edges {{ node {{ title }} }} }} }} }}""",
    f"""{{ enterprise(uscc: "{E2}") {{ shareholders {{ share person {{ name }} }}
      records(includeHistory: true, decidedFrom: "2000-01-01", kinds: [PENALTY, LICENSE])
        {{ totalCount edges {{ node {{ title status history {{ title }} }} }} }}
      listEntries(listType: BLACK) {{ totalCount
        edges {{ node {{ listName removedOn }} }} }} }} }}""",
    f"""{{ person(key: "{P2}") {{ name idNumber roles {{ share enterprise {{ uscc
        records(includeHistory: true) {{ edges {{ node {{ title }} }} }} }} }} }} }}""",
    f"""{{ person(key: "{P1}") {{ records {{ totalCount edges {{ node {{ title }} }} }} }} }}""",
    """{ searchEnterprises(query: "舞钢市") { totalCount edges { node { uscc
        records(includeHistory: true, statuses: [REPAIRED]) { totalCount edges { node { title } } }
        listEntries(statuses: [REMOVED]) { edges { node { listName } } }
        shareholders { share person { name idNumber } } } } } }""",
    f"""{{ relatedEnterprises(uscc: "{E1}", maxHops: 4) {{ via {{ name idNumber }}
        enterprise {{ uscc records(statuses: [REPAIRED]) {{ edges {{ node {{ title }} }} }}
        investments {{ share }} }} }} }}""",
    # probing through filters: a public caller selecting only counts of hidden rows
    f"""{{ enterprise(uscc: "{E2}") {{ records(statuses: [REPAIRED]) {{ totalCount }}
        hist: records(includeHistory: true) {{ totalCount }} }} }}""",
    # errors must not carry data either
    f"""{{ enterprise(uscc: "{E2}") {{
        records(after: "LEAKMARK-E2-REPAIRED") {{ totalCount }} }} }}""",
    # computed types: the evaluation and its explanation, the ownership paths through a
    # person, controlled holdings from that person, the outbox
    f"""{{ creditEvaluation(uscc: "{E2}") {{ grade score reason indicators {{ name
        sources {{ title }} }} }} }}""",
    f"""{{ creditEvaluationHistory(uscc: "{E2}") {{ reason indicators {{ sources
        {{ title }} }} }} }}""",
    f"""{{ ownershipPenetration(uscc: "{E2}") {{ holders {{ effectiveShare directShare
        party {{ code name nameMasked }} paths {{ share hops {{ share holder {{ name }}
        held {{ name }} }} }} }} ultimateHolders {{ party {{ name }} effectiveShare }}
        beneficialOwners {{ party {{ name }} effectiveShare }} }} }}""",
    f"""{{ controlledHoldings(personKey: "{P2}") {{ origin {{ name }} holdings
        {{ effectiveShare directShare paths {{ hops {{ share holder {{ name }} }} }} }} }} }}""",
    """{ notices { title body subject ref } }""",
]


@pytest.mark.parametrize("asker", ASKERS, ids=[a.name for a in ASKERS])
async def test_no_marker_reaches_a_consumer_who_may_not_see_it(
    asker: Asker, planted: list[str], client_for: Any
) -> None:
    hidden = forbidden_for(asker)
    assert hidden <= set(planted)
    async with client_for(asker.consumer) as http:
        for document in PROBES:
            response = await http.post("/graphql", json={"query": document})
            assert response.status_code == 200
            body = response.text
            leaked = sorted(marker for marker in hidden if marker in body)
            assert leaked == [], f"{asker.name} saw {leaked} through:\n{document}"


async def test_the_markers_are_really_there_for_the_credit_office(
    planted: list[str], client_for: Any
) -> None:
    admin = next(a for a in ASKERS if a.name == "admin")
    seen: set[str] = set()
    async with client_for(admin.consumer) as http:
        for document in PROBES:
            body = (await http.post("/graphql", json={"query": document})).text
            seen |= {marker for marker in planted if marker in body}
    # The probe would prove nothing if the queries could not reach the planted data.
    assert seen == set(planted) - NOTICE_MARKERS
    bank = next(a for a in ASKERS if a.name == "bank with consent")
    async with client_for(bank.consumer) as http:
        body = (await http.post("/graphql", json={"query": PROBES[-1]})).text
    assert {marker for marker in planted if marker in body} >= NOTICE_MARKERS
