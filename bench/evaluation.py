"""The whole-graph evaluation through our code path versus the same model in plain Cypher.

    .venv/bin/python -m bench.evaluation [--enterprises 100000] [--no-reuse] [--repeat 2]
        [--keep]

Both sides evaluate every enterprise of the same demo graph as of the demo's day
(`DemoSpec.today`) with the same default model (graph/evaluation/indicator_model.toml):

- **ours**: `graph.evaluation.run.evaluate_all`, exactly what ``credithub evaluate`` runs —
  set-based fact queries per batch of 5,000, scoring and explanations in Python, UNWIND writes
  of one `Evaluation` per enterprise (with its JSON explanation and sources), ``current`` moved
  from the previous run, the run finished and departments notified;
- **raw**: one hand-written auto-commit statement through the async driver, ``CALL { … } IN
  TRANSACTIONS OF 5000 ROWS`` over every enterprise: the same facts (publication windows,
  statuses, lists in force, verified items, annual reports, related black-listed enterprises),
  the same points, caps, family bounds, cut-offs and hard rules — the model's numbers passed as
  parameters — and a ``(:BenchEvaluation {score, grade, indicators, points})`` written per
  enterprise, moving ``current`` from the previous one. No explanation sources, no notices:
  the floor of the computation.

Before reporting, every enterprise must have the same score and grade on both sides (the
benchmark stops loudly otherwise). ``--repeat`` alternates the sides (ours, raw, ours, raw …) so
both see the same warm caches; the best time of each is reported, all times are in the JSON.

It uses the bench Neo4j (``.credithub/bench``, Bolt 17689) or, with NEO4J_URI, that server. The
demo graph is loaded with ``credithub demo-data`` unless one of the same size and seed is there
already (``--reuse``, the default: a 100,000-enterprise load takes minutes). Evaluation nodes of
earlier runs are removed before timing. JSON to ``bench/results/evaluation-<size>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, LiteralString

import neo4j

from bench.credit_check import (
    GRAPH_COUNTS,
    LOAD_TIMEOUT,
    BenchmarkError,
    credithub,
    empty_graph,
    log,
    machine_facts,
    read_rows,
    run_benchmark,
)
from graph.database import Connection, Database
from graph.evaluation.facts import ANNUAL_REPORT_MONTH_DAY, due_report_years
from graph.evaluation.model import IndicatorModel, default_model
from graph.evaluation.run import evaluate_all
from graph.model import CommitmentStatus
from loaders.demo_data import DemoSpec

MARKER: Final[LiteralString] = (
    "MATCH (m:BenchGraph {id: 'demo-data'}) RETURN m.enterprises AS enterprises, m.seed AS seed"
)
# Evaluations first: a run node holds one IN_RUN relationship per enterprise, too many to
# delete in one transaction on a 1 GB heap; once its evaluations are gone it is small.
CLEAR_EVALUATIONS: Final[LiteralString] = (
    "MATCH (n) WHERE n:Evaluation OR n:BenchEvaluation "
    "OR (n:Notice AND n.kind IN ['EVALUATION_RESULTS', 'GRADE_CHANGED']) "
    "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS"
)
CLEAR_RUNS: Final[LiteralString] = (
    "MATCH (n:EvaluationRun) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 100 ROWS"
)

# The same computation as graph/evaluation/facts.py + scoring.py, in one statement. Facts are
# named as in `graph.evaluation.facts.Fact`; the model comes in as parameters.
RAW_EVALUATION: Final[LiteralString] = """
MATCH (e:Enterprise)
CALL (e) {
  WITH e,
    CASE WHEN e.foundedOn IS NULL OR e.foundedOn > $today THEN null
      ELSE duration.inMonths(e.foundedOn, $today).years END AS years,
    [y IN $dueYears WHERE e.foundedOn IS NULL OR y >= e.foundedOn.year] AS due,
    coalesce(e.annualReportYears, []) AS ry, coalesce(e.annualReportFiledOn, []) AS rf
  WITH e, years, due,
    [i IN range(0, size(ry) - 1) WHERE ry[i] IN due
      AND rf[i] <= date({year: ry[i] + 1, month: $month, day: $day}) | ry[i]] AS onTime,
    [i IN range(0, size(ry) - 1) WHERE ry[i] IN due
      AND rf[i] > date({year: ry[i] + 1, month: $month, day: $day}) | ry[i]] AS late
  WITH e, years, size(due) AS due, size(onTime) AS onTime, size(late) AS late,
    COLLECT {
      MATCH (e)<-[:HAS_SUBJECT]-(r:Record)
      WHERE r.current AND r.status IN ['EFFECTIVE', 'UNDER_OBJECTION']
        AND r.publishFrom <= $today AND $today <= r.publishUntil
      RETURN CASE r.kind
        WHEN 'LICENSE' THEN 'LICENCES'
        WHEN 'PENALTY' THEN CASE r.severity WHEN 'SERIOUS' THEN 'PENALTIES_SERIOUS'
          ELSE 'PENALTIES_GENERAL' END
        WHEN 'ENFORCEMENT' THEN 'ENFORCEMENTS'
        WHEN 'JUDGMENT' THEN 'JUDGMENTS'
        WHEN 'ABNORMAL_OPERATION' THEN 'ABNORMAL_OPERATIONS'
        WHEN 'RECTIFICATION' THEN 'OTHER_ADVERSE'
        WHEN 'INTERVIEW' THEN 'OTHER_ADVERSE'
        WHEN 'LIABILITY' THEN 'OTHER_ADVERSE'
        WHEN 'COMMITMENT_BREACH' THEN 'COMMITMENTS_BREACHED'
        WHEN 'COMMITMENT' THEN CASE WHEN r.fulfilment = $kept THEN 'COMMITMENTS_KEPT' END
        WHEN 'HONOR' THEN 'HONOURS'
        WHEN 'TAX_GRADE' THEN CASE r.category WHEN 'A' THEN 'TAX_GRADE_A'
          WHEN 'D' THEN 'TAX_GRADE_D' END
        WHEN 'VOLUNTARY' THEN CASE WHEN NOT EXISTS { (:VoluntaryItem)-[:RESULTED_IN]->(r) }
          THEN 'VOLUNTARY_VERIFIED' END
      END AS fact
    } AS recordFacts,
    COUNT { MATCH (e)<-[:HAS_SUBJECT]-(l:ListEntry {listType: 'BLACK', status: 'ACTIVE'})
      WHERE l.effectiveUntil IS NULL OR l.effectiveUntil >= $today } AS black,
    COUNT { MATCH (e)<-[:HAS_SUBJECT]-(l:ListEntry {listType: 'RED', status: 'ACTIVE'})
      WHERE l.effectiveUntil IS NULL OR l.effectiveUntil >= $today } AS red,
    COUNT { MATCH (e)<-[:HAS_SUBJECT]-(v:VoluntaryItem {current: true})
      WHERE v.verification = 'VERIFIED' } AS items,
    size(COLLECT {
      MATCH (e)<-[:LEGAL_REPRESENTATIVE_OF|ACTUAL_CONTROLLER_OF]-(:Person)
        -[:LEGAL_REPRESENTATIVE_OF|ACTUAL_CONTROLLER_OF]->(o:Enterprise)
      WHERE o <> e AND EXISTS { MATCH (o)<-[:HAS_SUBJECT]-(l:ListEntry
        {listType: 'BLACK', status: 'ACTIVE'})
        WHERE l.effectiveUntil IS NULL OR l.effectiveUntil >= $today }
      RETURN o.uscc AS o
      UNION
      MATCH (e)<-[s:SHAREHOLDER_OF]-()-[t:SHAREHOLDER_OF]->(o:Enterprise)
      WHERE s.share >= $share AND t.share >= $share AND o <> e
        AND EXISTS { MATCH (o)<-[:HAS_SUBJECT]-(l:ListEntry {listType: 'BLACK', status: 'ACTIVE'})
        WHERE l.effectiveUntil IS NULL OR l.effectiveUntil >= $today }
      RETURN o.uscc AS o
      UNION
      MATCH (e)<-[s:SHAREHOLDER_OF]-(o:Enterprise)
      WHERE s.share >= $share AND o <> e
        AND EXISTS { MATCH (o)<-[:HAS_SUBJECT]-(l:ListEntry {listType: 'BLACK', status: 'ACTIVE'})
        WHERE l.effectiveUntil IS NULL OR l.effectiveUntil >= $today }
      RETURN o.uscc AS o
      UNION
      MATCH (e)-[s:SHAREHOLDER_OF]->(o:Enterprise)
      WHERE s.share >= $share AND o <> e
        AND EXISTS { MATCH (o)<-[:HAS_SUBJECT]-(l:ListEntry {listType: 'BLACK', status: 'ACTIVE'})
        WHERE l.effectiveUntil IS NULL OR l.effectiveUntil >= $today }
      RETURN o.uscc AS o
    }) AS related
  WITH e, {
    YEARS_IN_BUSINESS: coalesce(years, 0),
    REGISTERED_CAPITAL: coalesce(e.registeredCapital, 0),
    LICENCE_REVOKED: CASE e.status WHEN 'REVOKED' THEN 1 ELSE 0 END,
    ANNUAL_REPORTS_ON_TIME: onTime, ANNUAL_REPORTS_LATE: late,
    ANNUAL_REPORTS_MISSING: due - onTime - late,
    BLACK_LIST: black, RED_LIST: red, RELATED_BLACK_LISTED: related,
    VOLUNTARY_VERIFIED: items + size([f IN recordFacts WHERE f = 'VOLUNTARY_VERIFIED']),
    LICENCES: size([f IN recordFacts WHERE f = 'LICENCES']),
    PENALTIES_GENERAL: size([f IN recordFacts WHERE f = 'PENALTIES_GENERAL']),
    PENALTIES_SERIOUS: size([f IN recordFacts WHERE f = 'PENALTIES_SERIOUS']),
    ENFORCEMENTS: size([f IN recordFacts WHERE f = 'ENFORCEMENTS']),
    JUDGMENTS: size([f IN recordFacts WHERE f = 'JUDGMENTS']),
    ABNORMAL_OPERATIONS: size([f IN recordFacts WHERE f = 'ABNORMAL_OPERATIONS']),
    OTHER_ADVERSE: size([f IN recordFacts WHERE f = 'OTHER_ADVERSE']),
    TAX_GRADE_D: size([f IN recordFacts WHERE f = 'TAX_GRADE_D']),
    TAX_GRADE_A: size([f IN recordFacts WHERE f = 'TAX_GRADE_A']),
    COMMITMENTS_KEPT: size([f IN recordFacts WHERE f = 'COMMITMENTS_KEPT']),
    COMMITMENTS_BREACHED: size([f IN recordFacts WHERE f = 'COMMITMENTS_BREACHED']),
    HONOURS: size([f IN recordFacts WHERE f = 'HONOURS'])
  } AS facts
  WITH e, facts, [ind IN $indicators WHERE facts[ind.fact] <> 0 | {
    code: ind.code, family: ind.family,
    points: CASE
      WHEN ind.bands IS NOT NULL THEN coalesce(last([b IN ind.bands
        WHERE facts[ind.fact] >= b.start | b.points]), 0.0)
      WHEN ind.cap IS NULL THEN ind.points * facts[ind.fact]
      WHEN ind.points * facts[ind.fact] > ind.cap THEN ind.cap
      WHEN ind.points * facts[ind.fact] < -ind.cap THEN -ind.cap
      ELSE ind.points * facts[ind.fact] END
  }] AS applied
  WITH e, facts, applied, $base + reduce(total = 0.0, f IN $families |
    total + CASE
      WHEN reduce(s = 0.0, p IN [q IN applied WHERE q.family = f.code] | s + p.points)
        > f.max THEN f.max
      WHEN reduce(s = 0.0, p IN [q IN applied WHERE q.family = f.code] | s + p.points)
        < f.min THEN f.min
      ELSE reduce(s = 0.0, p IN [q IN applied WHERE q.family = f.code] | s + p.points) END
  ) AS total
  WITH e, facts, applied, round(CASE WHEN total < $low THEN $low WHEN total > $high THEN $high
    ELSE total END, 2) AS score
  WITH e, facts, applied, score,
    CASE WHEN score >= $a THEN 0 WHEN score >= $b THEN 1 WHEN score >= $c THEN 2 ELSE 3 END
      AS byScore
  WITH e, applied, score, reduce(g = byScore, rule IN $rules |
    CASE WHEN facts[rule.fact] >= rule.atLeast AND rule.rank > g THEN rule.rank ELSE g END)
    AS rank
  CALL (e) { MATCH (old:BenchEvaluation {uscc: e.uscc, current: true})
    SET old.current = false }
  CREATE (v:BenchEvaluation {runId: $runId, uscc: e.uscc, score: score,
    grade: ['A', 'B', 'C', 'D'][rank], current: true,
    indicators: [x IN applied | x.code], points: [x IN applied | x.points]})
  CREATE (v)-[:EVALUATES]->(e)
} IN TRANSACTIONS OF 5000 ROWS
"""

RAW_INDEX: Final[LiteralString] = (
    "CREATE INDEX bench_evaluation_uscc IF NOT EXISTS FOR (v:BenchEvaluation) ON (v.uscc)"
)

COMPARE: Final[LiteralString] = """
MATCH (e:Enterprise)
OPTIONAL MATCH (ours:Evaluation {uscc: e.uscc, runId: $ours})
OPTIONAL MATCH (raw:BenchEvaluation {uscc: e.uscc, runId: $raw})
WITH e, ours, raw
WHERE ours IS NULL OR raw IS NULL OR ours.grade <> raw.grade OR abs(ours.score - raw.score) > 1e-6
RETURN e.uscc AS uscc, ours.grade AS oursGrade, ours.score AS oursScore,
  raw.grade AS rawGrade, raw.score AS rawScore
ORDER BY uscc LIMIT 20
"""


def raw_parameters(model: IndicatorModel, today: date, run_id: str) -> dict[str, Any]:
    """The model and the day as the raw statement's parameters."""
    month, day = ANNUAL_REPORT_MONTH_DAY
    ranks = {"A": 0, "B": 1, "C": 2, "D": 3}
    cut = dict((g.value, score) for g, score in model.cutoffs)
    return {
        "runId": run_id,
        "today": today,
        "dueYears": due_report_years(today, None, model.annual_report_years),
        "month": month,
        "day": day,
        "kept": CommitmentStatus.KEPT.label,
        "share": model.related_controlling_share,
        "base": model.base_score,
        "low": model.min_score,
        "high": model.max_score,
        "a": cut["A"],
        "b": cut["B"],
        "c": cut["C"],
        "indicators": [
            {
                "code": i.code,
                "family": i.family,
                "fact": i.fact.value,
                "points": i.points,
                "cap": i.cap,
                "bands": [{"start": b.start, "points": b.points} for b in i.bands] or None,
            }
            for i in model.indicators
        ],
        "families": [
            {"code": f.code, "min": f.min_points, "max": f.max_points} for f in model.families
        ],
        "rules": [
            {"fact": r.fact.value, "atLeast": r.at_least, "rank": ranks[r.max_grade.value]}
            for r in model.hard_rules
        ],
    }


@dataclass(frozen=True)
class Options:
    """The command line."""

    enterprises: int
    reuse: bool
    repeat: int
    keep: bool


def _auto_commit(connection: Connection, cypher: LiteralString, params: dict[str, Any]) -> None:
    """One auto-commit statement (``IN TRANSACTIONS`` needs one) with the sync driver."""
    with (
        neo4j.GraphDatabase.driver(
            connection.uri, auth=(connection.user, connection.password)
        ) as driver,
        driver.session(database=connection.database) as session,
    ):
        session.run(cypher, params).consume()


def prepare_graph(
    connection: Connection, env: Mapping[str, str], options: Options
) -> dict[str, Any]:
    """The demo graph at the requested size: reused when the marker says so, else loaded."""
    spec = DemoSpec(enterprises=options.enterprises)
    marker = read_rows(connection, MARKER)
    if (
        options.reuse
        and marker
        and marker[0]["enterprises"] == spec.enterprises
        and marker[0]["seed"] == spec.seed
    ):
        log(f"reusing the loaded demo graph ({spec.enterprises:,} enterprises, seed {spec.seed})")
        return {"reused": True, "load_seconds": None}
    log(f"emptying the graph, migrating, loading {spec.enterprises:,} enterprises …")
    started = time.monotonic()
    empty_graph(connection)
    credithub(env, "migrate")
    credithub(env, "demo-data", "--enterprises", str(spec.enterprises), timeout=LOAD_TIMEOUT)
    seconds = time.monotonic() - started
    _auto_commit(
        connection,
        "MERGE (m:BenchGraph {id: 'demo-data'}) SET m.enterprises = $n, m.seed = $seed",
        {"n": spec.enterprises, "seed": spec.seed},
    )
    log(f"loaded in {seconds:.0f} s")
    return {"reused": False, "load_seconds": round(seconds, 1)}


async def time_ours(db: Database, today: date) -> tuple[float, str, dict[str, Any]]:
    """Our whole run: seconds, run id, summary."""
    started = time.perf_counter()
    summary = await evaluate_all(db, today=today)
    seconds = time.perf_counter() - started
    return (
        seconds,
        summary.run_id,
        {
            "enterprises": summary.enterprises,
            "grades": {g.value: n for g, n in summary.grade_counts.items()},
            "changed": summary.changed,
            "notices": summary.notices,
        },
    )


async def time_raw(
    connection: Connection, model: IndicatorModel, today: date, n: int
) -> tuple[float, str]:
    """The raw statement: seconds, run id."""
    run_id = f"RAW-{n}-{int(time.time())}"
    driver = neo4j.AsyncGraphDatabase.driver(
        connection.uri,
        auth=(connection.user, connection.password),
        notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
    )
    try:
        async with driver.session(database=connection.database) as session:
            started = time.perf_counter()
            result = await session.run(RAW_EVALUATION, raw_parameters(model, today, run_id))
            await result.consume()
            seconds = time.perf_counter() - started
    finally:
        await driver.close()
    return seconds, run_id


async def measure(connection: Connection, options: Options) -> dict[str, Any]:
    """Alternate the sides `repeat` times, check they agree, return the figures."""
    model = default_model()
    today = DemoSpec().today
    _auto_commit(connection, CLEAR_EVALUATIONS, {})
    _auto_commit(connection, CLEAR_RUNS, {})
    _auto_commit(connection, RAW_INDEX, {})
    ours_seconds: list[float] = []
    raw_seconds: list[float] = []
    summary: dict[str, Any] = {}
    ours_run = raw_run = ""
    async with Database(connection) as db:
        for n in range(options.repeat):
            log(f"round {n + 1}/{options.repeat}: ours …")
            seconds, ours_run, summary = await time_ours(db, today)
            ours_seconds.append(round(seconds, 2))
            log(f"  ours {seconds:.1f} s; raw …")
            seconds, raw_run = await time_raw(connection, model, today, n)
            raw_seconds.append(round(seconds, 2))
            log(f"  raw {seconds:.1f} s")
    differences = read_rows(connection, COMPARE, {"ours": ours_run, "raw": raw_run})
    if differences:
        raise BenchmarkError(
            "ours and raw disagree (first 20 enterprises):\n"
            + "\n".join(json.dumps(row, ensure_ascii=False, default=str) for row in differences)
        )
    log(f"ours and raw agree on the score and grade of all {summary['enterprises']:,} enterprises")
    best_ours, best_raw = min(ours_seconds), min(raw_seconds)
    return {
        "enterprises": summary["enterprises"],
        "model_version": model.version,
        "evaluated_on": today.isoformat(),
        "ours_seconds": ours_seconds,
        "raw_seconds": raw_seconds,
        "best_ours_seconds": best_ours,
        "best_raw_seconds": best_raw,
        "ratio_ours_to_raw": round(best_ours / best_raw, 2),
        "ours_per_second": round(summary["enterprises"] / best_ours),
        "last_run": summary,
        "agreement": {"checked": summary["enterprises"], "differences": 0},
    }


def report(result: Mapping[str, Any]) -> str:
    """The figures as Markdown."""
    facts = result["machine"]
    lines = [
        f"### Evaluation of {result['enterprises']:,} enterprises "
        f"(model {result['model_version']})",
        "",
        "| side | best (s) | all runs (s) |",
        "| --- | ---: | --- |",
        f"| ours (`credithub evaluate`) | {result['best_ours_seconds']:.1f} | "
        f"{', '.join(f'{s:.1f}' for s in result['ours_seconds'])} |",
        f"| raw Cypher (one statement) | {result['best_raw_seconds']:.1f} | "
        f"{', '.join(f'{s:.1f}' for s in result['raw_seconds'])} |",
        "",
        f"ours ÷ raw = {result['ratio_ours_to_raw']}; grades {result['last_run']['grades']}; "
        f"both sides agree on every enterprise.",
        f"{facts['nproc']} CPUs ({facts['cpu']}), Neo4j {facts['neo4j']}, load average before "
        f"timing {result['load_average_before_timing']}.",
    ]
    return "\n".join(lines) + "\n"


def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.evaluation",
        description="Whole-graph evaluation: our code path versus the model in plain Cypher.",
    )
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument(
        "--reuse",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="reuse a loaded demo graph of the same size and seed (default: yes)",
    )
    parser.add_argument("--repeat", type=int, default=2, help="rounds of ours-then-raw")
    parser.add_argument("--keep", action="store_true", help="leave the bench Neo4j running")
    args = parser.parse_args(argv)
    if args.enterprises < 1 or args.repeat < 1:
        parser.error("--enterprises and --repeat must be at least 1")
    return Options(args.enterprises, args.reuse, args.repeat, args.keep)


def main(argv: Sequence[str] | None = None) -> int:
    """Provision, prepare the graph, measure, report; the exit status."""
    options = parse_options(argv)

    def work(connection: Connection, env: dict[str, str]) -> dict[str, Any]:
        prepared = prepare_graph(connection, env, options)
        load_average = [round(x, 2) for x in os.getloadavg()]
        result = asyncio.run(measure(connection, options))
        return result | {
            **prepared,
            "graph": read_rows(connection, GRAPH_COUNTS)[0],
            "load_average_before_timing": load_average,
            "machine": machine_facts(connection, 1),
        }

    return run_benchmark(
        work, keep=options.keep, save_as=f"evaluation-{options.enterprises}", render=report
    )


if __name__ == "__main__":
    sys.exit(main())
