"""证明材料: the files an enterprise attaches to an objection, a repair application or a
voluntary registration, kept by content and linked in the graph.

Three parts, all below the hub (the hub decides who may upload or download, through the
catalogue; nothing here asks who is asking):

- `AttachmentStore`: the files themselves, content-addressed under one directory
  (``CREDITHUB_HOME/attachments/ab/cd/<sha256>``). A file is written to a temporary file in the
  same directory tree, fsynced, and then *linked* to its name — a hard link never replaces an
  existing name — so a stored file is never overwritten (only a damaged one, whose bytes no
  longer hash to its name, is restored by the same content submitted again), never
  half-written, and the same content is stored once however often it is submitted. Reading
  checks the SHA-256 again.
- `check_file`: what is accepted, decided by the bytes (magic numbers), never by the file
  name or the media type the browser claims: PDF, JPEG, PNG and OFD (GB/T 33190, a ZIP whose
  root holds ``OFD.xml``), at most `MAX_FILE_BYTES` each, `MAX_FILES` and
  `MAX_SUBMISSION_BYTES` per submission.
  A refusal names the file and the reason in Chinese.
- The graph side: ``(owner)-[:HAS_ATTACHMENT]->(:Attachment {sha256, fileName, mediaType,
  size, storedAt, uploadedBy})``, one node per file of a submission, created and never changed
  or removed by a later submission.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from graph.database import Database
from graph.model import Label, Rel

MAX_FILE_BYTES: Final = 10 * 1024 * 1024
"""The largest attachment accepted (10 MB)."""

MAX_FILES: Final = 5
"""Attachments per submission."""

MAX_SUBMISSION_BYTES: Final = 30 * 1024 * 1024
"""All attachments of one submission together: below the hub's 32 MB multipart request limit
(hub/guards/config.py), so a submission is refused here, naming the reason, not by the guard."""

MAX_NAME_CHARS: Final = 120

_SHA256: Final = re.compile(r"^[0-9a-f]{64}$")
_UNSAFE_NAME: Final = re.compile(r"[\x00-\x1f\x7f/\\]")


class MediaType(StrEnum):
    """The kinds of file accepted, by their content."""

    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"
    OFD = "application/ofd"


ACCEPTED_LABEL: Final = "PDF、JPEG、PNG 或 OFD"
"""What the refusals and the forms say is accepted."""


class AttachmentRefused(ValueError):
    """A file that is not accepted; the message names the file (or, for the whole submission,
    none) and why, in Chinese."""

    def __init__(self, file_name: str | None, reason: str) -> None:
        named = f"“{file_name}”" if file_name else ""
        super().__init__(f"附件{named}未接收：{reason}")
        self.file_name = file_name
        self.reason = reason


class AttachmentCorrupt(OSError):
    """A stored file whose content no longer has the hash it is stored under."""


class OwnerKind(StrEnum):
    """What an attachment belongs to (the node label of its owner)."""

    OBJECTION = Label.OBJECTION.value
    REPAIR_APPLICATION = Label.REPAIR_APPLICATION.value
    VOLUNTARY_ITEM = Label.VOLUNTARY_ITEM.value


@dataclass(frozen=True)
class CheckedFile:
    """An accepted upload, not yet stored."""

    file_name: str
    media_type: MediaType
    content: bytes

    @property
    def sha256(self) -> str:
        """The content's SHA-256 (hex), its name in the store."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class Attachment:
    """One attachment of a submission, as linked in the graph."""

    owner_id: str
    """The submission it was filed with (for a voluntary item: the version)."""
    sha256: str
    file_name: str
    media_type: str
    size: int
    stored_at: str
    uploaded_by: str | None


@dataclass(frozen=True)
class AttachmentOwner:
    """What a download asks about: the submission an attachment belongs to."""

    kind: OwnerKind
    id: str
    subject: str | None
    record_key: str | None
    list_entry_id: str | None
    attachment: Attachment


def clean_name(name: str | None) -> str:
    """The file name as shown: its last path part, without control characters, not too long."""
    text = _UNSAFE_NAME.sub("_", Path((name or "").replace("\\", "/")).name).strip()
    return (text or "附件")[:MAX_NAME_CHARS]


def sniff(content: bytes) -> MediaType | None:
    """The accepted kind of file these bytes are, by their magic numbers (None: none of them)."""
    if content.startswith(b"%PDF-"):
        return MediaType.PDF
    if content.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG
    if content.startswith(b"PK\x03\x04"):
        # OFD is a ZIP package with OFD.xml at its root; any other ZIP (a .docx, an archive
        # of anything) is not accepted. Only the central directory is read, never inflated.
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as package:
                names = package.namelist()
        except (zipfile.BadZipFile, ValueError):
            return None
        return MediaType.OFD if "OFD.xml" in names else None
    return None


def check_file(file_name: str | None, content: bytes) -> CheckedFile:
    """Accept one upload or refuse it (`AttachmentRefused`) by its size and its content."""
    name = clean_name(file_name)
    if not content:
        raise AttachmentRefused(name, "文件为空")
    if len(content) > MAX_FILE_BYTES:
        raise AttachmentRefused(name, f"文件超过大小上限 {MAX_FILE_BYTES // 1024 // 1024} MB")
    media_type = sniff(content)
    if media_type is None:
        raise AttachmentRefused(
            name, f"文件内容不是 {ACCEPTED_LABEL} 格式（按文件内容判断，与文件名无关）"
        )
    return CheckedFile(file_name=name, media_type=media_type, content=content)


def check_count(count: int) -> None:
    """Refuse a submission with more than `MAX_FILES` attachments."""
    if count > MAX_FILES:
        raise AttachmentRefused(None, f"本次 {count} 个文件，每次最多上传 {MAX_FILES} 个附件")


def check_total(files: Sequence[CheckedFile]) -> None:
    """Refuse a submission whose attachments together exceed `MAX_SUBMISSION_BYTES`."""
    total = sum(len(f.content) for f in files)
    if total > MAX_SUBMISSION_BYTES:
        raise AttachmentRefused(
            None,
            f"本次 {len(files)} 个文件合计 {total / 1024 / 1024:.1f} MB，超过每次提交的上限 "
            f"{MAX_SUBMISSION_BYTES // 1024 // 1024} MB",
        )


class AttachmentStore:
    """The attachment files, content-addressed under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        """Where the content with this hash is kept (ValueError: not a SHA-256 in hex)."""
        if not _SHA256.match(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, content: bytes) -> str:
        """Store `content` once (durably) and return its SHA-256. An intact file of that name is
        kept as it is; only a damaged one (its bytes no longer hash to its name) is replaced,
        atomically, by this content — the content the name stands for."""
        sha256 = hashlib.sha256(content).hexdigest()
        target = self.path_of(sha256)
        damaged = target.exists() and not self._intact(target, sha256)
        if target.exists() and not damaged:
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o440)
            if damaged:
                os.replace(temporary, target)
            else:
                # A hard link never replaces a name: two submissions of the same content at
                # once both end with the one complete file.
                with contextlib.suppress(FileExistsError):
                    os.link(temporary, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        _fsync_directory(target.parent)
        return sha256

    @staticmethod
    def _intact(path: Path, sha256: str) -> bool:
        digest = hashlib.sha256()
        with path.open("rb") as stored:
            for block in iter(lambda: stored.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest() == sha256

    def get(self, sha256: str) -> bytes:
        """The content stored under `sha256`, its hash checked (`AttachmentCorrupt` if not)."""
        content = self.path_of(sha256).read_bytes()
        if hashlib.sha256(content).hexdigest() != sha256:
            raise AttachmentCorrupt(f"stored attachment {sha256} does not match its hash")
        return content


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


_OWNER_MATCH: Final = {
    OwnerKind.OBJECTION: f"MATCH (o:{Label.OBJECTION} {{id: $owner}})",
    OwnerKind.REPAIR_APPLICATION: f"MATCH (o:{Label.REPAIR_APPLICATION} {{id: $owner}})",
    OwnerKind.VOLUNTARY_ITEM: f"MATCH (o:{Label.VOLUNTARY_ITEM} {{id: $owner}})",
}


async def link(
    db: Database,
    kind: OwnerKind,
    owner_id: str,
    files: Sequence[CheckedFile],
    uploaded_by: str | None,
    now: datetime.datetime | None = None,
) -> list[Attachment]:
    """Link stored `files` to their owner: one new Attachment node each, never replacing one."""
    if not files:
        return []
    stored_at = (now or datetime.datetime.now(datetime.UTC)).isoformat()
    rows = await db.write(
        _OWNER_MATCH[kind] + " UNWIND range(0, size($files) - 1) AS n "
        "WITH o, n, $files[n] AS f "
        f"CREATE (o)-[:{Rel.HAS_ATTACHMENT} {{position: n}}]->(a:{Label.ATTACHMENT}) "
        "SET a = f, a.storedAt = $storedAt, a.uploadedBy = $uploadedBy "
        "RETURN a ORDER BY n",
        {
            "owner": owner_id,
            "files": [
                {
                    "sha256": f.sha256,
                    "fileName": f.file_name,
                    "mediaType": str(f.media_type),
                    "size": len(f.content),
                }
                for f in files
            ],
            "storedAt": stored_at,
            "uploadedBy": uploaded_by,
        },
    )
    return [_attachment(row["a"], owner_id) for row in rows]


async def attachments_of(
    db: Database, kind: OwnerKind, owner_ids: Sequence[str]
) -> dict[str, list[Attachment]]:
    """The attachments of each owner, in the order they were submitted. A voluntary item's
    version shows those of the versions it amends too: its evidence stays with the item."""
    earlier = f"-[:{Rel.SUPERSEDES}*0..]->(v)" if kind is OwnerKind.VOLUNTARY_ITEM else ""
    rows = await db.read(
        f"UNWIND $ids AS id MATCH (o:{kind} {{id: id}}){earlier} "
        f"MATCH ({'v' if earlier else 'o'})-[h:{Rel.HAS_ATTACHMENT}]->(a:{Label.ATTACHMENT}) "
        f"RETURN id, {'v' if earlier else 'o'}.id AS owner, a "
        "ORDER BY a.storedAt, h.position",
        {"ids": list(owner_ids)},
    )
    found: dict[str, list[Attachment]] = {owner: [] for owner in owner_ids}
    for row in rows:
        found[row["id"]].append(_attachment(row["a"], row["owner"]))
    return found


async def owner_of(db: Database, sha256: str, owner_id: str) -> AttachmentOwner | None:
    """The submission `owner_id` if it has an attachment with this content (None: it has not)."""
    rows = await db.read(
        f"CALL {{ MATCH (o:{Label.OBJECTION} {{id: $owner}}) RETURN o "
        f"UNION MATCH (o:{Label.REPAIR_APPLICATION} {{id: $owner}}) RETURN o "
        f"UNION MATCH (o:{Label.VOLUNTARY_ITEM} {{id: $owner}}) RETURN o }} "
        f"MATCH (o)-[:{Rel.HAS_ATTACHMENT}]->(a:{Label.ATTACHMENT} {{sha256: $sha}}) "
        f"OPTIONAL MATCH (o)-[:{Rel.CONCERNS}]->(t) "
        f"OPTIONAL MATCH (o)-[:{Rel.HAS_SUBJECT}]->(s) "
        "RETURN [l IN labels(o) WHERE l IN $kinds][0] AS kind, o.subject AS subject, "
        "coalesce(s.uscc, s.key) AS hasSubject, "
        f"CASE WHEN t:{Label.RECORD} THEN t.key END AS recordKey, "
        f"CASE WHEN t:{Label.LIST_ENTRY} THEN t.id END AS listEntryId, a LIMIT 1",
        {"owner": owner_id, "sha": sha256, "kinds": [str(k) for k in OwnerKind]},
    )
    if not rows:
        return None
    row = rows[0]
    return AttachmentOwner(
        kind=OwnerKind(row["kind"]),
        id=owner_id,
        subject=row["subject"] or row["hasSubject"],
        record_key=row["recordKey"],
        list_entry_id=row["listEntryId"],
        attachment=_attachment(row["a"], owner_id),
    )


def _attachment(node: object, owner_id: str) -> Attachment:
    props = dict(node)  # type: ignore[call-overload]
    return Attachment(
        owner_id=owner_id,
        sha256=str(props["sha256"]),
        file_name=str(props["fileName"]),
        media_type=str(props["mediaType"]),
        size=int(props["size"]),
        stored_at=str(props["storedAt"]),
        uploaded_by=props.get("uploadedBy"),
    )
