"""Four consumer journeys: the hub against @neo4j/graphql (the peer) and the raw driver.

    .venv/bin/python -m bench.journeys [--sizes 300,100000] [--requests 300] [--concurrency 8]
        [--workers 1] [--verify 8] [--journeys credit_check,members,traversal,search]
        [--no-reuse] [--keep]

Each journey is one request a real consumer sends, answered three ways over the same graph:

* **hub** — `credithub serve` over HTTP as that consumer (token, guards, GraphQL, the catalogue
  compiled into the query, the audit entry committed before the answer);
* **peer** — `bench/peer/server.mjs`: @neo4j/graphql 7 (Neo4j's own GraphQL library, as many
  Node.js processes as the hub has workers: `--workers`) over typeDefs of the same labels and
  relationships, asked with `where`
  filters for the rows the hub's consumer sees; no authorisation, no audit;
* **raw** — one hand-written Cypher query on the async Python driver.

The journeys: (a) the bank's credit check (the README's query, a bank token stating 贷前审查,
consent granted through the hub's own `grantConsent` by every sampled enterprise); (b) an
association fetching its member roll with each member's records; (c) a department following an
enterprise's legal representative to their other enterprises and those enterprises' records;
(d) the public search of the disclosure site (its own query document, no token).

Before timing, for `--verify` subjects per journey the three sides must return the same facts
(ids, counts, order, names where the consumer sees them); otherwise the run stops and prints the
differences. Then sequential latency (sides interleaved request by request) and throughput with
`--concurrency` clients (sides in alternating blocks). The graph: the bench Neo4j
(CREDITHUB_BENCH_NEO4J_PORT), reused when it holds exactly N demo enterprises. The peer is
installed with `npm ci` on first use. Results: Markdown on stdout and
``bench/results/journeys-<size>.json``. Nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, LiteralString

import httpx
import neo4j

from authz.identity import Consumer, OrgKind
from authz.tokens import mint
from bench.credit_check import (
    BENCH_HOME,
    CREDIT_CHECK,
    RESULTS,
    ROOT,
    SAMPLE_SEED,
    VERIFY_EXTRAS,
    BenchmarkError,
    credithub,
    essentials,
    free_port,
    load_graph,
    log,
    machine_facts,
    read_rows,
    run_benchmark,
    running_hub,
    sample_usccs,
    side,
    stop_process,
    wait_healthy,
)
from bench.graph_signals import graph_ready
from bench.http_client import HttpError, LeanClient
from bench.processes import cpu_seconds, neo4j_pid, tree
from graph.database import Connection
from graph.identifiers import CATEGORY_LABELS
from graph.lifecycle.base import china_today
from graph.model import ListEntryStatus, RecordStatus
from hub.api.query import lucene_phrase_query
from hub.settings import Settings
from hub.site.documents import SEARCH as SITE_SEARCH

PEER_DIR = ROOT / "bench" / "peer"
PEER_START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0
WARM_UP = 30
PURPOSE = "贷前审查"
JOURNEYS = ("credit_check", "members", "traversal", "search")
UNSHARED = [RecordStatus.REPAIRED.value, RecordStatus.REVOKED.value]
OPEN_ENTRIES = [ListEntryStatus.ACTIVE.value, ListEntryStatus.ANNOUNCED.value]
EXPIRED = ListEntryStatus.EXPIRED.value
SEARCH_PAGE = 10
MEMBER_PAGE = 20
NESTED_PAGE = 5

# -- the hub's documents (besides the credit check and the site search, imported) ----------
HUB_MEMBERS = """
query Members($code: String!) {
  association(code: $code) { code name
    members(first: 20) { totalCount
      edges { node { uscc name blackListed
        records(first: 5) { totalCount edges { node { id kind title decisionDate status } } } } }
      pageInfo { hasNextPage } } }
}"""
HUB_TRAVERSAL = """
query Traverse($uscc: String!) {
  enterprise(uscc: $uscc) { uscc name
    legalRepresentative { key name
      enterprises(excludeUscc: $uscc) { uscc name status blackListed
        records(first: 5) { totalCount edges { node { id kind decisionDate status } } } } } }
}"""

# -- the peer's documents: the same questions in @neo4j/graphql's generated API ------------
_PEER_RECORD_SORT = "sort: [{node: {decisionDate: DESC}}, {node: {uid: ASC}}]"
PEER_CREDIT_CHECK = (
    """
query CreditCheck($uscc: String!, $unshared: [String!]!) {
  enterprises(where: {uscc: {eq: $uscc}}) {
    uscc name status registeredCapital blackListed redListed
    legalRepresentative { key nameMasked
      enterprises(excludeUscc: $uscc) { uscc name status blackListed } }
    recordsConnection(first: 20, """
    + _PEER_RECORD_SORT
    + """,
        where: {node: {current: {eq: true}, NOT: {status: {in: $unshared}}}}) {
      totalCount
      edges { node { uid kind title documentNumber decisionDate severity status category
        amount issuingAuthority provider { name } } }
      pageInfo { hasNextPage endCursor } }
    listEntriesConnection(first: 20, sort: [{node: {decisionDate: DESC}}, {node: {id: ASC}}]) {
      totalCount
      edges { node { id listType listName status decisionDate
        sanctions(sort: [{id: ASC}]) { status measure { code name } } } } }
    sanctionsConnection(first: 20, sort: [{node: {from: DESC}}, {node: {id: ASC}}]) {
      totalCount edges { node { id status from until measure { code name business } } } }
  }
}"""
)
PEER_MEMBERS = (
    """
query Members($code: String!, $today: Date!, $unshared: [String!]!) {
  associations(where: {code: {eq: $code}}) { code name
    membersConnection(first: 20, sort: [{node: {name: ASC}}, {node: {uscc: ASC}}],
        where: {OR: [{edge: {until: {eq: null}}}, {edge: {until: {gt: $today}}}]}) {
      totalCount
      edges { node { uscc name blackListed
        recordsConnection(first: 5, """
    + _PEER_RECORD_SORT
    + """,
            where: {node: {current: {eq: true}, NOT: {status: {in: $unshared}}}}) {
          totalCount edges { node { uid kind title decisionDate status } } } } }
      pageInfo { hasNextPage } } }
}"""
)
PEER_TRAVERSAL = (
    """
query Traverse($uscc: String!, $me: String!, $unshared: [String!]!) {
  enterprises(where: {uscc: {eq: $uscc}}) { uscc name
    legalRepresentative { key name
      enterprises(excludeUscc: $uscc) { uscc name status blackListed
        recordsConnection(first: 5, """
    + _PEER_RECORD_SORT
    + """,
            where: {node: {current: {eq: true}, OR: [
              {NOT: {status: {in: $unshared}}},
              {provider: {some: {code: {eq: $me}}}},
              {decidedBy: {some: {code: {eq: $me}}}}]}}) {
          totalCount edges { node { uid kind decisionDate status } } } } } }
}"""
)
PEER_SEARCH = """
query Search($phrase: String!, $first: Int!) {
  searchEnterprises(phrase: $phrase, first: $first, sort: [{score: DESC}, {node: {name: ASC}}]) {
    totalCount
    edges { node {
      uscc name status categoryLabel address blackListed redListed
      legalRepresentative { nameMasked } } }
    pageInfo { hasNextPage endCursor }
  }
}"""

# -- the raw side: one Cypher query per journey -------------------------------------------
# "On a list in force today", as graph/publication.py `list_entry_in_force` states it.
_ON_LIST = (
    "EXISTS { MATCH (l:ListEntry {listType: $type})-[:HAS_SUBJECT]->(x) "
    "WHERE l.status = 'ACTIVE' AND (l.effectiveUntil IS NULL OR $today <= l.effectiveUntil) }"
)
RAW_CREDIT_CHECK: LiteralString = """
MATCH (e:Enterprise {uscc: $uscc})
WITH e, COLLECT { MATCH (e)<-[:LEGAL_REPRESENTATIVE_OF]-(p:Person) RETURN p LIMIT 1 }[0] AS rep,
  COLLECT { MATCH (r:Record)-[:HAS_SUBJECT]->(e)
    WHERE r.current = true AND NOT r.status IN $unshared
    WITH r ORDER BY r.decisionDate DESC, r.uid LIMIT 21
    RETURN r { id: r.uid, .kind, .title, .documentNumber, .decisionDate, .severity, .status,
      .category, .amount, .issuingAuthority,
      provider: COLLECT { MATCH (r)-[:PROVIDED_BY]->(d:Department) RETURN d { .name } LIMIT 1 }[0]
    } } AS records
RETURN e { .uscc, .name, .status, .registeredCapital,
  blackListed: EXISTS { MATCH (l:ListEntry {listType: 'BLACK'})-[:HAS_SUBJECT]->(e)
    WHERE l.status = 'ACTIVE' AND (l.effectiveUntil IS NULL OR $today <= l.effectiveUntil) },
  redListed: EXISTS { MATCH (l:ListEntry {listType: 'RED'})-[:HAS_SUBJECT]->(e)
    WHERE l.status = 'ACTIVE' AND (l.effectiveUntil IS NULL OR $today <= l.effectiveUntil) },
  legalRepresentative: rep { .key, .nameMasked,
    enterprises: COLLECT {
      MATCH (rep)-[:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF|SHAREHOLDER_OF]
        ->(o:Enterprise) WHERE o <> e
      WITH DISTINCT o ORDER BY o.name
      RETURN o { .uscc, .name, .status,
        blackListed: EXISTS { MATCH (l:ListEntry {listType: 'BLACK'})-[:HAS_SUBJECT]->(o)
          WHERE l.status = 'ACTIVE' AND (l.effectiveUntil IS NULL OR $today <= l.effectiveUntil) }
      } } },
  records: {
    totalCount: COUNT { MATCH (r:Record)-[:HAS_SUBJECT]->(e)
      WHERE r.current = true AND NOT r.status IN $unshared },
    items: records[..20], hasNextPage: size(records) > 20 },
  listEntries: {
    totalCount: COUNT { MATCH (l:ListEntry)-[:HAS_SUBJECT]->(e) },
    items: COLLECT { MATCH (l:ListEntry)-[:HAS_SUBJECT]->(e)
      WITH l ORDER BY l.decisionDate DESC, l.id LIMIT 20
      RETURN l { .id, .listType, .listName, .decisionDate,
        status: CASE WHEN l.status IN $open AND l.effectiveUntil < $today THEN $expired
          ELSE l.status END,
        sanctions: COLLECT { MATCH (l)<-[:UNDER]-(s:Sanction) WITH s ORDER BY s.id
          RETURN s { .status, measure: COLLECT { MATCH (s)-[:APPLIES]->(m:Measure)
            RETURN m { .code, .name } LIMIT 1 }[0] } } } } },
  sanctions: {
    totalCount: COUNT { MATCH (s:Sanction)-[:HAS_SUBJECT]->(e) },
    items: COLLECT { MATCH (s:Sanction)-[:HAS_SUBJECT]->(e)
      WITH s ORDER BY s.from DESC, s.id LIMIT 20
      RETURN s { .id, .status, startsOn: s.from, endsOn: s.until,
        measure: COLLECT { MATCH (s)-[:APPLIES]->(m:Measure)
          RETURN m { .code, .name, .business } LIMIT 1 }[0] } } }
} AS data
"""
_RAW_RECORDS: LiteralString = """{
      totalCount: COUNT { MATCH (r:Record)-[:HAS_SUBJECT]->(m) WHERE %s },
      items: COLLECT { MATCH (r:Record)-[:HAS_SUBJECT]->(m) WHERE %s
        WITH r ORDER BY r.decisionDate DESC, r.uid LIMIT 5
        RETURN r { id: r.uid, .kind, .title, .decisionDate, .status } } }"""
_CURRENT_SHARED: LiteralString = "r.current = true AND NOT r.status IN $unshared"
# A department's rows (catalogue rows.Record.DEPARTMENT = shared OR provided_by_me), as
# authz/enforcement.py compiles them.
_DEPARTMENT_ROWS: LiteralString = (
    "r.current = true AND (NOT r.status IN $unshared "
    "OR EXISTS { MATCH (r)-[:PROVIDED_BY]->(:Department {code: $me}) } "
    "OR EXISTS { MATCH (r)-[:SUPERSEDES*0..]->(:Record)-[:DECIDED_BY]->(:Department {code: $me}) })"
)
RAW_MEMBERS: LiteralString = (
    """
MATCH (a:Association {code: $code})
RETURN a { .code, .name, members: {
  totalCount: COUNT { MATCH (m:Enterprise)-[ms:MEMBER_OF]->(a)
    WHERE ms.until IS NULL OR ms.until > $today },
  items: COLLECT { MATCH (m:Enterprise)-[ms:MEMBER_OF]->(a)
    WHERE ms.until IS NULL OR ms.until > $today
    WITH m ORDER BY m.name, m.uscc LIMIT 21
    RETURN m { .uscc, .name,
      blackListed: EXISTS { MATCH (l:ListEntry {listType: 'BLACK'})-[:HAS_SUBJECT]->(m)
        WHERE l.status = 'ACTIVE' AND (l.effectiveUntil IS NULL OR $today <= l.effectiveUntil) },
      records: """
    + (_RAW_RECORDS % (_CURRENT_SHARED, _CURRENT_SHARED))
    + """ } } } } AS data"""
)
RAW_TRAVERSAL: LiteralString = (
    """
MATCH (e:Enterprise {uscc: $uscc})
WITH e, COLLECT { MATCH (e)<-[:LEGAL_REPRESENTATIVE_OF]-(p:Person) RETURN p LIMIT 1 }[0] AS rep
RETURN e { .uscc, .name, legalRepresentative: rep { .key, .name,
  enterprises: COLLECT {
    MATCH (rep)-[:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF|SHAREHOLDER_OF]
      ->(m:Enterprise) WHERE m <> e
    WITH DISTINCT m ORDER BY m.name
    RETURN m { .uscc, .name, .status,
      blackListed: EXISTS { MATCH (l:ListEntry {listType: 'BLACK'})-[:HAS_SUBJECT]->(m)
        WHERE l.status = 'ACTIVE' AND (l.effectiveUntil IS NULL OR $today <= l.effectiveUntil) },
      records: """
    + (_RAW_RECORDS % (_DEPARTMENT_ROWS, _DEPARTMENT_ROWS))
    + """ } } } } AS data"""
)
RAW_SEARCH: LiteralString = """
CALL db.index.fulltext.queryNodes('enterprise_name_fulltext', $phrase) YIELD node, score
WITH node AS n, score ORDER BY score DESC, n.name
WITH collect(n) AS hits
RETURN { totalCount: size(hits), items: [n IN hits[..$first] | n { .uscc, .name, .status,
  .address, categoryLabel: $categories[left(n.uscc, 2)],
  blackListed: EXISTS { MATCH (l:ListEntry {listType: 'BLACK'})-[:HAS_SUBJECT]->(n)
    WHERE l.status = 'ACTIVE' AND (l.effectiveUntil IS NULL OR $today <= l.effectiveUntil) },
  redListed: EXISTS { MATCH (l:ListEntry {listType: 'RED'})-[:HAS_SUBJECT]->(n)
    WHERE l.status = 'ACTIVE' AND (l.effectiveUntil IS NULL OR $today <= l.effectiveUntil) },
  legalRepresentative: COLLECT { MATCH (n)<-[:LEGAL_REPRESENTATIVE_OF]-(p:Person)
    RETURN p { .nameMasked } LIMIT 1 }[0] }] } AS data
"""

# -- samples ---------------------------------------------------------------------------------
SAMPLE_ORGS: LiteralString = """
CALL () { MATCH (b:Bank) RETURN b.code AS bank ORDER BY bank LIMIT 1 }
CALL () { MATCH (d:Department) RETURN d.code AS department ORDER BY department LIMIT 1 }
CALL () { MATCH (a:Association) WHERE EXISTS { (:Enterprise)-[:MEMBER_OF]->(a) }
  RETURN collect(a.code) AS associations }
RETURN bank, department, associations
"""
SAMPLE_NAMES: LiteralString = (
    "MATCH (e:Enterprise) RETURN e.name AS name ORDER BY e.uscc LIMIT 5000"
)
CONSENTED: LiteralString = """
MATCH (c:Consent {grantee: $bank, purpose: $purpose})-[:GRANTED_BY]->(e:Enterprise)
WHERE c.revokedAt IS NULL AND c.expiresAt > datetime() + duration('P1D')
  AND 'conditional' IN c.classes
RETURN collect(DISTINCT e.uscc) AS usccs
"""
GRANT_CONSENT = """
mutation Grant($bank: String!, $purpose: String!, $until: Date!) {
  grantConsent(grantee: $bank, classes: ["conditional"], purpose: $purpose, expiresOn: $until) {
    grantor }
}"""


class PeerProcess:
    """The running peer: its process, base URL and log."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
        self.process, self.url, self.log_path = process, url, log_path

    def log_tail(self, lines: int = 20) -> str:
        """The end of the peer's log, for error messages."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


def install_peer() -> None:
    """`npm ci` in bench/peer unless node_modules matches package-lock.json already."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise BenchmarkError("the peer needs Node.js 20+ and npm on PATH (neither found)")
    marker = PEER_DIR / "node_modules" / ".package-lock.json"
    lock = PEER_DIR / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    log("installing the peer (@neo4j/graphql): npm ci in bench/peer …")
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=PEER_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise BenchmarkError(f"`npm ci` in bench/peer failed ({result.returncode}):\n{tail}")


@contextmanager
def running_peer(
    connection: Connection, log_path: Path, processes: int = 1
) -> Iterator[PeerProcess]:
    """`node bench/peer/server.mjs` on a free loopback port (`processes` sharing it), stopped
    (SIGTERM, SIGKILL) on exit."""
    install_peer()
    port = free_port()
    env = {
        **os.environ,
        "PEER_PORT": str(port),
        "PEER_PROCESSES": str(processes),
        "NEO4J_URI": connection.uri,
        "NEO4J_USER": connection.user,
        "NEO4J_PASSWORD": connection.password,
        "NEO4J_DATABASE": connection.database,
        "PEER_CATEGORY_LABELS": json.dumps(dict(CATEGORY_LABELS), ensure_ascii=False),
    }
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            ["node", "server.mjs"],
            cwd=PEER_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield PeerProcess(process, f"http://127.0.0.1:{port}", log_path)
    finally:
        stop_process(process, timeout=10)


async def wait_peer(peer: PeerProcess, client: httpx.AsyncClient) -> float:
    """Poll the peer's /healthz until 200; the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < PEER_START_TIMEOUT:
        if peer.process.poll() is not None:
            raise BenchmarkError(
                f"the peer exited with {peer.process.returncode}:\n{peer.log_tail()}"
            )
        try:
            if (await client.get(f"{peer.url}/healthz", timeout=5.0)).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise BenchmarkError(f"the peer's /healthz not 200 in {PEER_START_TIMEOUT:.0f} s")


# --------------------------------------------------------------------------------------
# The three sides of a journey
# --------------------------------------------------------------------------------------
Call = Callable[[str], Awaitable[Any]]
Facts = Callable[[Any], Any]


@dataclass(frozen=True)
class Journey:
    """One consumer journey: its subjects and how each side asks and answers."""

    name: str
    title: str
    subjects: list[str]
    hub: Call
    peer: Call
    raw: Call
    hub_facts: Facts
    peer_facts: Facts
    raw_facts: Facts


def graphql_call(
    client: LeanClient,
    url: str,
    document: str,
    variables: Callable[[str], dict[str, Any]],
    root: str,
    token: Callable[[str], str | None],
    side_name: str,
) -> Call:
    """POST a document, fail loudly on any error, return `data[root]`."""

    async def call(subject: str) -> Any:
        bearer = token(subject)
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        try:
            response = await client.post_json(
                url, {"query": document, "variables": variables(subject)}, headers
            )
        except HttpError as error:
            raise BenchmarkError(
                f"{side_name} did not answer for {subject}: {type(error).__name__}: {error}"
            ) from None
        try:
            body = response.json()
        except ValueError:
            raise BenchmarkError(
                f"{side_name} answered {response.status} with no JSON for {subject}: "
                f"{response.text[:300]}"
            ) from None
        if response.status != 200 or body.get("errors"):
            raise BenchmarkError(
                f"{side_name} answered {response.status} for {subject}: "
                f"{json.dumps(body, ensure_ascii=False)[:600]}"
            )
        return body["data"][root]

    return call


def raw_call(
    driver: neo4j.AsyncDriver,
    database: str,
    cypher: LiteralString,
    params: Callable[[str], dict[str, Any]],
) -> Call:
    """One Cypher query on the async driver; its `data` column."""

    async def call(subject: str) -> Any:
        try:
            result = await driver.execute_query(
                cypher, params(subject), database_=database, routing_=neo4j.RoutingControl.READ
            )
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
            raise BenchmarkError(f"raw query failed for {subject}: {error}") from None
        if not result.records:
            raise BenchmarkError(f"raw query found nothing for {subject}")
        return result.records[0]["data"]

    return call


def _iso(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    iso = getattr(value, "iso_format", None)
    return iso() if callable(iso) else str(value)


def _first(items: Sequence[Any] | None) -> Any:
    return items[0] if items else None


def _nodes(connection: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if "edges" in connection:
        return [edge["node"] for edge in connection["edges"]]
    items: list[Mapping[str, Any]] = connection["items"]
    return items


def peer_credit_check_as_hub(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The peer's answer in the hub's shape, so `essentials` reads both."""
    if not rows:
        raise BenchmarkError("the peer found no enterprise")
    e = rows[0]
    records, entries, sanctions = (
        e["recordsConnection"],
        e["listEntriesConnection"],
        e["sanctionsConnection"],
    )
    return {
        **e,
        "records": {
            "totalCount": records["totalCount"],
            "pageInfo": records["pageInfo"],
            "edges": [
                {"node": {**r, "id": r["uid"], "provider": _first(r["provider"])}}
                for r in _nodes(records)
            ],
        },
        "listEntries": {
            "totalCount": entries["totalCount"],
            "edges": [
                {
                    "node": {
                        **entry,
                        "sanctions": [
                            {**s, "measure": _first(s["measure"])} for s in entry["sanctions"]
                        ],
                    }
                }
                for entry in _nodes(entries)
            ],
        },
        "sanctions": {
            "totalCount": sanctions["totalCount"],
            "edges": [
                {"node": {**s, "startsOn": s["from"], "measure": _first(s["measure"])}}
                for s in _nodes(sanctions)
            ],
        },
    }


def _record_facts(connection: Mapping[str, Any]) -> tuple[int, list[tuple[Any, ...]]]:
    return connection["totalCount"], [
        (r.get("id", r.get("uid")), r["kind"], _iso(r["decisionDate"]), r["status"])
        for r in _nodes(connection)
    ]


def members_facts(association: Mapping[str, Any], *, peer: bool = False) -> dict[str, Any]:
    """Association journey: the roll's count, first page, each member's records."""
    if peer:
        association = {**association, "members": association["membersConnection"]}
    members = association["members"]
    page = _nodes(members)[:MEMBER_PAGE]
    return {
        "code": association["code"],
        "name": association["name"],
        "members.totalCount": members["totalCount"],
        "members": [
            (
                m["uscc"],
                m["name"],
                m["blackListed"],
                _record_facts(m["recordsConnection"] if peer else m["records"]),
            )
            for m in page
        ],
        "hasNextPage": members["pageInfo"]["hasNextPage"]
        if "pageInfo" in members
        else len(_nodes(members)) > MEMBER_PAGE,
    }


def traversal_facts(enterprise: Mapping[str, Any], *, peer: bool = False) -> dict[str, Any]:
    """Department journey: the representative (with the name) and each other enterprise."""
    rep = enterprise["legalRepresentative"]
    return {
        "uscc": enterprise["uscc"],
        "name": enterprise["name"],
        "representative": None
        if rep is None
        else (
            rep["key"],
            rep["name"],
            [
                (
                    o["uscc"],
                    o["name"],
                    o["status"],
                    o["blackListed"],
                    _record_facts(o["recordsConnection"] if peer else o["records"]),
                )
                for o in rep["enterprises"]
            ],
        ),
    }


def search_facts(data: Mapping[str, Any]) -> dict[str, Any]:
    """Public search: the count and the first page, in order, with what the public sees."""
    total, hits = data["totalCount"], _nodes(data)
    return {
        "totalCount": total,
        "hits": [
            (
                h["uscc"],
                h["name"],
                h["status"],
                h["categoryLabel"],
                h["address"],
                h["blackListed"],
                h["redListed"],
                (h["legalRepresentative"] or {}).get("nameMasked"),
            )
            for h in hits
        ],
    }


@dataclass(frozen=True)
class Agreement:
    """What a journey's equivalence check covered (so a vacuous check shows)."""

    subjects: int
    facts_compared: int


def _size(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_size(v) for v in value) or 1
    return 1


def _facts(side_name: str, facts: Facts, answer: Any, subject: str) -> Any:
    """The facts of one answer; an answer of another shape stops the run naming the side."""
    try:
        return facts(answer)
    except (KeyError, TypeError, IndexError) as error:
        raise BenchmarkError(
            f"{side_name}'s answer for {subject} lacks {error!r} (did its query document "
            f"change?): {json.dumps(answer, ensure_ascii=False, default=str)[:400]}"
        ) from None


async def verify(journey: Journey, subjects: Sequence[str]) -> Agreement:
    """Hub, peer and raw return the same facts for every subject; `BenchmarkError` otherwise."""
    compared = 0
    for subject in subjects:
        hub = _facts("hub", journey.hub_facts, await journey.hub(subject), subject)
        peer = _facts("peer", journey.peer_facts, await journey.peer(subject), subject)
        raw = _facts("raw", journey.raw_facts, await journey.raw(subject), subject)
        if not hub == peer == raw:
            keys = [k for k in hub if not hub[k] == peer.get(k) == raw.get(k)]
            details = "\n".join(
                f"  {k}:\n    hub:  {hub[k]!r}\n    peer: {peer.get(k)!r}\n    raw:  {raw.get(k)!r}"
                for k in keys
            )
            raise BenchmarkError(
                f"[{journey.name}] the sides disagree for {subject} — timing them would compare "
                f"different work:\n{details}"
            )
        compared += _size(hub)
    return Agreement(len(subjects), compared)


# --------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------
async def _timed(call: Call, subject: str) -> float:
    started = time.perf_counter()
    await call(subject)
    return (time.perf_counter() - started) * 1000.0


async def sequential(
    sides: Sequence[Call], subjects: Sequence[str], requests: int
) -> list[list[float]]:
    """`requests` one-at-a-time calls per side, request n going to every side in turn (the
    order rotating), so a change in background load hits every side alike."""
    latencies: list[list[float]] = [[] for _ in sides]
    for n in range(requests):
        subject = subjects[n % len(subjects)]
        for shift in range(len(sides)):
            index = (n + shift) % len(sides)
            latencies[index].append(await _timed(sides[index], subject))
    return latencies


CpuMeter = Callable[[], dict[str, float]]
"""CPU seconds used so far by each process the bench watches (the hub, the peer, Neo4j, this
client), read before and after every block."""


async def concurrent(
    sides: Sequence[Call],
    subjects: Sequence[str],
    requests: int,
    concurrency: int,
    blocks: int,
    cpu: CpuMeter,
) -> list[tuple[float, list[float], dict[str, float]]]:
    """Per side, `requests` calls by `concurrency` clients, in `blocks` alternating blocks
    (hub, peer, raw, then raw, peer, hub, …): (requests per second, latencies, CPU ms per
    request of each watched process while that side ran)."""
    seconds = [0.0 for _ in sides]
    latencies: list[list[float]] = [[] for _ in sides]
    used: list[dict[str, float]] = [defaultdict(float) for _ in sides]
    per_block = max(1, requests // blocks)
    for block in range(blocks):
        order = range(len(sides)) if block % 2 == 0 else range(len(sides) - 1, -1, -1)
        for index in order:
            counter = itertools.count()
            offset = block * per_block

            async def client(
                call: Call, into: list[float], counter: Iterator[int], offset: int
            ) -> None:
                while (n := next(counter)) < per_block:
                    into.append(await _timed(call, subjects[(offset + n) % len(subjects)]))

            started, before = time.perf_counter(), cpu()
            await asyncio.gather(
                *(
                    client(sides[index], latencies[index], counter, offset)
                    for _ in range(concurrency)
                )
            )
            seconds[index] += time.perf_counter() - started
            for process, spent in cpu().items():
                used[index][process] += spent - before[process]
    return [
        (
            len(latencies[i]) / seconds[i],
            latencies[i],
            {k: round(1000 * v / len(latencies[i]), 3) for k, v in used[i].items()},
        )
        for i in range(len(sides))
    ]


# --------------------------------------------------------------------------------------
# One size
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """The command line."""

    sizes: list[int]
    requests: int
    concurrency: int
    workers: int
    verify: int
    journeys: list[str]
    reuse: bool
    keep: bool


def prepare_graph(
    size: int, connection: Connection, env: Mapping[str, str], reuse: bool
) -> dict[str, Any]:
    """Reuse a graph of exactly `size` demo enterprises, or empty, migrate and load one."""
    if reuse and graph_ready(connection, size):
        log(f"[{size}] reusing the loaded graph of {size:,} enterprises (--no-reuse reloads)")
        credithub(env, "migrate")
        return {"reused": True}
    log(f"[{size}] emptying the graph, migrating, loading {size:,} enterprises …")
    loaded = {"reused": False, **load_graph(size, connection, env)}
    log(f"[{size}] loaded in {loaded['load_seconds']} s")
    return loaded


def token_of(env: Mapping[str, str], org: str, *extra: str) -> str:
    """`credithub token ORG …` (the CLI resolves the organisation and its duty)."""
    return credithub(env, "token", org, "--ttl", "8h", *extra).stdout.strip()


async def ensure_consent(
    client: httpx.AsyncClient,
    settings: Settings,
    connection: Connection,
    bank: str,
    usccs: Sequence[str],
) -> int:
    """Every enterprise in `usccs` grants the bank consent (class conditional, for 贷前审查)
    through the hub's own `grantConsent`, as itself, unless a grant in force exists; the
    number of grants made."""
    have = set(read_rows(connection, CONSENTED, {"bank": bank, "purpose": PURPOSE})[0]["usccs"])
    config = settings.token_config()
    until = (china_today() + timedelta(days=180)).isoformat()
    made = 0
    for uscc in usccs:
        if uscc in have:
            continue
        consumer = Consumer(subject=f"bench@{uscc}", org_kind=OrgKind.ENTERPRISE, org_code=uscc)
        token = mint(config, consumer, ttl=timedelta(minutes=10))
        response = await client.post(
            "/graphql",
            json={
                "query": GRANT_CONSENT,
                "variables": {"bank": bank, "purpose": PURPOSE, "until": until},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise BenchmarkError(f"grantConsent by {uscc} failed: {body}")
        made += 1
    return made


def build_journeys(
    hub: LeanClient,
    peer_url: str,
    driver: neo4j.AsyncDriver,
    database: str,
    tokens: Mapping[str, str],
    samples: Mapping[str, list[str]],
    today: date,
) -> dict[str, Journey]:
    """The four journeys over the three sides."""
    day = today.isoformat()
    bank, department = tokens["bank"], tokens["department"]
    me = samples["department"][0]
    base = {"today": today, "unshared": UNSHARED}

    def gql(document: str, variables: Callable[[str], dict[str, Any]], root: str,
            token: Callable[[str], str | None], name: str, peer: bool = False) -> Call:  # fmt: skip
        return graphql_call(
            hub, f"{peer_url}/graphql" if peer else "/graphql", document, variables, root,
            token, name,
        )  # fmt: skip

    def raw(cypher: LiteralString, extra: Callable[[str], dict[str, Any]]) -> Call:
        return raw_call(driver, database, cypher, lambda s: {**base, **extra(s)})

    def nobody(_: str) -> None:
        return None

    return {
        "credit_check": Journey(
            "credit_check",
            "(a) bank's credit check (bank token, consent granted)",
            samples["usccs"],
            gql(CREDIT_CHECK, lambda s: {"uscc": s}, "enterprise", lambda _: bank, "hub"),
            gql(
                PEER_CREDIT_CHECK,
                lambda s: {"uscc": s, "unshared": UNSHARED},
                "enterprises",
                nobody,
                "peer",
                peer=True,
            ),
            raw(
                RAW_CREDIT_CHECK,
                lambda s: {"uscc": s, "open": OPEN_ENTRIES, "expired": EXPIRED},
            ),
            lambda d: essentials(d, hub=True),
            lambda d: essentials(peer_credit_check_as_hub(d), hub=True),
            lambda d: essentials(d, hub=False),
        ),
        "members": Journey(
            "members",
            "(b) association fetching its members' records",
            samples["associations"],
            gql(HUB_MEMBERS, lambda s: {"code": s}, "association", lambda s: tokens[s], "hub"),
            gql(
                PEER_MEMBERS,
                lambda s: {"code": s, "today": day, "unshared": UNSHARED},
                "associations",
                nobody,
                "peer",
                peer=True,
            ),
            raw(RAW_MEMBERS, lambda s: {"code": s}),
            members_facts,
            lambda d: members_facts(d[0], peer=True),
            members_facts,
        ),
        "traversal": Journey(
            "traversal",
            "(c) department: legal representative → other enterprises",
            samples["usccs"],
            gql(HUB_TRAVERSAL, lambda s: {"uscc": s}, "enterprise", lambda _: department, "hub"),
            gql(
                PEER_TRAVERSAL,
                lambda s: {"uscc": s, "me": me, "unshared": UNSHARED},
                "enterprises",
                nobody,
                "peer",
                peer=True,
            ),
            raw(RAW_TRAVERSAL, lambda s: {"uscc": s, "me": me}),
            traversal_facts,
            lambda d: traversal_facts(d[0], peer=True),
            traversal_facts,
        ),
        "search": Journey(
            "search",
            "(d) public search (the site's query, no token)",
            samples["fragments"],
            gql(
                SITE_SEARCH,
                lambda s: {"query": s, "first": SEARCH_PAGE, "after": None},
                "searchEnterprises",
                nobody,
                "hub",
            ),
            gql(
                PEER_SEARCH,
                lambda s: {"phrase": lucene_phrase_query(s), "first": SEARCH_PAGE},
                "searchEnterprises",
                nobody,
                "peer",
                peer=True,
            ),
            raw(
                RAW_SEARCH,
                lambda s: {
                    "phrase": lucene_phrase_query(s),
                    "first": SEARCH_PAGE,
                    "categories": dict(CATEGORY_LABELS),
                },
            ),
            search_facts,
            search_facts,
            search_facts,
        ),
    }


def draw_samples(connection: Connection) -> dict[str, list[str]]:
    """Subjects per journey, seeded: credit-check USCCs, associations, name fragments."""
    usccs, _ = sample_usccs(connection)
    orgs = read_rows(connection, SAMPLE_ORGS)[0]
    if not orgs["bank"] or not orgs["department"] or not orgs["associations"]:
        raise BenchmarkError(f"the graph lacks a bank, a department or a member roll: {orgs}")
    rng = random.Random(SAMPLE_SEED)
    names = [str(r["name"]) for r in read_rows(connection, SAMPLE_NAMES) if r["name"]]
    # A two-to-four character piece of a name after the city prefix, as people type one.
    fragments = []
    for name in rng.sample(names, min(100, len(names))):
        body = name[3:] if name.startswith("舞钢市") else name
        start = rng.randrange(0, max(1, len(body) - 4))
        fragments.append(body[start : start + rng.choice((2, 3, 4))])
    extras = [str(r["uscc"]) for r in read_rows(connection, VERIFY_EXTRAS)]
    return {
        "usccs": usccs,
        "extras": [u for u in extras if u not in set(usccs)],
        "associations": sorted(orgs["associations"]),
        "fragments": fragments,
        "bank": [orgs["bank"]],
        "department": [orgs["department"]],
    }


async def measure_size(
    size: int, connection: Connection, env: Mapping[str, str], options: Options
) -> dict[str, Any]:
    """Graph, hub, peer, tokens and consent; then verify and time every journey."""
    loaded = prepare_graph(size, connection, env, options.reuse)
    samples = draw_samples(connection)
    settings = Settings.from_env(env)
    bank = samples["bank"][0]
    tokens = {
        "bank": token_of(env, bank, "--purpose", PURPOSE),
        "department": token_of(env, samples["department"][0]),
        **{code: token_of(env, code) for code in samples["associations"]},
    }
    load_average = [round(x, 2) for x in os.getloadavg()]
    results: dict[str, Any] = {}
    limits = httpx.Limits(
        max_connections=options.concurrency * 2, max_keepalive_connections=options.concurrency * 2
    )
    with (
        running_hub(env, options.workers, RESULTS / f"hub-journeys-{size}.log") as hub,
        running_peer(connection, RESULTS / f"peer-journeys-{size}.log", options.workers) as peer,
    ):
        async with httpx.AsyncClient(
            base_url=hub.url, limits=limits, timeout=REQUEST_TIMEOUT, trust_env=False
        ) as client:
            hub_up = await wait_healthy(hub, client)
            peer_up = await wait_peer(peer, client)
            log(f"[{size}] hub up in {hub_up:.1f} s at {hub.url}; peer in {peer_up:.1f} s")
            watched = {
                "hub": tree(hub.process.pid),
                "peer": tree(peer.process.pid),
                "neo4j": [pid for pid in [neo4j_pid(BENCH_HOME / "neo4j")] if pid is not None],
            }

            def cpu() -> dict[str, float]:
                return {
                    **{name: cpu_seconds(pids) for name, pids in watched.items()},
                    "client": time.process_time(),
                }

            consented = [*samples["usccs"], *samples["extras"]]
            granted = await ensure_consent(client, settings, connection, bank, consented)
            log(
                f"[{size}] consent: {granted} new grants to {bank} for {len(consented)} enterprises"
            )
            driver = neo4j.AsyncGraphDatabase.driver(
                connection.uri,
                auth=(connection.user, connection.password),
                max_connection_pool_size=max(options.concurrency * 2, 10),
                notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
            )
            # The timed requests go through the lean client (bench/http_client.py): httpx
            # would spend more CPU per request than the raw side's driver and Neo4j together.
            lean = LeanClient(hub.url, timeout=REQUEST_TIMEOUT)
            try:
                journeys = build_journeys(
                    lean, peer.url, driver, connection.database, tokens, samples, china_today()
                )
                for name in options.journeys:
                    journey = journeys[name]
                    results[name] = await measure_journey(size, journey, samples, options, cpu)
            finally:
                await lean.aclose()
                await driver.close()
    return {
        "size": size,
        **loaded,
        "graph": read_rows(connection, GRAPH_COUNTS)[0],
        "load_average_before_measuring": load_average,
        "requests": options.requests,
        "warm_up": WARM_UP,
        "concurrency": options.concurrency,
        "hub_workers": options.workers,
        "peer_processes": options.workers,
        "journeys": results,
    }


GRAPH_COUNTS: LiteralString = """
CALL () { MATCH (n:Enterprise) RETURN count(n) AS enterprises }
CALL () { MATCH (n:Record) WHERE n.current = true RETURN count(n) AS currentRecords }
CALL () { MATCH ()-[m:MEMBER_OF]->() RETURN count(m) AS memberships }
RETURN enterprises, currentRecords, memberships
"""


async def measure_journey(
    size: int,
    journey: Journey,
    samples: Mapping[str, list[str]],
    options: Options,
    cpu: CpuMeter,
) -> dict[str, Any]:
    """Verify the three sides agree, then time them side by side."""
    to_verify = journey.subjects[: options.verify]
    if journey.name == "credit_check":
        to_verify = [*to_verify, *samples["extras"][: options.verify]]
    agreement = await verify(journey, to_verify)
    log(
        f"[{size}] {journey.name}: hub, peer and raw agree on {agreement.subjects} subjects "
        f"({agreement.facts_compared} facts)"
    )
    sides = [journey.hub, journey.peer, journey.raw]
    budget = 300.0 + 3.0 * options.requests
    async with asyncio.timeout(budget):
        await sequential(sides, journey.subjects, WARM_UP)
        seq = await sequential(sides, journey.subjects, options.requests)
    async with asyncio.timeout(budget):
        conc = await concurrent(
            sides, journey.subjects, options.requests, options.concurrency, blocks=2, cpu=cpu
        )
    hub_s, peer_s, raw_s = (side(seq[i], conc[i][0], conc[i][1]) for i in range(3))
    return {
        "cpu_ms_per_request": {label: conc[i][2] for i, label in enumerate(("hub", "peer", "raw"))},
        "title": journey.title,
        "subjects": len(journey.subjects),
        "agreement": asdict(agreement),
        "hub": asdict(hub_s),
        "peer": asdict(peer_s),
        "raw": asdict(raw_s),
        "hub_over_raw_p50": hub_s.p50_ms / raw_s.p50_ms,
        "hub_over_raw_p99": hub_s.p99_ms / raw_s.p99_ms,
        "hub_over_peer_p50": hub_s.p50_ms / peer_s.p50_ms,
        "hub_over_peer_throughput": hub_s.throughput_rps / peer_s.throughput_rps,
        "hub_over_raw_throughput": hub_s.throughput_rps / raw_s.throughput_rps,
    }


# --------------------------------------------------------------------------------------
# Reporting and main
# --------------------------------------------------------------------------------------
def report(result: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    """One size as a Markdown table."""
    graph = result["graph"]
    c = result["concurrency"]
    lines = [
        f"### Journeys, {result['size']:,} enterprises",
        "",
        f"Graph: {graph['enterprises']:,} enterprises, {graph['currentRecords']:,} current "
        f"records, {graph['memberships']:,} memberships"
        + ("" if result.get("reused") else f"; demo load {result.get('load_seconds')} s")
        + f". {result['requests']} sequential requests per side after {result['warm_up']} "
        f"warm-up (sides interleaved), then {result['requests']} per side with {c} concurrent "
        f"clients. {facts['nproc']} CPUs ({facts['cpu']}), Neo4j {facts['neo4j']} (page cache "
        f"{facts.get('neo4j_memory', {}).get('pagecache', '?')}); hub "
        f"{result['hub_workers']} worker(s), peer {result['peer_processes']} Node.js process; "
        f"load average before measuring "
        f"{' / '.join(str(x) for x in result['load_average_before_measuring'])}.",
        "",
        "| journey | side | p50 ms | p99 ms | req/s "
        f"({c} conc.) | hub ÷ raw p50 | hub ÷ raw p99 | hub ÷ peer req/s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, j in result["journeys"].items():
        for label in ("hub", "peer", "raw"):
            s = j[label]
            ratios = (
                f"**{j['hub_over_raw_p50']:.2f}** | {j['hub_over_raw_p99']:.2f} | "
                f"**{j['hub_over_peer_throughput']:.2f}**"
                if label == "hub"
                else " | | "
            )
            lines.append(
                f"| {name if label == 'hub' else ''} | {label} | {s['p50_ms']:.1f} | "
                f"{s['p99_ms']:.1f} | {s['throughput_rps']:.0f} | {ratios} |"
            )
    agreed = ", ".join(
        f"{name} {j['agreement']['subjects']}" for name, j in result["journeys"].items()
    )
    lines += [
        "",
        f"CPU per request while each side ran with {c} clients, ms (hub / peer / Neo4j / "
        "this client):",
        "",
        "| journey | side | hub | peer | Neo4j | client |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, j in result["journeys"].items():
        for label in ("hub", "peer", "raw"):
            used = j["cpu_ms_per_request"][label]
            lines.append(
                f"| {name if label == 'hub' else ''} | {label} | {used['hub']:.2f} | "
                f"{used['peer']:.2f} | {used['neo4j']:.2f} | {used['client']:.2f} |"
            )
    lines += ["", f"Equivalence checked before timing (subjects per journey): {agreed}.", ""]
    return "\n".join(lines)


def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.journeys",
        description="Four consumer journeys: hub vs @neo4j/graphql vs the raw driver.",
    )
    parser.add_argument("--sizes", default="300,100000", help="enterprises per run (comma list)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per side")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument(
        "--workers", type=int, default=1, help="hub worker processes, and peer processes"
    )
    parser.add_argument("--verify", type=int, default=8, help="subjects checked per journey")
    parser.add_argument("--journeys", default=",".join(JOURNEYS), help="which (comma list)")
    parser.add_argument("--reuse", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--keep", action="store_true", help="leave the bench Neo4j running")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes must be whole numbers separated by commas, e.g. 300,100000")
    journeys = [j.strip() for j in str(args.journeys).split(",") if j.strip()]
    unknown = sorted(set(journeys) - set(JOURNEYS))
    if unknown or not journeys:
        parser.error(f"--journeys: unknown {unknown}; choose from {', '.join(JOURNEYS)}")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes must name at least one positive size")
    for name in ("requests", "concurrency", "workers", "verify"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return Options(
        sizes,
        args.requests,
        args.concurrency,
        args.workers,
        args.verify,
        journeys,
        args.reuse,
        args.keep,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Provision, run every size, clean up; the exit status."""
    options = parse_options(argv)

    def work(connection: Connection, env: dict[str, str]) -> None:
        facts = machine_facts(connection, options.workers)
        RESULTS.mkdir(parents=True, exist_ok=True)
        for size in options.sizes:
            started = time.monotonic()
            result = asyncio.run(measure_size(size, connection, env, options))
            result["machine"] = facts
            result["wall_seconds"] = round(time.monotonic() - started, 1)
            path = RESULTS / f"journeys-{size}.json"
            path.write_text(
                json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n",
                encoding="utf-8",
            )
            print(report(result, facts), flush=True)
            log(f"[{size}] wrote {path.relative_to(ROOT)} ({result['wall_seconds']} s)")

    return run_benchmark(work, keep=options.keep)


if __name__ == "__main__":
    sys.exit(main())
