"""Delivering exports to connected systems: a real HTTP receiver and a directory drop.

The receiver is a real HTTP server on a loopback port (http.server in a thread); the hub's
delivery code is the real client. It stores what it receives by idempotency key, and can be told
to answer the first N requests with 503 (with or without Retry-After) or to refuse tokens.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from authz.identity import OrgKind
from graph.database import Connection, Database
from graph.model import DeliveryStatus, Label
from hub.cli import main
from hub.exchange.delivery import (
    DeliveryError,
    DirectoryDrop,
    HttpEndpoint,
    RetryPolicy,
    deliver_pending,
    deliver_to,
    delivery_log,
    exchange_status,
    pending_exports,
)
from hub.exchange.export import export
from hub.exchange.targets import Target, Targets, load_targets
from tests.conftest import ClientFor
from tests.lifecycle import BANK_B1, OFFICE, ask, org, refused
from tests.processes import hub_env

TOKEN = "s3cret-token-for-tests"
TOKEN_ENV = "CREDITHUB_TEST_RECEIVER_TOKEN"
FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.2, timeout=5.0)


# -- a real receiver ---------------------------------------------------------------------------


@dataclass
class Receiver:
    """What the receiving system got, and how it is told to behave."""

    token: str | None = TOKEN
    fail_first: int = 0
    retry_after: str | None = None
    status_on_fail: int = 503
    requests: list[dict[str, Any]] = field(default_factory=list)
    stored: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def files(self, export_id: str) -> dict[str, bytes]:
        """What the receiver holds of one export, by file name."""
        prefix = f"/inbox/{export_id}/"
        return {
            path.removeprefix(prefix): body
            for path, body in self.stored.values()
            if path.startswith(prefix)
        }


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "size": len(body)}
                )
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self._answer(receiver.status_on_fail, b"busy", receiver.retry_after)
                    return
                if receiver.token and self.headers.get("Authorization") != (
                    f"Bearer {receiver.token}"
                ):
                    self._answer(401, b"invalid token")
                    return
                if self.headers.get("X-Content-SHA256") != hashlib.sha256(body).hexdigest():
                    self._answer(400, b"checksum mismatch")
                    return
                key = self.headers.get("Idempotency-Key") or str(uuid.uuid4())
                receiver.stored.setdefault(key, (self.path, body))
            self._answer(201, b"stored")

        def _answer(self, status: int, body: bytes, retry_after: str | None = None) -> None:
            self.send_response(status)
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output is the assertions'."""

    return Handler


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A receiving system on a free loopback port, for one test."""
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/inbox"
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- exports in the contract's layout ----------------------------------------------------------


def make_export(out: Path, target: str, export_id: str | None = None, rows: int = 3) -> Path:
    """An export directory `<out>/<target>/<exportId>/` with two data files and its manifest."""
    export_id = export_id or f"{target}-{uuid.uuid4().hex[:12]}"
    directory = out / target / export_id
    directory.mkdir(parents=True)
    files = []
    for name, kind in (("penalty.csv", "PENALTY"), ("license.csv", "LICENSE")):
        lines = ["行政相对人名称,统一社会信用代码"] + [
            f"企业{i},91410481MA00000{i:03d}" for i in range(rows)
        ]
        data = ("\r\n".join(lines) + "\r\n").encode("gb18030")
        (directory / name).write_bytes(data)
        files.append(
            {
                "name": name,
                "kind": kind,
                "rows": rows,
                "withdrawals": 0,
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    manifest = {
        "format": "credithub.exchange.v1",
        "target": target,
        "exportId": export_id,
        "createdAt": "2026-12-06T06:00:00+00:00",
        "hub": {"name": "舞钢市信用信息共享平台", "code": "11410481MB0000000X"},
        "full": True,
        "cursor": {"from": None, "to": "2026-12-06T06:00:00+00:00"},
        "files": files,
    }
    (directory / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return directory


def _target() -> str:
    """A target name of its own per test, so the delivery logs do not mix."""
    return f"test-target-{uuid.uuid4().hex[:8]}"


def _endpoint(receiver: Receiver) -> HttpEndpoint:
    return HttpEndpoint(url=receiver.url, token_env=TOKEN_ENV)


# -- HTTP --------------------------------------------------------------------------------------


async def test_http_delivery_sends_every_file_then_the_manifest(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    target = _target()
    # Both data files have the same bytes (as two kinds with nothing new would): both are stored.
    export = make_export(tmp_path, target)
    assert (export / "penalty.csv").read_bytes() == (export / "license.csv").read_bytes()
    result = await deliver_to(db, target, _endpoint(receiver), export, retry=FAST)
    assert result.status is DeliveryStatus.ACKNOWLEDGED, result.why
    export_id = export.name
    got = receiver.files(export_id)
    assert set(got) == {"penalty.csv", "license.csv", "manifest.json"}
    for name in ("penalty.csv", "license.csv", "manifest.json"):
        assert got[name] == (export / name).read_bytes()
    # The manifest goes last: a receiver may treat it as "the export is complete".
    assert receiver.requests[-1]["path"].endswith("/manifest.json")
    for request in receiver.requests:
        sha = request["headers"]["X-Content-SHA256"]
        name = request["path"].rsplit("/", 1)[1]
        assert request["headers"]["Idempotency-Key"] == f"{export_id}/{name}/{sha}"
        assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    [logged] = await delivery_log(db, target)
    assert logged.status is DeliveryStatus.ACKNOWLEDGED
    assert logged.export_id == export_id and logged.attempt == 1
    assert set(logged.acknowledged) == {"penalty.csv", "license.csv", "manifest.json"}
    assert logged.requests == 3


async def test_transient_failures_are_retried_until_acknowledged(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    target = _target()
    export = make_export(tmp_path, target)
    receiver.fail_first = 2  # 503 twice, then the receiver is back
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    result = await deliver_to(db, target, _endpoint(receiver), export, retry=FAST, sleep=sleep)
    assert result.status is DeliveryStatus.ACKNOWLEDGED, result.why
    assert result.requests == 5  # two refused, then the three files
    assert len(receiver.files(export.name)) == 3
    # Exponential backoff with jitter: the second wait's base is twice the first's.
    assert len(waits) == 2
    assert 0.005 <= waits[0] <= 0.01 and 0.01 <= waits[1] <= 0.02


async def test_retry_after_is_honoured(db: Database, receiver: Receiver, tmp_path: Path) -> None:
    target = _target()
    export = make_export(tmp_path, target)
    receiver.fail_first, receiver.status_on_fail, receiver.retry_after = 1, 429, "0"
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    result = await deliver_to(db, target, _endpoint(receiver), export, retry=FAST, sleep=sleep)
    assert result.status is DeliveryStatus.ACKNOWLEDGED, result.why
    assert waits == [0.0]  # the receiver's word, not the backoff's


async def test_giving_up_after_the_attempts_is_logged_with_why(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    target = _target()
    export = make_export(tmp_path, target)
    receiver.fail_first = 100
    result = await deliver_to(db, target, _endpoint(receiver), export, retry=FAST)
    assert result.status is DeliveryStatus.FAILED
    assert result.requests == FAST.attempts
    assert result.why is not None and "HTTP 503" in result.why and "4 attempts" in result.why
    [logged] = await delivery_log(db, target)
    assert logged.status is DeliveryStatus.FAILED and logged.why == result.why
    assert logged.acknowledged == ()


async def test_an_unreachable_receiver_is_retried_then_logged(db: Database, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = _target()
    export = make_export(tmp_path, target)
    endpoint = HttpEndpoint(url=f"http://127.0.0.1:{port}/inbox")
    result = await deliver_to(db, target, endpoint, export, retry=FAST)
    assert result.status is DeliveryStatus.FAILED and result.requests == FAST.attempts
    assert result.why is not None and "ConnectError" in result.why
    assert result.sent == ("penalty.csv",) and result.acknowledged == ()


async def test_a_refused_token_is_not_retried_and_the_log_says_why(
    db: Database, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _target()
    export = make_export(tmp_path, target)
    monkeypatch.setenv(TOKEN_ENV, "wrong-token")
    result = await deliver_to(db, target, _endpoint(receiver), export, retry=FAST)
    assert result.status is DeliveryStatus.FAILED
    assert len(receiver.requests) == 1 and result.requests == 1
    assert result.why is not None and "HTTP 401" in result.why and "invalid token" in result.why
    assert receiver.stored == {}
    [logged] = await delivery_log(db, target)
    assert logged.status is DeliveryStatus.FAILED and "401" in (logged.why or "")


async def test_a_missing_token_variable_sends_nothing(
    db: Database, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _target()
    export = make_export(tmp_path, target)
    monkeypatch.delenv(TOKEN_ENV)
    result = await deliver_to(db, target, _endpoint(receiver), export, retry=FAST)
    assert result.status is DeliveryStatus.FAILED
    assert result.why is not None and TOKEN_ENV in result.why
    assert receiver.requests == []


async def test_redelivering_the_same_export_stores_nothing_new(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    target = _target()
    export = make_export(tmp_path, target)
    first = await deliver_to(db, target, _endpoint(receiver), export, retry=FAST)
    stored = dict(receiver.stored)
    again = await deliver_to(db, target, _endpoint(receiver), export, retry=FAST)
    assert first.delivered and again.delivered
    assert receiver.stored == stored  # the same keys: the receiver kept one copy of each file
    assert again.attempt == 2
    keys = [r["headers"]["Idempotency-Key"] for r in receiver.requests]
    assert keys[:3] == keys[3:]


async def test_a_tampered_export_is_refused_before_anything_is_sent(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    target = _target()
    export = make_export(tmp_path, target)
    (export / "penalty.csv").write_bytes(b"changed after the manifest was written")
    with pytest.raises(DeliveryError, match="sha256"):
        await deliver_to(db, target, _endpoint(receiver), export, retry=FAST)
    assert receiver.requests == []
    other = make_export(tmp_path, "another-target")
    with pytest.raises(DeliveryError, match="another-target"):
        await deliver_to(db, target, _endpoint(receiver), other, retry=FAST)
    assert await delivery_log(db, target) == []


# -- directory drop ----------------------------------------------------------------------------


async def test_directory_drop_is_whole_and_idempotent(db: Database, tmp_path: Path) -> None:
    target = _target()
    export = make_export(tmp_path / "out", target)
    drop = tmp_path / "drop"
    result = await deliver_to(db, target, DirectoryDrop(drop), export, retry=FAST)
    assert result.status is DeliveryStatus.ACKNOWLEDGED, result.why
    assert result.why is None
    landed = drop / export.name
    assert sorted(p.name for p in landed.iterdir()) == [
        "license.csv",
        "manifest.json",
        "penalty.csv",
    ]
    for name in ("penalty.csv", "license.csv", "manifest.json"):
        assert (landed / name).read_bytes() == (export / name).read_bytes()
    # Nothing half-written is left beside it (the staging directory was renamed, not copied).
    assert [p.name for p in drop.iterdir()] == [export.name]
    again = await deliver_to(db, target, DirectoryDrop(drop), export, retry=FAST)
    assert again.status is DeliveryStatus.ACKNOWLEDGED and again.why is not None
    assert [p.name for p in drop.iterdir()] == [export.name]
    rows = await db.read(
        f"MATCH (d:{Label.EXCHANGE_DELIVERY} {{target: $t}}) RETURN d.status AS s, "
        "d.attempt AS a ORDER BY a",
        {"t": target},
    )
    assert rows == [
        {"s": DeliveryStatus.ACKNOWLEDGED.value, "a": 1},
        {"s": DeliveryStatus.ACKNOWLEDGED.value, "a": 2},
    ]


async def test_directory_drop_never_overwrites_a_different_export(
    db: Database, tmp_path: Path
) -> None:
    target = _target()
    export = make_export(tmp_path / "out", target, export_id="same-id")
    drop = tmp_path / "drop"
    (drop / "same-id").mkdir(parents=True)
    (drop / "same-id" / "manifest.json").write_text("{}", encoding="utf-8")
    result = await deliver_to(db, target, DirectoryDrop(drop), export, retry=FAST)
    assert result.status is DeliveryStatus.FAILED
    assert result.why is not None and "different export" in result.why
    assert (drop / "same-id" / "manifest.json").read_text(encoding="utf-8") == "{}"


# -- pending exports, the command line, the API ------------------------------------------------


def _targets_toml(path: Path, code: str, receiver: Receiver) -> Path:
    """A targets file naming one publication target delivered to `receiver`."""
    path.write_text(
        f"""[targets.{code}]
name = "测试接收系统"
kind = "publication"
receives = ["PENALTY", "BLACK_LIST"]
format = "csv-utf8"

[targets.{code}.delivery]
type = "http"
url = "{receiver.url}"
auth = "bearer"
token_env = "{TOKEN_ENV}"
attempts = 2
backoff_seconds = 0
""",
        encoding="utf-8",
    )
    return path


OFFICE_CODE = "11410481MB1234567Y"


@pytest.fixture(scope="module")
async def credit_office(db: Database) -> AsyncIterator[None]:
    """The hub's identity an export names; the fixture graph has none, so one is added here."""
    rows = await db.write(
        f"OPTIONAL MATCH (o:{Label.CREDIT_OFFICE}) WITH count(o) AS n WHERE n = 0 "
        f"CREATE (o:{Label.CREDIT_OFFICE} {{code: $code, name: $name}}) RETURN o.code AS code",
        {"code": OFFICE_CODE, "name": "舞钢市社会信用体系建设领导小组办公室"},
    )
    yield
    if rows:
        await db.write(
            f"MATCH (o:{Label.CREDIT_OFFICE} {{code: $code}}) DELETE o", {"code": OFFICE_CODE}
        )


def _http_target(tmp_path: Path, receiver: Receiver) -> tuple[Targets, Target]:
    code = f"receiver-{uuid.uuid4().hex[:8]}"
    targets = load_targets(_targets_toml(tmp_path / "targets.toml", code, receiver))
    return targets, targets.get(code)


async def test_an_undelivered_export_is_kept_and_resent_in_order_on_the_next_run(
    db: Database, receiver: Receiver, tmp_path: Path, credit_office: None
) -> None:
    targets, target = _http_target(tmp_path, receiver)
    out = tmp_path / "out"
    # Real exports (hub/exchange/export.py): a full one, then an incremental one right after.
    first = await export(db, target.code, full=True, out=out, targets=targets)
    receiver.fail_first = 100  # the receiving system is down
    [failed] = await deliver_pending(db, target, retry=FAST)
    assert failed.status is DeliveryStatus.FAILED and failed.export_id == first.name
    second = await export(db, target.code, out=out, targets=targets)
    assert [p.id for p in await pending_exports(db, target.code)] == [first.name, second.name]
    # Stopping at the first failure keeps the order: the second export was not tried.
    [failed_again] = await deliver_pending(db, target, retry=FAST)
    assert failed_again.export_id == first.name and failed_again.attempt == 2
    assert receiver.stored == {}
    [status] = await exchange_status(db, [target])
    assert status.pending == 2 and status.failures == 2
    assert status.last_failure is not None and "HTTP 503" in status.last_failure

    receiver.fail_first = 0  # back up
    results = await deliver_pending(db, target, retry=FAST)
    assert [(r.export_id, r.status) for r in results] == [
        (first.name, DeliveryStatus.ACKNOWLEDGED),
        (second.name, DeliveryStatus.ACKNOWLEDGED),
    ]
    manifests = [r["path"] for r in receiver.requests if r["path"].endswith("manifest.json")]
    assert manifests[-2:] == [
        f"/inbox/{first.name}/manifest.json",
        f"/inbox/{second.name}/manifest.json",
    ]
    for directory in (first, second):
        got = receiver.files(directory.name)
        assert got == {p.name: p.read_bytes() for p in directory.iterdir()}
    assert await pending_exports(db, target.code) == []
    assert await deliver_pending(db, target, retry=FAST) == []
    [status] = await exchange_status(db, [target])
    assert status.pending == 0 and status.failures == 0
    assert status.last_delivery_status is DeliveryStatus.ACKNOWLEDGED
    assert status.last_export == second.name and status.cursor is not None


async def test_an_export_whose_directory_is_gone_is_logged_as_failed(
    db: Database, receiver: Receiver, tmp_path: Path, credit_office: None
) -> None:
    targets, target = _http_target(tmp_path, receiver)
    directory = await export(db, target.code, full=True, out=tmp_path / "out", targets=targets)
    for path in directory.iterdir():
        path.unlink()
    directory.rmdir()
    [result] = await deliver_pending(db, target, retry=FAST)
    assert result.status is DeliveryStatus.FAILED
    assert result.why is not None and "manifest.json" in result.why
    assert receiver.requests == []
    assert [p.id for p in await pending_exports(db, target.code)] == [directory.name]


def test_credithub_exchange_deliver_and_status(
    db: Database,
    neo4j_connection: Connection,
    receiver: Receiver,
    tmp_path: Path,
    credit_office: None,
) -> None:
    code = f"cli-{uuid.uuid4().hex[:8]}"
    targets = str(_targets_toml(tmp_path / "targets.toml", code, receiver))
    env = hub_env(neo4j_connection, tmp_path / "home")
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(main, ["exchange", *args, "--targets", targets], env=env)

    exported = run("export", code, "--full", "--out", str(tmp_path / "out"))
    assert exported.exit_code == 0, exported.output
    export_id = Path(exported.stdout.strip().splitlines()[-1]).name

    receiver.token = "another-token"  # the receiver refuses ours: 401, not retried
    refused_run = run("deliver", code)
    assert refused_run.exit_code == 1, refused_run.output
    assert export_id in refused_run.output and "HTTP 401" in refused_run.output
    assert len(receiver.requests) == 1
    status = run("status", code)
    assert status.exit_code == 0, status.output
    [header, line] = status.output.strip().splitlines()
    assert header.split()[:3] == ["target", "last", "export"]
    assert code in line and export_id in line and "FAILED" in line and "HTTP 401" in line
    assert line.split()[line.split().index("FAILED") - 1] == "1"  # one pending

    receiver.token = TOKEN
    delivered = run("deliver", code)
    assert delivered.exit_code == 0, delivered.output
    assert "ACKNOWLEDGED" in delivered.output and "第2次" in delivered.output
    status = run("status", code)
    line = status.output.strip().splitlines()[1]
    assert "ACKNOWLEDGED" in line and "HTTP 401" not in line
    nothing = run("deliver", code)
    assert nothing.exit_code == 0 and "nothing pending" in nothing.output
    unknown = run("status", "no-such-target")
    assert unknown.exit_code == 1 and "unknown exchange target" in unknown.output


DELIVERIES = """query($target: String) {
  exchangeDeliveries(target: $target, first: 5) {
    exportId target status attempt requests sent acknowledged why at destination
  }
}"""


async def test_the_credit_office_reads_the_delivery_log_a_bank_is_refused(
    db: Database, client_for: ClientFor, receiver: Receiver, tmp_path: Path
) -> None:
    target = _target()
    export_dir = make_export(tmp_path, target)
    receiver.fail_first = 1
    await deliver_to(db, target, _endpoint(receiver), export_dir, retry=FAST)
    data = await ask(client_for, OFFICE, DELIVERIES, target=target)
    [entry] = data["exchangeDeliveries"]
    assert entry["exportId"] == export_dir.name and entry["status"] == "ACKNOWLEDGED"
    assert entry["requests"] == 4 and entry["sent"][-1] == "manifest.json"
    assert entry["destination"] == f"http {receiver.url}"
    status = await ask(client_for, OFFICE, "{ exchangeStatus { target name pending } }")
    assert {s["target"] for s in status["exchangeStatus"]} >= {"xinyong-henan", "gsxt-henan"}
    for who in (BANK_B1, org(OrgKind.DEPARTMENT, "11410481MB0000011X")):
        error = await refused(client_for, who, DELIVERIES, target=target)
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "operations.readExchange" in error["message"]
