"""风险预判预警: the signals on small graphs written here (removed at the end), the alerts kept
across scans, the notices to departments, who may read the alerts, and `credithub risk-scan`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from authz.identity import OrgKind
from graph.database import Connection, Database
from graph.identifiers import make_uscc
from graph.model import RiskSignal
from graph.risk.scan import ScanSummary, run_scan
from graph.risk.thresholds import ThresholdError, load_thresholds, parse_thresholds
from hub.cli import main
from tests.conftest import ClientFor
from tests.fixtures import COURT, HOUSING, SAMR, TAX
from tests.lifecycle import BANK_B1, MARKET, OFFICE, ask, notices_of, org, refused
from tests.processes import hub_env

DAY = date(2026, 11, 28)
HOUSING_DEPT = org(OrgKind.DEPARTMENT, HOUSING, sector="住房城乡建设")


def _uscc(n: int) -> str:
    return make_uscc("91", "410481", f"FX{n:06d}")


LISTED, SHARER, SHARER2, BURST, BURST2, CLUSTER, CLUSTER2, CHANGED, CHANGED2 = (
    _uscc(n) for n in range(101, 110)
)
LISTED_B, SHARER_B = _uscc(110), _uscc(111)
NAMES = {
    LISTED: "风险测试失信有限公司",
    SHARER: "风险测试关联一有限公司",
    SHARER2: "风险测试关联二有限公司",
    BURST: "风险测试处罚激增有限公司",
    BURST2: "风险测试两次处罚有限公司",
    CLUSTER: "风险测试三部门有限公司",
    CLUSTER2: "风险测试两部门有限公司",
    CHANGED: "风险测试变更代表人有限公司",
    CHANGED2: "风险测试先变更后处罚有限公司",
    LISTED_B: "风险测试将移出名单有限公司",
    SHARER_B: "风险测试移出关联有限公司",
}
PERSONS = {
    "RISK-P1": ("风险甲", "风**"),
    "RISK-P2": ("风险乙", "风**"),
    "RISK-OLD": ("旧代表", "旧**"),
    "RISK-NEW": ("新代表", "新**"),
}
REPRESENTS = [
    ("RISK-P1", LISTED),
    ("RISK-P1", SHARER),
    ("RISK-P1", SHARER2),
    ("RISK-P2", LISTED_B),
    ("RISK-P2", SHARER_B),
    ("RISK-NEW", CHANGED),
    ("RISK-NEW", CHANGED2),
]
LIST_ENTRIES = [("LE-RISK-1", LISTED, HOUSING), ("LE-RISK-2", LISTED_B, HOUSING)]


def _record(n: int, kind: str, subject: str, provider: str, decided: date) -> dict[str, Any]:
    key = f"{kind}|{provider}|RISK-{n}"
    return {
        "uid": f"{key}#v1",
        "key": key,
        "kind": kind,
        "title": f"风险测试记录{n}",
        "decisionDate": decided,
        "subject": subject,
        "provider": provider,
    }


RECORDS = [
    # three penalties within 90 days from one department: a burst, not a cluster
    _record(1, "PENALTY", BURST, SAMR, DAY - timedelta(days=10)),
    _record(2, "PENALTY", BURST, SAMR, DAY - timedelta(days=40)),
    _record(3, "PENALTY", BURST, SAMR, DAY - timedelta(days=80)),
    _record(4, "PENALTY", BURST2, SAMR, DAY - timedelta(days=5)),
    _record(5, "PENALTY", BURST2, SAMR, DAY - timedelta(days=6)),
    # adverse records from three departments within a year: a cluster
    _record(6, "PENALTY", CLUSTER, SAMR, DAY - timedelta(days=200)),
    _record(7, "PENALTY", CLUSTER, TAX, DAY - timedelta(days=150)),
    _record(8, "JUDGMENT", CLUSTER, COURT, DAY - timedelta(days=100)),
    _record(9, "PENALTY", CLUSTER2, SAMR, DAY - timedelta(days=200)),
    _record(10, "ENFORCEMENT", CLUSTER2, COURT, DAY - timedelta(days=30)),
    # a penalty, then the representative changed 9 days later; and the other way round
    _record(11, "PENALTY", CHANGED, SAMR, date(2026, 10, 1)),
    _record(12, "PENALTY", CHANGED2, SAMR, date(2026, 10, 1)),
]
REVISIONS = [(CHANGED, date(2026, 10, 10)), (CHANGED2, date(2026, 6, 1))]

ALERTS = """
query($signal: RiskSignal, $subject: String, $status: RiskAlertStatus) {
  riskAlerts(signal: $signal, subject: $subject, status: $status, first: 50) {
    totalCount nodes { id signal score status subject { code name } }
  }
}
"""

DETAIL = """
query($id: ID!) {
  riskAlert(id: $id) {
    id signal score status subject { code name } summary scans firstScan lastScan
    departments { code name }
    evidence { summary records listEntries bans departments
      steps { kind code name nameMasked relationship forward } }
  }
}
"""


@pytest.fixture(scope="module", autouse=True)
async def risk_graph(db: Database) -> AsyncIterator[None]:
    """The test enterprises, persons, records, list entries and revisions; removed after with
    every alert, scan and risk notice."""
    await db.write(
        "UNWIND $rows AS row CREATE (:Enterprise {uscc: row.uscc, name: row.name, "
        "status: 'ACTIVE', industry: 'C'})",
        {"rows": [{"uscc": u, "name": n} for u, n in NAMES.items()]},
    )
    await db.write(
        "UNWIND $rows AS row CREATE (:Person {key: row.key, name: row.name, "
        "nameMasked: row.masked})",
        {"rows": [{"key": k, "name": n, "masked": m} for k, (n, m) in PERSONS.items()]},
    )
    await db.write(
        "UNWIND $rows AS row MATCH (p:Person {key: row.p}) MATCH (e:Enterprise {uscc: row.e}) "
        "CREATE (p)-[:LEGAL_REPRESENTATIVE_OF]->(e)",
        {"rows": [{"p": p, "e": e} for p, e in REPRESENTS]},
    )
    await db.write(
        "UNWIND $rows AS row MATCH (e:Enterprise {uscc: row.e}) "
        "MATCH (d:Department {code: row.d}) "
        "CREATE (l:ListEntry {id: row.id, listType: 'BLACK', listName: '严重失信主体名单', "
        "status: 'ACTIVE', decisionDate: date('2026-06-01')}) "
        "CREATE (l)-[:HAS_SUBJECT]->(e) CREATE (l)-[:DECIDED_BY]->(d)",
        {"rows": [{"id": i, "e": e, "d": d} for i, e, d in LIST_ENTRIES]},
    )
    await db.write(
        "UNWIND $rows AS row MATCH (e:Enterprise {uscc: row.subject}) "
        "MATCH (d:Department {code: row.provider}) "
        "CREATE (r:Record {uid: row.uid, key: row.key, version: 1, current: true, "
        "kind: row.kind, title: row.title, decisionDate: row.decisionDate, "
        "status: 'EFFECTIVE', severity: 'GENERAL'}) "
        "CREATE (r)-[:HAS_SUBJECT]->(e) CREATE (r)-[:PROVIDED_BY]->(d)",
        {"rows": RECORDS},
    )
    await db.write(
        "UNWIND $rows AS row MATCH (e:Enterprise {uscc: row.uscc}) "
        "CREATE (rev:EnterpriseRevision {uscc: e.uscc, name: e.name, version: 1, "
        "legalRepresentatives: ['RISK-OLD'], replacedAt: datetime(), changedOn: row.on}) "
        "CREATE (e)-[:PREVIOUS_REVISION]->(rev) SET e.version = 2",
        {"rows": [{"uscc": u, "on": on} for u, on in REVISIONS]},
    )
    yield
    await db.write(
        "MATCH (n) WHERE (n:Enterprise AND n.uscc IN $usccs) OR (n:Person AND n.key IN $keys) "
        "OR (n:ListEntry AND n.id STARTS WITH 'LE-RISK-') "
        "OR (n:Record AND n.key CONTAINS '|RISK-') "
        "OR (n:EnterpriseRevision AND n.uscc IN $usccs) OR n:RiskAlert OR n:RiskScan "
        "OR (n:Notice AND n.kind = 'RISK_ALERT') "
        "DETACH DELETE n",
        {"usccs": list(NAMES), "keys": list(PERSONS)},
    )


async def _alerts_of(
    client_for: ClientFor, subject: str, signal: RiskSignal | None = None, status: str = "ACTIVE"
) -> list[dict[str, Any]]:
    data = await ask(
        client_for,
        OFFICE,
        ALERTS,
        subject=subject,
        signal=signal.value if signal else None,
        status=status,
    )
    found = []
    for node in data["riskAlerts"]["nodes"]:
        detail = await ask(client_for, OFFICE, DETAIL, id=node["id"])
        found.append(detail["riskAlert"])
    return found


async def _scan(db: Database, **changes: Any) -> ScanSummary:
    return await run_scan(db, today=DAY, thresholds=load_thresholds(), **changes)


async def test_contagion_finds_an_enterprise_sharing_a_representative_with_a_black_listed_one(
    db: Database, client_for: ClientFor
) -> None:
    await _scan(db)
    [alert] = await _alerts_of(client_for, SHARER, RiskSignal.CONTAGION)
    assert alert["status"] == "ACTIVE" and alert["score"] == 70.0
    assert alert["departments"] == [{"code": HOUSING, "name": "舞钢市住房和城乡建设局"}]
    [path] = alert["evidence"]
    assert path["listEntries"] == ["LE-RISK-1"] and path["departments"] == [HOUSING]
    steps = [(s["kind"], s["code"], s["relationship"], s["forward"]) for s in path["steps"]]
    assert steps == [
        ("Enterprise", SHARER, "LEGAL_REPRESENTATIVE_OF", False),
        ("Person", "RISK-P1", "LEGAL_REPRESENTATIVE_OF", True),
        ("Enterprise", LISTED, "HAS_SUBJECT", False),
        ("ListEntry", "LE-RISK-1", None, None),
    ]
    person = path["steps"][1]
    assert person["name"] == "风险甲" and person["nameMasked"] == "风**"  # the office's duty
    # The listed enterprise itself is not "linked to a listed enterprise" through itself.
    assert await _alerts_of(client_for, LISTED, RiskSignal.CONTAGION) == []


async def test_a_removed_list_entry_stops_the_alert_at_the_next_scan(
    db: Database, client_for: ClientFor
) -> None:
    await _scan(db)
    [alert] = await _alerts_of(client_for, SHARER_B, RiskSignal.CONTAGION)
    await db.write("MATCH (l:ListEntry {id: 'LE-RISK-2'}) SET l.status = 'REMOVED'")
    try:
        summary = await _scan(db)
        assert await _alerts_of(client_for, SHARER_B, RiskSignal.CONTAGION) == []
        [resolved] = await _alerts_of(client_for, SHARER_B, RiskSignal.CONTAGION, "RESOLVED")
        assert resolved["id"] == alert["id"] and summary.resolved >= 1
    finally:
        await db.write("MATCH (l:ListEntry {id: 'LE-RISK-2'}) SET l.status = 'ACTIVE'")
    await _scan(db)
    [again] = await _alerts_of(client_for, SHARER_B, RiskSignal.CONTAGION)
    assert again["id"] != alert["id"]  # the risk came back: a new alert, the old one kept


async def test_alerts_persist_across_scans_without_duplicates(
    db: Database, client_for: ClientFor
) -> None:
    first = await _scan(db)
    second = await _scan(db)
    [alert] = await _alerts_of(client_for, SHARER, RiskSignal.CONTAGION)
    assert alert["lastScan"] == second.scan_id and alert["scans"] >= 2
    assert alert["id"] not in second.new_alerts and second.persisting >= 1
    assert first.found == second.found
    [count] = await db.read(
        "MATCH (a:RiskAlert {subject: $s, signal: 'CONTAGION', status: 'ACTIVE'}) "
        "RETURN count(a) AS n",
        {"s": SHARER},
    )
    assert count["n"] == 1


async def test_two_scans_at_the_same_moment_create_each_alert_once(db: Database) -> None:
    """Two hubs (or a hub and a cron job) may start a scan together: they take turns."""
    await db.write("MATCH (a:RiskAlert) DETACH DELETE a")
    first, second = await asyncio.gather(_scan(db), _scan(db))
    # The scan that got the lock second found every alert already there.
    assert sorted((first.new, second.new))[0] == 0 and max(first.new, second.new) > 0
    duplicated = await db.read(
        "MATCH (a:RiskAlert {status: 'ACTIVE'}) WITH a.signal AS signal, a.subject AS subject, "
        "count(*) AS n WHERE n > 1 RETURN signal, subject, n"
    )
    assert duplicated == []


async def test_a_burst_is_three_penalties_within_90_days_and_the_toml_can_lower_it(
    db: Database, client_for: ClientFor
) -> None:
    await _scan(db)
    [alert] = await _alerts_of(client_for, BURST, RiskSignal.BURST)
    assert alert["score"] == 50.0 and len(alert["evidence"]) == 3
    assert {r for e in alert["evidence"] for r in e["records"]} == {
        RECORDS[i]["uid"] for i in range(3)
    }
    assert await _alerts_of(client_for, BURST2, RiskSignal.BURST) == []
    lowered = parse_thresholds({"burst": {"min_penalties": 2}, "scan": {"signals": ["BURST"]}})
    await run_scan(db, today=DAY, thresholds=lowered)
    [two] = await _alerts_of(client_for, BURST2, RiskSignal.BURST)
    [three] = await _alerts_of(client_for, BURST, RiskSignal.BURST)
    assert two["score"] == 50.0 and three["score"] == 60.0  # one more than the threshold


async def test_a_cluster_is_adverse_records_from_three_departments_and_the_toml_can_lower_it(
    db: Database, client_for: ClientFor
) -> None:
    await _scan(db)
    [alert] = await _alerts_of(client_for, CLUSTER, RiskSignal.CLUSTER)
    assert {d["code"] for d in alert["departments"]} == {SAMR, TAX, COURT}
    assert len(alert["evidence"]) == 3 and alert["score"] == 50.0
    assert await _alerts_of(client_for, CLUSTER2, RiskSignal.CLUSTER) == []
    lowered = parse_thresholds(
        {"cluster": {"min_departments": 2}, "scan": {"signals": ["CLUSTER"]}}
    )
    await run_scan(db, today=DAY, thresholds=lowered)
    [two] = await _alerts_of(client_for, CLUSTER2, RiskSignal.CLUSTER)
    assert {d["code"] for d in two["departments"]} == {SAMR, COURT}


async def test_a_change_of_legal_representative_right_after_a_penalty_is_an_alert(
    db: Database, client_for: ClientFor
) -> None:
    await _scan(db)
    [alert] = await _alerts_of(client_for, CHANGED, RiskSignal.REPRESENTATIVE_CHANGE)
    assert "9天" in alert["summary"] or "9天" in alert["evidence"][0]["summary"]
    assert alert["score"] == pytest.approx(60.0 + 30.0 * (1 - 9 / 30), abs=0.05)
    [path] = alert["evidence"]
    assert path["records"] == [RECORDS[10]["uid"]] and path["departments"] == [SAMR]
    assert "旧**" in path["summary"] and "新**" in path["summary"]
    # A change before the penalty is not one made to escape it.
    assert await _alerts_of(client_for, CHANGED2, RiskSignal.REPRESENTATIVE_CHANGE) == []


async def test_the_scan_notifies_the_department_that_decided_the_list_entry_once(
    db: Database, client_for: ClientFor
) -> None:
    await db.write("MATCH (a:RiskAlert) DETACH DELETE a")  # so that every finding is new
    summary = await _scan(db)
    mine = [
        n
        for n in await notices_of(client_for, HOUSING_DEPT)
        if n["kind"] == "RISK_ALERT" and n["ref"] == summary.scan_id
    ]
    assert len(mine) == 1  # one notice for the department's new alerts, not one per alert
    assert "关联风险传导" in mine[0]["title"] and "新增3条" in mine[0]["title"]
    office = [
        n
        for n in await notices_of(client_for, OFFICE)
        if n["kind"] == "RISK_ALERT" and n["ref"] == summary.scan_id
    ]
    assert len(office) == 1 and f"新增{summary.new}条" in office[0]["title"]
    again = await _scan(db)
    assert again.new == 0
    assert not [n for n in await notices_of(client_for, HOUSING_DEPT) if n["ref"] == again.scan_id]


async def test_departments_and_the_office_read_alerts_others_are_refused(
    db: Database, client_for: ClientFor
) -> None:
    await _scan(db)
    data = await ask(client_for, MARKET, ALERTS, subject=SHARER, signal=None, status=None)
    [alert] = [a for a in data["riskAlerts"]["nodes"] if a["signal"] == "CONTAGION"]
    one = await ask(
        client_for,
        MARKET,
        "query($id: ID!) { riskAlert(id: $id) { id subject { code } } }",
        id=alert["id"],
    )
    assert one["riskAlert"] == {"id": alert["id"], "subject": {"code": SHARER}}
    for who in (BANK_B1, org(OrgKind.ENTERPRISE, SHARER)):
        error = await refused(client_for, who, ALERTS, subject=SHARER, signal=None, status=None)
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "operations.readRiskAlerts" in error["message"]


def test_thresholds_are_checked_with_clear_errors() -> None:
    with pytest.raises(ThresholdError, match=r"burst.min_penalties"):
        parse_thresholds({"burst": {"min_penalties": 1}})
    with pytest.raises(ThresholdError, match=r"unknown key\(s\) in \[cluster\]: window"):
        parse_thresholds({"cluster": {"window": 30}})
    with pytest.raises(ThresholdError, match=r"contagion.controlling_share: must be a number"):
        parse_thresholds({"contagion": {"controlling_share": "half"}})
    with pytest.raises(ThresholdError, match=r"scan.signals"):
        parse_thresholds({"scan": {"signals": ["GUESSWORK"]}})
    assert load_thresholds().burst.min_penalties == 3


def test_credithub_risk_scan_works_as_a_command(
    db: Database, neo4j_connection: Connection, tmp_path: Path
) -> None:
    env = hub_env(neo4j_connection, tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["risk-scan", "--as-of", DAY.isoformat()], env=env)
    assert result.exit_code == 0, result.output
    assert f"基准日 {DAY}" in result.output and "关联风险传导（CONTAGION）" in result.output
    listed = runner.invoke(main, ["risk-alerts", "--signal", "BURST"], env=env)
    assert listed.exit_code == 0, listed.output
    assert NAMES[BURST] in listed.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[burst]\nmin_penalties = 0\n", encoding="utf-8")
    refused_run = runner.invoke(main, ["risk-scan", "--thresholds", str(bad)], env=env)
    assert refused_run.exit_code != 0 and "burst.min_penalties" in refused_run.output
