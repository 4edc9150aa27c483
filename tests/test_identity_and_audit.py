"""Who asked (tokens over HTTP, `credithub token`) and the tamper-evident record of it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner
from starlette.applications import Starlette

from authz import audit
from authz.identity import PUBLIC, Consumer, OrgKind
from authz.tokens import TokenVerifier, mint
from graph.database import Connection, Database
from hub.app import create_app, shut_down
from hub.cli import main
from hub.settings import Settings
from tests.conftest import bearer
from tests.fixtures import B2, E1, E2, NDRC
from tests.processes import hub_env

BANK = Consumer(subject="s", org_kind=OrgKind.BANK, org_code="91410481BK0000017X")


async def _post(app: Starlette, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        return await http.post(
            "/graphql", json={"query": "{ departments { code } }"}, headers=headers
        )


async def test_bad_tokens_get_401_with_the_reason(hub_app: Starlette, settings: Settings) -> None:
    expired = mint(
        settings.token_config(),
        BANK,
        ttl=timedelta(minutes=5),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    for headers, code in (
        ({"Authorization": f"Bearer {expired}"}, "TOKEN_EXPIRED"),
        ({"Authorization": "Bearer not-a-jwt"}, "TOKEN_MALFORMED"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "TOKEN_MALFORMED"),
        ({"Authorization": f"Bearer {expired[:-4]}AAAA"}, "TOKEN_SIGNATURE_INVALID"),
    ):
        response = await _post(hub_app, headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] in (code, "TOKEN_EXPIRED")
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert (await _post(hub_app, {})).status_code == 200


def test_credithub_token_mints_for_an_organisation_in_the_graph(
    db: Database, neo4j_connection: Connection, tmp_path: Path
) -> None:
    env = hub_env(neo4j_connection, tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["token", "市发改委", "--purpose", "联合惩戒"], env=env)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    consumer = TokenVerifier(Settings.from_env(env).token_config()).verify(token)
    assert consumer.org_kind is OrgKind.DEPARTMENT and consumer.org_code == NDRC
    assert consumer.sectors == frozenset({"发展改革"}) and consumer.purpose == "联合惩戒"

    missing = runner.invoke(main, ["token", "不存在的单位"], env=env)
    assert missing.exit_code != 0 and "不存在的单位" in missing.output


async def test_every_request_is_an_audit_entry_and_enterprises_see_who_looked(
    client_for: Any, db: Database
) -> None:
    bank = Consumer(
        subject="officer", org_kind=OrgKind.BANK, org_code="91410481BK0000017X", purpose="贷前审查"
    )
    async with client_for(bank) as http:
        response = await http.post(
            "/graphql", json={"query": f'{{ enterprise(uscc: "{E1}") {{ name }} }}'}
        )
    request_id = response.headers["x-request-id"]
    [entry] = await db.read(
        "MATCH (e:AuditEntry {requestId: $r}) RETURN properties(e) AS e", {"r": request_id}
    )
    assert entry["e"]["orgKind"] == "BANK" and entry["e"]["purpose"] == "贷前审查"
    assert entry["e"]["subjects"] == [E1] and "Enterprise.name" in entry["e"]["released"]

    owner = Consumer(subject="e1", org_kind=OrgKind.ENTERPRISE, org_code=E1)
    async with client_for(owner) as http:
        log = (
            await http.post(
                "/graphql", json={"query": "{ accessLog { orgCode orgKind purpose requestId } }"}
            )
        ).json()
        other = (
            await http.post(
                "/graphql", json={"query": f'{{ accessLog(subject: "{E2}") {{ orgCode }} }}'}
            )
        ).json()
    assert log["data"]["accessLog"][0]["requestId"] == request_id
    assert log["data"]["accessLog"][0]["purpose"] == "贷前审查"
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_chain_detects_altered_removed_and_reordered_entries(db: Database) -> None:
    for n in range(3):
        await audit.append(db, audit.AuditEvent(f"t-{n}", PUBLIC, "query", subjects=(E1,)))
    assert (await audit.verify(db)).ok
    [last] = await db.read("MATCH (c:AuditChain) RETURN c.seq AS seq")
    seq = last["seq"]

    await db.write("MATCH (e:AuditEntry {seq: $s}) SET e.purpose = 'edited'", {"s": seq - 1})
    report = await audit.verify(db)
    assert not report.ok and any(f"entry {seq - 1}: altered" in p for p in report.problems)
    await db.write("MATCH (e:AuditEntry {seq: $s}) REMOVE e.purpose", {"s": seq - 1})
    assert (await audit.verify(db)).ok

    await db.write(
        "MATCH (a:AuditEntry {seq: $a}), (b:AuditEntry {seq: $b}) "
        "SET a.seq = -1 SET b.seq = $a SET a.seq = $b",
        {"a": seq - 1, "b": seq - 2},
    )
    assert not (await audit.verify(db)).ok
    await db.write(
        "MATCH (a:AuditEntry {seq: $a}), (b:AuditEntry {seq: $b}) "
        "SET a.seq = -1 SET b.seq = $a SET a.seq = $b",
        {"a": seq - 1, "b": seq - 2},
    )
    assert (await audit.verify(db)).ok

    [kept] = await db.read(
        "MATCH (e:AuditEntry {seq: $s}) RETURN properties(e) AS e", {"s": seq - 1}
    )
    await db.write("MATCH (e:AuditEntry {seq: $s}) DETACH DELETE e", {"s": seq - 1})
    report = await audit.verify(db)
    assert not report.ok and any("missing" in p or "prevHash" in p for p in report.problems)
    await db.write("CREATE (e:AuditEntry) SET e = $props", {"props": kept["e"]})
    assert (await audit.verify(db)).ok


async def test_appends_from_two_hub_processes_form_one_chain(
    db: Database, neo4j_connection: Connection
) -> None:
    async with Database(neo4j_connection) as first, Database(neo4j_connection) as second:
        entries = await asyncio.gather(
            *(
                audit.append(
                    first if n % 2 else second, audit.AuditEvent(f"c-{n}", PUBLIC, "query")
                )
                for n in range(30)
            )
        )
    seqs = sorted(entry.seq for entry in entries)
    assert seqs == list(range(seqs[0], seqs[0] + 30))
    assert (await audit.verify(db)).ok


async def test_pruning_keeps_the_rest_provable(db: Database) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=6 * 366)
    await audit.append(db, audit.AuditEvent("old", PUBLIC, "query"), now=long_ago)
    await audit.append(db, audit.AuditEvent("new", PUBLIC, "query"))
    # Entries must be in time order for pruning to cut a prefix: prune everything before now
    # (as seen from the day the legal retention of an entry written now has passed).
    later = datetime.now(UTC) + audit.MIN_RETENTION + timedelta(seconds=1)
    deleted = await audit.prune(db, retain=audit.MIN_RETENTION, now=later)
    assert deleted >= 1
    assert (await audit.verify(db)).ok
    await audit.append(db, audit.AuditEvent("after", PUBLIC, "query"))
    report = await audit.verify(db)
    assert report.ok and report.entries == 1


def test_credithub_audit_verify(db: Database, neo4j_connection: Connection, tmp_path: Path) -> None:
    env = hub_env(neo4j_connection, tmp_path)
    result = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert result.exit_code == 0, result.output
    assert "Audit chain intact" in result.output


async def test_group_commit_keeps_one_chain_and_waits_for_each_entry(db: Database) -> None:
    writer = audit.AuditWriter(db, max_batch=8)
    entries = await asyncio.gather(
        *(
            writer.submit(audit.AuditEvent(f"g-{n}", PUBLIC, "query", subjects=(E1,)))
            for n in range(25)
        )
    )
    seqs = [entry.seq for entry in entries]
    assert sorted(seqs) == list(range(min(seqs), min(seqs) + 25))
    # Every entry was committed before its request was answered.
    stored = await db.read(
        "MATCH (e:AuditEntry) WHERE e.requestId STARTS WITH 'g-' RETURN count(e) AS n"
    )
    assert stored[0]["n"] == 25
    assert (await audit.verify(db)).ok


GRANT_FOR_AUDIT = f"""mutation Grant($until: Date!) {{
  grantConsent(grantee: "{B2}", classes: ["conditional"], purpose: "审计测试",
               expiresOn: $until) {{ id }} }}"""
E1_STAFF = Consumer(subject="e1-audit", org_kind=OrgKind.ENTERPRISE, org_code=E1)


async def test_a_mutation_is_entered_before_it_runs_and_again_when_it_completes(
    client_for: Any, db: Database
) -> None:
    until = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    async with client_for(E1_STAFF) as http:
        response = await http.post(
            "/graphql", json={"query": GRANT_FOR_AUDIT, "variables": {"until": until}}
        )
        body = response.json()
        assert "errors" not in body, body
        granted = body["data"]["grantConsent"]["id"]
        rows = await db.read(
            "MATCH (e:AuditEntry {requestId: $r}) RETURN properties(e) AS e ORDER BY e.seq",
            {"r": response.headers["x-request-id"]},
        )
        revoked = await http.post(
            "/graphql",
            json={"query": "mutation($id: ID!) { revokeConsent(id: $id) { id } }",
                  "variables": {"id": granted}},
        )  # fmt: skip
        assert "errors" not in revoked.json()
    begun, done = (row["e"] for row in rows)
    assert begun["action"] == audit.MUTATION_BEGUN
    assert begun["operation"] == "Grant" and begun["detail"] == "grantConsent"
    assert done["action"] == "grant_consent" and done["detail"] == granted
    assert begun["seq"] < done["seq"]
    report = await audit.verify(db)
    assert report.ok and report.unfinished == ()


async def test_a_begun_entry_without_its_completion_is_reported_as_unfinished(
    db: Database,
) -> None:
    """What a hub process killed mid-mutation leaves (tests/test_faults.py does it for real)."""
    await audit.append(
        db,
        audit.AuditEvent(
            "crashed-request", E1_STAFF, audit.MUTATION_BEGUN, operation="Grant",
            detail="grantConsent",
        ),
    )  # fmt: skip
    report = await audit.verify(db)
    assert report.ok, "a crash is not tampering: the chain itself is intact"
    [unfinished] = report.unfinished
    assert "crashed-request" in unfinished and "Grant" in unfinished
    await audit.append(db, audit.AuditEvent("crashed-request", E1_STAFF, "grant_consent"))
    assert (await audit.verify(db)).unfinished == ()


async def test_no_mutation_runs_when_its_entry_cannot_be_written(
    settings: Settings, db: Database
) -> None:
    app = create_app(settings, run_migrations=False)
    graphql = next(route for route in app.routes if getattr(route, "path", "") == "/graphql")
    endpoint = graphql.app  # type: ignore[attr-defined]
    # The audit store alone is unreachable (a real driver to a port nobody listens on).
    unreachable = Database(Connection("bolt://127.0.0.1:9", "neo4j", "x"))
    endpoint.audit = audit.AuditWriter(unreachable)
    before = await db.read("MATCH (c:Consent {purpose: '审计测试'}) RETURN count(c) AS n")
    until = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub.test", headers=bearer(settings, E1_STAFF)
        ) as http:
            body = (
                await http.post(
                    "/graphql", json={"query": GRANT_FOR_AUDIT, "variables": {"until": until}}
                )
            ).json()
    finally:
        await unreachable.close()
        await shut_down(app)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert body["data"] is None
    after = await db.read("MATCH (c:Consent {purpose: '审计测试'}) RETURN count(c) AS n")
    assert after == before, "the consent was granted without an audit entry"


async def test_no_data_leaves_when_its_audit_entry_cannot_be_written(
    hub_app: Starlette, settings: Settings, monkeypatch: Any
) -> None:
    """The completion entry is the condition for the answer, not a note after it: a query whose
    entry cannot be made durable is answered with the database error and no data."""
    from neo4j.exceptions import ServiceUnavailable

    async def unavailable(self: Any, event: audit.AuditEvent) -> audit.AuditEntry:
        raise ServiceUnavailable("audit store down (test)")

    monkeypatch.setattr(audit.AuditWriter, "submit", unavailable)
    query = f'{{ enterprise(uscc: "{E1}") {{ name records(first: 5) {{ totalCount }} }} }}'
    transport = httpx.ASGITransport(app=hub_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        response = await http.post(
            "/graphql", json={"query": query}, headers=bearer(settings, BANK)
        )
    body = response.json()
    assert body.get("data") is None, body
    assert [error.get("extensions", {}).get("code") for error in body["errors"]] == [
        "DATABASE_UNAVAILABLE"
    ], body
    assert "舞钢" not in response.text
