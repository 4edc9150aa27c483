"""Delivering an export to its connected system: a directory drop or an HTTP endpoint.

An export (`<out>/<target>/<exportId>/`, its data files and `manifest.json`, see
hub/exchange/export.py) leaves the hub whole or not at all:

- **Directory drop.** The files are copied into a hidden temporary directory beside the
  destination, data files first and the manifest last, then the directory is renamed to
  `<path>/<exportId>` in one step: a reader of the drop never sees half an export.
- **HTTP endpoint.** Each data file and then the manifest is `PUT` to `<url>/<exportId>/<name>`
  with the target's bearer token (read from the environment variable the target names) and an
  `Idempotency-Key` of the export id, the file's name and its sha256
  (`<exportId>/<name>/<sha256>`), so sending the same export again changes nothing at the
  receiver. A 2xx answer is the receiver's acknowledgement.

Transient failures (connection errors, timeouts, 5xx, 408 and 429) are retried with exponential
backoff and jitter, honouring `Retry-After`; any other 4xx is final (a wrong token does not get
better by repeating it). Every delivery run leaves an `(:ExchangeDelivery)` node: the export, the
files sent and acknowledged, how many requests it took, and why it failed. An export without an
acknowledged delivery is pending and is sent again by the next `deliver_pending`.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import json
import os
import random
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx

from graph.database import Database
from graph.model import DeliveryStatus, Label
from hub.exchange.export import file_sha256
from hub.exchange.targets import DirectoryDelivery, Target, default_home

__all__ = [
    "DeliveryError",
    "DeliveryResult",
    "DirectoryDrop",
    "HttpEndpoint",
    "RetryPolicy",
    "TargetStatus",
    "deliver",
    "deliver_pending",
    "deliver_to",
    "delivery_log",
    "destination_of",
    "exchange_status",
]

MANIFEST: Final = "manifest.json"
RETRYABLE_STATUS: Final = frozenset({408, 429})
"""4xx answers that say "later" rather than "no"; every 5xx is retried as well."""
WHY_LIMIT: Final = 300
"""Characters of a receiver's answer kept in the log (enough to say why, not a whole page)."""

_CONTENT_TYPES: Final = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class DeliveryError(Exception):
    """A delivery that cannot even start: the export is not a whole, consistent export."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is repeated.

    The n-th retry waits `base_delay * 2**(n-1)` seconds (capped at `max_delay`), half of it
    fixed and half random (jitter, so receivers recovering from an outage are not hit by every
    sender in step); a `Retry-After` answer overrides it, capped at `max_delay` as well.
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.timeout <= 0:
            raise ValueError("delays must not be negative and the timeout must be positive")

    def backoff(self, retry: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number `retry` (1 for the first retry)."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return delay / 2 + rng() * delay / 2


@dataclass(frozen=True)
class DirectoryDrop:
    """A directory the connected system collects exports from (a share, an SFTP inbox)."""

    path: Path


@dataclass(frozen=True)
class HttpEndpoint:
    """An HTTP endpoint taking one PUT per file; `token_env` names the bearer token's variable."""

    url: str
    token_env: str | None = None


Destination = DirectoryDrop | HttpEndpoint


@dataclass(frozen=True)
class ExportFile:
    """One file of an export as its manifest lists it."""

    name: str
    sha256: str
    path: Path


@dataclass(frozen=True)
class Export:
    """An export directory read and checked: every listed file there with its hash."""

    id: str
    target: str
    directory: Path
    files: tuple[ExportFile, ...]
    manifest: bytes

    @property
    def manifest_sha256(self) -> str:
        return hashlib.sha256(self.manifest).hexdigest()


@dataclass(frozen=True)
class DeliveryResult:
    """What one delivery run of one export did: returned by a run, and read back as one line of
    a target's delivery log."""

    id: str
    export_id: str
    target: str
    status: DeliveryStatus
    attempt: int
    requests: int
    sent: tuple[str, ...]
    acknowledged: tuple[str, ...]
    why: str | None
    at: datetime
    destination: str

    @property
    def delivered(self) -> bool:
        return self.status is DeliveryStatus.ACKNOWLEDGED

    @classmethod
    def of(cls, props: dict[str, Any]) -> DeliveryResult:
        at = props["at"]
        return cls(
            id=props["id"],
            export_id=props["exportId"],
            target=props["target"],
            status=DeliveryStatus.of(props["status"]),
            attempt=int(props["attempt"]),
            requests=int(props.get("requests") or 0),
            sent=tuple(props.get("sent") or ()),
            acknowledged=tuple(props.get("acknowledged") or ()),
            why=props.get("why"),
            at=at.to_native() if hasattr(at, "to_native") else at,
            destination=props.get("destination") or "",
        )


def read_export(directory: Path) -> Export:
    """The export in `directory`, refused unless every file its manifest lists is there intact."""
    manifest_path = directory / MANIFEST
    try:
        raw = manifest_path.read_bytes()
    except OSError as error:
        raise DeliveryError(f"{directory}: no readable {MANIFEST} ({error.strerror})") from None
    try:
        manifest = json.loads(raw)
        export_id = str(manifest["exportId"])
        target = str(manifest["target"])
        listed = [(str(f["name"]), str(f["sha256"])) for f in manifest["files"]]
    except (ValueError, KeyError, TypeError) as error:
        raise DeliveryError(f"{manifest_path}: not an export manifest ({error})") from None
    files: list[ExportFile] = []
    for name, sha in listed:
        # A manifest naming a path outside its directory is not one the hub wrote.
        if Path(name).name != name or name == MANIFEST:
            raise DeliveryError(f"{manifest_path}: file name {name!r} is not a plain file name")
        path = directory / name
        try:
            actual = file_sha256(path)
        except OSError as error:
            raise DeliveryError(f"{path}: listed in the manifest but {error.strerror}") from None
        if actual != sha:
            raise DeliveryError(f"{path}: sha256 {actual} differs from the manifest's {sha}")
        files.append(ExportFile(name=name, sha256=sha, path=path))
    return Export(
        id=export_id, target=target, directory=directory, files=tuple(files), manifest=raw
    )


@dataclass
class _Progress:
    """What a run has done so far; what the log records whether it ends well or not."""

    sent: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    requests: int = 0


async def deliver_to(
    db: Database,
    target: str,
    destination: Destination,
    export_dir: Path,
    *,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> DeliveryResult:
    """Deliver the export in `export_dir` to `destination` and log the run for `target`.

    Never raises for a failed delivery: the result (and the log) say FAILED and why, and the
    export stays pending. An export directory that is not a consistent export is refused with
    `DeliveryError` before anything is sent or logged.
    """
    policy = retry or RetryPolicy()
    export = read_export(export_dir)
    if export.target != target:
        raise DeliveryError(
            f"{export_dir}: the export is for target {export.target!r}, not {target!r}"
        )
    attempt = await _next_attempt(db, target, export.id)
    delivery_id = str(uuid.uuid4())
    where = _describe(destination)
    await db.write(
        f"CREATE (d:{Label.EXCHANGE_DELIVERY} {{id: $id, exportId: $export, target: $target, "
        "attempt: $attempt, at: datetime(), status: $status, destination: $where, "
        "sent: [], acknowledged: [], requests: 0})",
        {
            "id": delivery_id,
            "export": export.id,
            "target": target,
            "attempt": attempt,
            "status": DeliveryStatus.SENT.value,
            "where": where,
        },
    )
    progress = _Progress()
    why: str | None
    try:
        if isinstance(destination, DirectoryDrop):
            why = _drop(export, destination.path, progress)
        else:
            why = await _post(export, destination, policy, progress, transport, sleep)
    except OSError as error:
        why = f"{type(error).__name__}: {error}"
    status = DeliveryStatus.FAILED if why and not _already(why) else DeliveryStatus.ACKNOWLEDGED
    rows = await db.write(
        f"MATCH (d:{Label.EXCHANGE_DELIVERY} {{id: $id}}) "
        "SET d.status = $status, d.why = $why, d.sent = $sent, d.acknowledged = $acked, "
        "d.requests = $requests, d.finishedAt = datetime() "
        "RETURN d.at AS at",
        {
            "id": delivery_id,
            "status": status.value,
            "why": why,
            "sent": progress.sent,
            "acked": progress.acknowledged,
            "requests": progress.requests,
        },
    )
    at = rows[0]["at"]
    return DeliveryResult(
        id=delivery_id,
        export_id=export.id,
        target=target,
        status=status,
        attempt=attempt,
        requests=progress.requests,
        sent=tuple(progress.sent),
        acknowledged=tuple(progress.acknowledged),
        why=why,
        at=at.to_native() if hasattr(at, "to_native") else at,
        destination=where,
    )


ALREADY_THERE: Final = "已送达过 (already in the drop directory, identical)"


def _already(why: str) -> bool:
    return why == ALREADY_THERE


def _describe(destination: Destination) -> str:
    if isinstance(destination, DirectoryDrop):
        return f"directory {destination.path}"
    return f"http {destination.url}"


async def _next_attempt(db: Database, target: str, export_id: str) -> int:
    rows = await db.read(
        f"MATCH (d:{Label.EXCHANGE_DELIVERY} {{target: $target, exportId: $export}}) "
        "RETURN count(d) AS n",
        {"target": target, "export": export_id},
    )
    return int(rows[0]["n"]) + 1


# -- directory drop ----------------------------------------------------------------------------


def _drop(export: Export, root: Path, progress: _Progress) -> str | None:
    """Copy the export under `root/<exportId>` atomically; None when done, else why not."""
    root.mkdir(parents=True, exist_ok=True)
    final = root / export.id
    if final.exists():
        # Delivered before (the same id is the same range): identical is done, different is a
        # conflict a person must look at, never silently overwritten.
        try:
            there = (final / MANIFEST).read_bytes()
        except OSError:
            there = b""
        if there == export.manifest:
            return ALREADY_THERE
        return f"{final} already holds a different export with the same id"
    staging = root / f".{export.id}.partial-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        for item in export.files:
            shutil.copyfile(item.path, staging / item.name)
            progress.sent.append(item.name)
        # The manifest last: a reader that finds it finds every file it lists.
        (staging / MANIFEST).write_bytes(export.manifest)
        progress.sent.append(MANIFEST)
        _fsync_tree(staging)
        try:
            staging.rename(final)
        except OSError:
            if final.exists() and (final / MANIFEST).read_bytes() == export.manifest:
                return ALREADY_THERE  # a concurrent run dropped the same export first
            raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    progress.acknowledged.extend(progress.sent)
    return None


def _fsync_tree(directory: Path) -> None:
    """Flush the staged files and the directory so the rename publishes complete data."""
    for path in directory.iterdir():
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- HTTP endpoint -----------------------------------------------------------------------------


async def _post(
    export: Export,
    endpoint: HttpEndpoint,
    policy: RetryPolicy,
    progress: _Progress,
    transport: httpx.AsyncBaseTransport | None,
    sleep: Callable[[float], Any],
) -> str | None:
    """PUT every file and then the manifest; None when all were acknowledged, else why not."""
    headers = {"X-Credithub-Export": export.id, "X-Credithub-Target": export.target}
    if endpoint.token_env:
        token = os.environ.get(endpoint.token_env, "").strip()
        if not token:
            return f"环境变量 {endpoint.token_env} 未设置 (the bearer token's variable is not set)"
        headers["Authorization"] = f"Bearer {token}"
    base = endpoint.url.rstrip("/")
    uploads: list[tuple[str, str, Path | bytes]] = [
        (f.name, f.sha256, f.path) for f in export.files
    ]
    uploads.append((MANIFEST, export.manifest_sha256, export.manifest))
    async with httpx.AsyncClient(
        headers=headers, timeout=policy.timeout, transport=transport, follow_redirects=False
    ) as client:
        for name, sha, source in uploads:
            # One file in memory at a time (a million-row file is hundreds of megabytes).
            body = source.read_bytes() if isinstance(source, Path) else source
            progress.sent.append(name)
            why = await _put(
                client,
                f"{base}/{export.id}/{name}",
                body,
                {
                    # The name too: two files of one export may have the same bytes (two kinds
                    # with nothing new but the header), and each must be stored.
                    "Idempotency-Key": f"{export.id}/{name}/{sha}",
                    "Content-Type": _CONTENT_TYPES.get(
                        Path(name).suffix, "application/octet-stream"
                    ),
                    "X-Content-SHA256": sha,
                },
                policy,
                progress,
                sleep,
            )
            if why is not None:
                return f"{name}: {why}"
            progress.acknowledged.append(name)
    return None


async def _put(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    policy: RetryPolicy,
    progress: _Progress,
    sleep: Callable[[float], Any],
) -> str | None:
    """One file: None once a 2xx acknowledges it, else why it failed for good."""
    why = ""
    for attempt in range(1, policy.attempts + 1):
        wait: float | None = None
        progress.requests += 1
        try:
            response = await client.put(url, content=body, headers=headers)
        except httpx.TransportError as error:
            why = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        else:
            if response.is_success:
                return None
            why = f"HTTP {response.status_code} {_snippet(response)}".rstrip()
            if response.status_code < 500 and response.status_code not in RETRYABLE_STATUS:
                return why  # the receiver said no: repeating the same request changes nothing
            wait = _retry_after(response.headers.get("Retry-After"), policy.max_delay)
        if attempt < policy.attempts:
            await sleep(wait if wait is not None else policy.backoff(attempt))
    return f"{why} (after {policy.attempts} attempts)"


def _snippet(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return text[:WHY_LIMIT]


def _retry_after(value: str | None, cap: float) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(cap, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(cap, max(0.0, (when - datetime.now(UTC)).total_seconds()))


# -- the log -----------------------------------------------------------------------------------


async def delivery_log(
    db: Database, target: str | None = None, *, first: int = 20
) -> list[DeliveryResult]:
    """The latest delivery runs, newest first, of one target or of all."""
    rows = await db.read(
        f"MATCH (d:{Label.EXCHANGE_DELIVERY}) WHERE $target IS NULL OR d.target = $target "
        "RETURN properties(d) AS d ORDER BY d.at DESC, d.id LIMIT $first",
        {"target": target, "first": first},
    )
    return [DeliveryResult.of(row["d"]) for row in rows]


# -- a target's delivery, pending exports, status ----------------------------------------------


def destination_of(target: Target, home: Path | None = None) -> tuple[Destination, RetryPolicy]:
    """Where `target` (hub/exchange/targets.toml) takes its exports, and how patiently."""
    delivery = target.delivery
    if isinstance(delivery, DirectoryDelivery):
        outbox = target.outbox(home or default_home())
        assert outbox is not None  # a directory delivery always has one
        return DirectoryDrop(outbox), RetryPolicy()
    token_env = delivery.token_env if delivery.auth == "bearer" else None
    policy = RetryPolicy(
        attempts=delivery.attempts,
        base_delay=delivery.backoff_seconds,
        max_delay=max(30.0, delivery.backoff_seconds),
        timeout=delivery.timeout_seconds,
    )
    return HttpEndpoint(url=delivery.url, token_env=token_env), policy


async def deliver(
    db: Database,
    target: Target,
    export_dir: Path,
    *,
    home: Path | None = None,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> DeliveryResult:
    """Deliver one export directory to `target` as its targets.toml entry says; logged."""
    destination, policy = destination_of(target, home)
    return await deliver_to(
        db,
        target.code,
        destination,
        export_dir,
        retry=retry or policy,
        transport=transport,
        sleep=sleep,
    )


@dataclass(frozen=True)
class PendingExport:
    """An export of a target that no delivery has been acknowledged for yet."""

    id: str
    directory: Path


async def pending_exports(db: Database, target: str) -> list[PendingExport]:
    """The target's undelivered exports, oldest range first (the order they must arrive in)."""
    rows = await db.read(
        f"MATCH (x:{Label.EXCHANGE_EXPORT} {{target: $target}}) "
        f"WHERE NOT EXISTS {{ MATCH (d:{Label.EXCHANGE_DELIVERY} "
        "{target: $target, exportId: x.id, status: $acknowledged}) } "
        "RETURN x.id AS id, x.dir AS dir ORDER BY x.createdAt, x.to, x.id",
        {"target": target, "acknowledged": DeliveryStatus.ACKNOWLEDGED.value},
    )
    return [PendingExport(id=row["id"], directory=Path(row["dir"])) for row in rows]


async def deliver_pending(
    db: Database,
    target: Target,
    *,
    home: Path | None = None,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> list[DeliveryResult]:
    """Send every undelivered export of `target`, in order, stopping at the first failure.

    Stopping keeps the order: a later incremental export never arrives before an earlier one
    (its withdrawals would be applied to records the receiver has not got yet). What was not
    sent stays pending for the next run.
    """
    results: list[DeliveryResult] = []
    for pending in await pending_exports(db, target.code):
        try:
            result = await deliver(
                db,
                target,
                pending.directory,
                home=home,
                retry=retry,
                transport=transport,
                sleep=sleep,
            )
        except DeliveryError as error:
            result = await _log_refused(db, target.code, pending.id, str(error))
        results.append(result)
        if not result.delivered:
            break
    return results


async def _log_refused(db: Database, target: str, export_id: str, why: str) -> DeliveryResult:
    """Log an export that could not even be read (its directory gone or changed) as FAILED."""
    attempt = await _next_attempt(db, target, export_id)
    delivery_id = str(uuid.uuid4())
    rows = await db.write(
        f"CREATE (d:{Label.EXCHANGE_DELIVERY} {{id: $id, exportId: $export, target: $target, "
        "attempt: $attempt, at: datetime(), finishedAt: datetime(), status: $status, "
        "why: $why, destination: '', sent: [], acknowledged: [], requests: 0}) RETURN d.at AS at",
        {
            "id": delivery_id,
            "export": export_id,
            "target": target,
            "attempt": attempt,
            "status": DeliveryStatus.FAILED.value,
            "why": why,
        },
    )
    at = rows[0]["at"]
    return DeliveryResult(
        id=delivery_id,
        export_id=export_id,
        target=target,
        status=DeliveryStatus.FAILED,
        attempt=attempt,
        requests=0,
        sent=(),
        acknowledged=(),
        why=why,
        at=at.to_native() if hasattr(at, "to_native") else at,
        destination="",
    )


@dataclass(frozen=True)
class TargetStatus:
    """Where one target stands: its last export, cursor, what is pending, the last delivery."""

    target: str
    name: str
    last_export: str | None
    last_export_at: datetime | None
    cursor: str | None
    pending: int
    last_delivery_at: datetime | None
    last_delivery_status: DeliveryStatus | None
    failures: int
    """Failed delivery runs since the last acknowledged one."""
    last_failure: str | None
    """Why the latest failed run failed."""


def _native(value: Any) -> Any:
    return value.to_native() if hasattr(value, "to_native") else value


async def exchange_status(db: Database, targets: list[Target]) -> list[TargetStatus]:
    """The status of each of `targets`, in the order given."""
    codes = [t.code for t in targets]
    rows = await db.read(
        "UNWIND $codes AS code "
        "CALL (code) { "
        f"  OPTIONAL MATCH (x:{Label.EXCHANGE_EXPORT} {{target: code}}) "
        "  WITH x ORDER BY x.createdAt DESC LIMIT 1 RETURN x.id AS lastExport, "
        "  x.createdAt AS lastExportAt } "
        "CALL (code) { "
        f"  OPTIONAL MATCH (c:{Label.EXCHANGE_CURSOR} {{target: code}}) "
        "  RETURN toString(c.position) AS cursor LIMIT 1 } "
        "CALL (code) { "
        f"  OPTIONAL MATCH (x:{Label.EXCHANGE_EXPORT} {{target: code}}) "
        f"  WHERE NOT EXISTS {{ MATCH (d:{Label.EXCHANGE_DELIVERY} "
        "    {target: code, exportId: x.id, status: $acknowledged}) } "
        "  RETURN count(x) AS pending } "
        "CALL (code) { "
        f"  OPTIONAL MATCH (d:{Label.EXCHANGE_DELIVERY} {{target: code}}) "
        "  WITH d ORDER BY d.at DESC LIMIT 1 RETURN d.at AS lastAt, d.status AS lastStatus } "
        "CALL (code) { "
        f"  OPTIONAL MATCH (ok:{Label.EXCHANGE_DELIVERY} {{target: code, status: $acknowledged}}) "
        "  WITH max(ok.at) AS since "
        f"  OPTIONAL MATCH (f:{Label.EXCHANGE_DELIVERY} {{target: code, status: $failed}}) "
        "  WHERE since IS NULL OR f.at > since "
        "  WITH f ORDER BY f.at DESC "
        "  RETURN count(f) AS failures, head(collect(f.why)) AS lastFailure } "
        "RETURN code, lastExport, lastExportAt, cursor, pending, lastAt, lastStatus, failures, "
        "lastFailure",
        {
            "codes": codes,
            "acknowledged": DeliveryStatus.ACKNOWLEDGED.value,
            "failed": DeliveryStatus.FAILED.value,
        },
    )
    by_code = {row["code"]: row for row in rows}
    found: list[TargetStatus] = []
    for target in targets:
        row = by_code[target.code]
        found.append(
            TargetStatus(
                target=target.code,
                name=target.name,
                last_export=row["lastExport"],
                last_export_at=_native(row["lastExportAt"]),
                cursor=row["cursor"],
                pending=int(row["pending"]),
                last_delivery_at=_native(row["lastAt"]),
                last_delivery_status=(
                    DeliveryStatus.of(row["lastStatus"]) if row["lastStatus"] else None
                ),
                failures=int(row["failures"]),
                last_failure=row["lastFailure"],
            )
        )
    return found
