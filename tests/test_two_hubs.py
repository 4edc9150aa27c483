"""Beyond one machine (issue 8): two hub processes serve one network through one Neo4j.

The hub keeps no state of its own between requests — consent, the audit chain and the notice
outboxes live in Neo4j — so behind a load balancer any process may answer any request. Here two
real `credithub serve` processes share the suite's Neo4j and the same secrets, and a request
sequence alternates between them: what one process records, the other acts on at once, and the
audit chain both append to concurrently still verifies.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from authz.audit import verify
from authz.identity import Consumer, OrgKind
from authz.tokens import TokenConfig, mint
from graph.database import Connection, Database
from tests.fixtures import B2, CONSENT_PURPOSE, E1, E2, PERSON_SECRET, R3, R4, load_fixture_graph
from tests.lifecycle import DEVELOPMENT
from tests.processes import free_port, hub_env

ROOT = Path(__file__).resolve().parent.parent
SECRET = "two-hubs-test-secret-of-at-least-32-bytes!"
E1_ITSELF = Consumer(subject="e1-staff", org_kind=OrgKind.ENTERPRISE, org_code=E1)
BANK = Consumer(subject="loan-officer", org_kind=OrgKind.BANK, org_code=B2, purpose=CONSENT_PURPOSE)

# E1's penalty R4, out of its period: withheld from a bank unless E1 consented (B2 has none).
HIDDEN = f"""{{ enterprise(uscc: "{E1}") {{
  records(statuses: [EFFECTIVE], decidedTo: "2021-12-31") {{ edges {{ node {{ id }} }} }} }} }}"""
GRANT = """mutation($grantee: String!, $until: Date!) {
  grantConsent(grantee: $grantee, classes: ["conditional"], purpose: "贷前审查",
               expiresOn: $until) { id } }"""


@pytest.fixture(scope="module")
def two_hubs(
    neo4j_connection: Connection, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    """Two `credithub serve` processes on one Neo4j, with the same secrets; their base URLs."""
    shared = {
        "CREDITHUB_JWT_SECRET": SECRET,
        "CREDITHUB_PERSON_KEY_SECRET": PERSON_SECRET.decode(),
        "CREDITHUB_RATE_ORG_PER_MINUTE": "0",
        "CREDITHUB_RATE_PUBLIC_PER_MINUTE": "0",
    }
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    for k in range(2):
        port = free_port()
        home = tmp_path_factory.mktemp(f"hub-{k}")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "hub.cli", "serve", "--port", str(port)],
                cwd=ROOT,
                env=hub_env(neo4j_connection, home, **shared),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for process, url in zip(processes, urls, strict=True):
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, f"the hub at {url} exited"
                assert time.monotonic() < deadline, f"the hub at {url} did not come up in 60 s"
                time.sleep(0.3)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


@pytest.fixture
async def restored(db: Database) -> AsyncIterator[None]:
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


def _headers(consumer: Consumer) -> dict[str, str]:
    token = mint(TokenConfig(hs256_secret=SECRET.encode()), consumer, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


async def _ask(url: str, who: Consumer, document: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, headers=_headers(who), timeout=30) as http:
        body: dict[str, Any] = (
            await http.post("/graphql", json={"query": document, "variables": variables})
        ).json()
    assert "errors" not in body, body
    return body


async def test_consent_granted_through_one_hub_is_honoured_by_the_other_at_once(
    two_hubs: list[str], restored: None
) -> None:
    first, second = two_hubs
    repaired = [{"node": {"id": R4["uid"]}}]  # out of its period: consent opens it
    before = await _ask(second, BANK, HIDDEN)
    assert before["data"]["enterprise"]["records"]["edges"] == []
    until = (date.today() + timedelta(days=30)).isoformat()
    granted = await _ask(first, E1_ITSELF, GRANT, grantee=B2, until=until)
    after = await _ask(second, BANK, HIDDEN)
    assert after["data"]["enterprise"]["records"]["edges"] == repaired, (
        "the other process honours the consent on its next request"
    )
    revoke = "mutation($id: ID!) { revokeConsent(id: $id) { revokedAt } }"
    await _ask(second, E1_ITSELF, revoke, id=granted["data"]["grantConsent"]["id"])
    closed = await _ask(first, BANK, HIDDEN)
    assert closed["data"]["enterprise"]["records"]["edges"] == []


async def test_a_notice_sent_through_one_hub_is_read_through_the_other(
    two_hubs: list[str], restored: None
) -> None:
    first, second = two_hubs
    filed = await _ask(
        first,
        E1_ITSELF,
        """mutation($key: String!) { fileObjection(recordKey: $key, grounds: WRONG_DATA,
             statement: "核准项目名称有误", evidence: "核准文件") { id decider } }""",
        key=R3["key"],
    )
    objection = filed["data"]["fileObjection"]
    assert objection["decider"] == DEVELOPMENT.org_code
    outbox = await _ask(second, DEVELOPMENT, "{ notices(unreadOnly: true) { kind ref } }")
    assert {"kind": "OBJECTION_FILED", "ref": objection["id"]} in outbox["data"]["notices"]


async def test_both_hubs_append_to_one_audit_chain_that_still_verifies(
    two_hubs: list[str], db: Database
) -> None:
    before = (await db.read("MATCH (a:AuditEntry) RETURN count(a) AS n"))[0]["n"]
    public = f'{{ enterprise(uscc: "{E2}") {{ name }} }}'

    async def one(k: int) -> None:
        async with httpx.AsyncClient(base_url=two_hubs[k % 2], timeout=30) as http:
            response = await http.post("/graphql", json={"query": public})
            assert response.status_code == 200 and "errors" not in response.json()

    await asyncio.gather(*(one(k) for k in range(40)))
    after = (await db.read("MATCH (a:AuditEntry) RETURN count(a) AS n"))[0]["n"]
    assert after - before == 40, "one entry per request, from either process"
    report = await verify(db)
    assert report.ok, report.problems
