"""Delivering exports to connected systems: a real HTTP receiver and a directory drop.

The receiver is a real HTTP server on a loopback port (http.server in a thread); the hub's
delivery code is the real client. It stores what it receives by idempotency key, and can be told
to answer the first N requests with 503 (with or without Retry-After) or to refuse tokens.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from graph.database import Database
from graph.model import DeliveryStatus, Label
from hub.exchange.delivery import (
    DeliveryError,
    DirectoryDrop,
    HttpEndpoint,
    RetryPolicy,
    deliver_to,
    delivery_log,
)

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
