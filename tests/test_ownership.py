"""股权穿透: effective shares through layers, cycles, beneficial owners, control, the reverse, and
who may see it — on small ownership graphs written here and removed at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from authz.identity import PUBLIC, OrgKind
from graph.database import Database
from graph.identifiers import make_uscc
from tests.conftest import ClientFor
from tests.lifecycle import AGENCY, BANK_B1, MARKET, OFFICE, ask, org, refused


def _uscc(n: int) -> str:
    return make_uscc("91", "410481", f"GQ{n:06d}")


T1, H1, T2, H2, T3, A, B, T4, C1, C2, T5 = (_uscc(n) for n in range(1, 12))
ENTERPRISES = {
    T1: "穿透测试目标一有限公司",
    H1: "穿透测试控股一有限公司",
    T2: "穿透测试目标二有限公司",
    H2: "穿透测试控股二有限公司",
    T3: "穿透测试循环目标有限公司",
    A: "穿透测试甲有限公司",
    B: "穿透测试乙有限公司",
    T4: "穿透测试控制链目标有限公司",
    C1: "穿透测试控制链一有限公司",
    C2: "穿透测试控制链二有限公司",
    T5: "穿透测试门槛有限公司",
}
PERSONS = {f"OWN-P{n}": (f"测试{n}号", f"测{'*' * 2}") for n in range(1, 15)}
HOLDINGS = [  # holder, held, share
    # a two-layer chain: P1 → H1 → T1 (0.8 × 0.5), P2 → H1, P3 → T1
    ("OWN-P1", H1, 0.8),
    ("OWN-P2", H1, 0.2),
    (H1, T1, 0.5),
    ("OWN-P3", T1, 0.5),
    # two paths to one holder: P4 → T2 directly and P4 → H2 → T2
    ("OWN-P4", T2, 0.3),
    ("OWN-P4", H2, 1.0),
    (H2, T2, 0.2),
    # a cycle A → B → A above T3
    (A, T3, 0.6),
    ("OWN-P5", T3, 0.4),
    (B, A, 0.5),
    ("OWN-P6", A, 0.5),
    (A, B, 0.3),
    ("OWN-P7", B, 0.7),
    # a chain of control: P8 → C1 → C2 → T4, every hop above 50 %
    ("OWN-P8", C1, 0.6),
    ("OWN-P10", C1, 0.4),
    (C1, C2, 0.7),
    (C2, T4, 0.55),
    ("OWN-P9", T4, 0.45),
    # the 25 % threshold: exactly 25 %, just below it, and a majority
    ("OWN-P11", T5, 0.25),
    ("OWN-P12", T5, 0.24),
    ("OWN-P13", T5, 0.51),
]
CONTROLLERS = [("OWN-P14", T4)]  # recorded actual controller holding nothing

PENETRATION = """
query($uscc: String!, $depth: Int, $min: Float!) {
  ownershipPenetration(uscc: $uscc, maxDepth: $depth, minShare: $min) {
    subject { code name }
    holders {
      party { code isPerson name nameMasked } effectiveShare directShare layer ultimate
      beyondLimit beneficialOwner controls pathCount paths { share hops { holder held share } }
    }
    ultimateHolders { party { code } effectiveShare }
    controllers { party { code } basis via }
    beneficialOwners { party { code } effectiveShare byShare byControl }
    circularShare depthLimitReached withheldHoldings
  }
}
"""

HOLDINGS_QUERY = """
query($key: ID, $uscc: String) {
  controlledHoldings(personKey: $key, uscc: $uscc) {
    origin { code }
    holdings {
      enterprise { code name } effectiveShare directShare layer controls controlBasis
      paths { share hops { holder held share } }
    }
  }
}
"""


@pytest.fixture(scope="module", autouse=True)
async def ownership_graph(db: Database) -> AsyncIterator[None]:
    """The test enterprises, persons and holdings; removed (with their audit links) after."""
    await db.write(
        "UNWIND $rows AS row CREATE (:Enterprise {uscc: row.uscc, name: row.name, "
        "status: 'ACTIVE'})",
        {"rows": [{"uscc": u, "name": n} for u, n in ENTERPRISES.items()]},
    )
    await db.write(
        "UNWIND $rows AS row CREATE (:Person {key: row.key, name: row.name, "
        "nameMasked: row.masked})",
        {"rows": [{"key": k, "name": n, "masked": m} for k, (n, m) in PERSONS.items()]},
    )
    await db.write(
        "UNWIND $rows AS row "
        "MATCH (h) WHERE (h:Enterprise AND h.uscc = row.holder) "
        "OR (h:Person AND h.key = row.holder) "
        "MATCH (e:Enterprise {uscc: row.held}) "
        "CREATE (h)-[:SHAREHOLDER_OF {share: row.share}]->(e)",
        {"rows": [{"holder": h, "held": e, "share": s} for h, e, s in HOLDINGS]},
    )
    await db.write(
        "UNWIND $rows AS row MATCH (p:Person {key: row.p}) MATCH (e:Enterprise {uscc: row.e}) "
        "CREATE (p)-[:ACTUAL_CONTROLLER_OF]->(e)",
        {"rows": [{"p": p, "e": e} for p, e in CONTROLLERS]},
    )
    yield
    await db.write(
        "MATCH (n) WHERE (n:Enterprise AND n.uscc IN $usccs) OR (n:Person AND n.key IN $keys) "
        "DETACH DELETE n",
        {"usccs": list(ENTERPRISES), "keys": list(PERSONS)},
    )


async def _penetrate(
    client_for: ClientFor, uscc: str, depth: int | None = None, minimum: float = 0.0
) -> dict[str, Any]:
    data = await ask(client_for, OFFICE, PENETRATION, uscc=uscc, depth=depth, min=minimum)
    result: dict[str, Any] = data["ownershipPenetration"]
    return result


def _shares(result: dict[str, Any]) -> dict[str, float]:
    return {h["party"]["code"]: h["effectiveShare"] for h in result["holders"]}


async def test_a_two_layer_chain_multiplies_the_shares(client_for: ClientFor) -> None:
    result = await _penetrate(client_for, T1)
    shares = _shares(result)
    assert shares["OWN-P1"] == pytest.approx(0.4)
    assert shares["OWN-P2"] == pytest.approx(0.1)
    assert shares["OWN-P3"] == pytest.approx(0.5)
    [p1] = [h for h in result["holders"] if h["party"]["code"] == "OWN-P1"]
    assert p1["layer"] == 2 and p1["ultimate"] and p1["directShare"] is None
    assert p1["paths"] == [
        {
            "share": pytest.approx(0.4),
            "hops": [
                {"holder": "OWN-P1", "held": H1, "share": 0.8},
                {"holder": H1, "held": T1, "share": 0.5},
            ],
        }
    ]
    ultimate = {h["party"]["code"] for h in result["ultimateHolders"]}
    assert ultimate == {"OWN-P1", "OWN-P2", "OWN-P3"}  # H1 is held, so not ultimate


async def test_two_paths_to_the_same_holder_add_up(client_for: ClientFor) -> None:
    result = await _penetrate(client_for, T2)
    [p4] = [h for h in result["holders"] if h["party"]["code"] == "OWN-P4"]
    assert p4["effectiveShare"] == pytest.approx(0.3 + 1.0 * 0.2)
    assert p4["directShare"] == pytest.approx(0.3)
    assert p4["pathCount"] == 2 and p4["beneficialOwner"]


async def test_a_cycle_neither_loops_nor_inflates_a_share(client_for: ClientFor) -> None:
    result = await _penetrate(client_for, T3)
    shares = _shares(result)
    assert shares["OWN-P5"] == pytest.approx(0.4)
    assert shares["OWN-P6"] == pytest.approx(0.6 * 0.5)
    assert shares["OWN-P7"] == pytest.approx(0.6 * 0.5 * 0.7)
    assert shares[A] == pytest.approx(0.6)  # never 0.6 + 0.6 × 0.5 × 0.3 + …
    assert shares[B] == pytest.approx(0.3)
    # The part flowing round A → B → A is reported, attributed to nobody.
    assert result["circularShare"] == pytest.approx(0.6 * 0.5 * 0.3)
    ultimate = sum(h["effectiveShare"] for h in result["ultimateHolders"])
    assert ultimate + result["circularShare"] == pytest.approx(1.0)
    for holder in result["holders"]:
        for path in holder["paths"]:
            held = [hop["held"] for hop in path["hops"]]
            assert len(held) == len(set(held))  # simple paths only


async def test_beneficial_owners_hold_at_least_25_percent(client_for: ClientFor) -> None:
    result = await _penetrate(client_for, T5)
    owners = {o["party"]["code"]: o for o in result["beneficialOwners"]}
    assert set(owners) == {"OWN-P11", "OWN-P13"}  # 25 % exactly counts; 24 % does not
    assert owners["OWN-P11"]["byShare"] and not owners["OWN-P11"]["byControl"]
    assert owners["OWN-P13"]["byShare"] and owners["OWN-P13"]["byControl"]
    flags = {h["party"]["code"]: h["beneficialOwner"] for h in result["holders"]}
    assert flags == {"OWN-P11": True, "OWN-P12": False, "OWN-P13": True}


async def test_control_runs_through_a_chain_of_majority_holdings(client_for: ClientFor) -> None:
    result = await _penetrate(client_for, T4)
    controllers = {c["party"]["code"]: c for c in result["controllers"]}
    assert controllers[C2]["basis"] == "MAJORITY_CHAIN" and controllers[C2]["via"] == []
    assert controllers[C1]["via"] == [C2]
    assert controllers["OWN-P8"]["basis"] == "MAJORITY_CHAIN"
    assert controllers["OWN-P8"]["via"] == [C2, C1]
    assert controllers["OWN-P14"]["basis"] == "RECORDED"
    assert "OWN-P9" not in controllers and "OWN-P10" not in controllers
    shares = _shares(result)
    assert shares["OWN-P8"] == pytest.approx(0.6 * 0.7 * 0.55)  # 23.1 %: control, not share
    owners = {o["party"]["code"]: o for o in result["beneficialOwners"]}
    assert owners["OWN-P8"]["byControl"] and not owners["OWN-P8"]["byShare"]
    assert owners["OWN-P14"]["byControl"] and owners["OWN-P14"]["effectiveShare"] == 0
    assert owners["OWN-P9"]["byShare"] and not owners["OWN-P9"]["byControl"]


async def test_the_depth_limit_is_reported_when_reached(client_for: ClientFor) -> None:
    result = await _penetrate(client_for, T4, depth=2)
    assert result["depthLimitReached"]
    shares = _shares(result)
    assert "OWN-P8" not in shares  # three layers up
    [c1] = [h for h in result["holders"] if h["party"]["code"] == C1]
    assert c1["beyondLimit"] and not c1["ultimate"]
    assert not (await _penetrate(client_for, T4, depth=3))["depthLimitReached"]


async def test_min_share_leaves_out_smaller_holders(client_for: ClientFor) -> None:
    result = await _penetrate(client_for, T1, minimum=0.3)
    assert set(_shares(result)) == {H1, "OWN-P1", "OWN-P3"}


async def test_the_reverse_lists_what_a_person_holds_and_controls(client_for: ClientFor) -> None:
    data = await ask(client_for, OFFICE, HOLDINGS_QUERY, key="OWN-P8")
    held = {h["enterprise"]["code"]: h for h in data["controlledHoldings"]["holdings"]}
    assert set(held) == {C1, C2, T4}
    assert held[C1]["effectiveShare"] == pytest.approx(0.6) and held[C1]["layer"] == 1
    assert held[C2]["effectiveShare"] == pytest.approx(0.42) and held[C2]["layer"] == 2
    assert held[T4]["effectiveShare"] == pytest.approx(0.231) and held[T4]["layer"] == 3
    assert all(h["controls"] and h["controlBasis"] == "MAJORITY_CHAIN" for h in held.values())
    assert held[T4]["paths"][0]["hops"] == [
        {"holder": "OWN-P8", "held": C1, "share": 0.6},
        {"holder": C1, "held": C2, "share": 0.7},
        {"holder": C2, "held": T4, "share": 0.55},
    ]
    data = await ask(client_for, OFFICE, HOLDINGS_QUERY, key="OWN-P1")
    held = {h["enterprise"]["code"]: h for h in data["controlledHoldings"]["holdings"]}
    assert held[H1]["controls"] and not held[T1]["controls"]  # 50 % is not more than half
    assert held[T1]["effectiveShare"] == pytest.approx(0.4)
    data = await ask(client_for, OFFICE, HOLDINGS_QUERY, key="OWN-P14")
    [recorded] = data["controlledHoldings"]["holdings"]
    assert recorded["enterprise"]["code"] == T4 and recorded["controlBasis"] == "RECORDED"
    assert recorded["effectiveShare"] == 0


async def test_the_reverse_from_an_enterprise_follows_its_subsidiaries(
    client_for: ClientFor,
) -> None:
    data = await ask(client_for, OFFICE, HOLDINGS_QUERY, uscc=C1)
    held = {
        h["enterprise"]["code"]: h["effectiveShare"] for h in data["controlledHoldings"]["holdings"]
    }
    assert held == {C2: pytest.approx(0.7), T4: pytest.approx(0.385)}


async def test_the_public_is_refused_naming_the_rule(client_for: ClientFor) -> None:
    error = await refused(client_for, PUBLIC, PENETRATION, uscc=T1, depth=None, min=0.0)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "operations.ownershipPenetration" in error["message"]
    error = await refused(client_for, PUBLIC, HOLDINGS_QUERY, key="OWN-P1")
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_a_bank_sees_shares_with_masked_person_names(client_for: ClientFor) -> None:
    data = await ask(client_for, BANK_B1, PENETRATION, uscc=T1, depth=None, min=0.0)
    persons = [
        h["party"] for h in data["ownershipPenetration"]["holders"] if h["party"]["isPerson"]
    ]
    assert persons and all(p["name"] is None and p["nameMasked"] == "测**" for p in persons)
    enterprises = [
        h["party"] for h in data["ownershipPenetration"]["holders"] if not h["party"]["isPerson"]
    ]
    assert enterprises == [
        {"code": H1, "isPerson": False, "name": ENTERPRISES[H1], "nameMasked": None}
    ]
    data = await ask(client_for, MARKET, PENETRATION, uscc=T1, depth=None, min=0.0)
    names = {
        h["party"]["code"]: h["party"]["name"] for h in data["ownershipPenetration"]["holders"]
    }
    assert names["OWN-P1"] == "测试1号"  # departments' duty covers personal data


async def test_a_credit_agency_needs_the_enterprises_consent(client_for: ClientFor) -> None:
    error = await refused(client_for, AGENCY, PENETRATION, uscc=T1, depth=None, min=0.0)
    assert error["extensions"]["code"] == "NEEDS_CONSENT"
    own = org(OrgKind.ENTERPRISE, T1)
    data = await ask(client_for, own, PENETRATION, uscc=T1, depth=None, min=0.0)
    result = data["ownershipPenetration"]
    # Its own shareholders, not those of its holding company (another subject's holdings).
    assert set(_shares(result)) == {H1, "OWN-P3"}
    assert result["withheldHoldings"] == 2


async def test_every_penetration_is_an_audit_entry(client_for: ClientFor, db: Database) -> None:
    async with client_for(BANK_B1) as http:
        response = await http.post(
            "/graphql",
            json={"query": PENETRATION, "variables": {"uscc": T2, "depth": None, "min": 0.0}},
        )
    [entry] = await db.read(
        "MATCH (e:AuditEntry {requestId: $r}) RETURN properties(e) AS e",
        {"r": response.headers["x-request-id"]},
    )
    assert entry["e"]["action"] == "ownership_penetration"
    assert T2 in entry["e"]["subjects"] and "Shareholder.share" in entry["e"]["released"]
