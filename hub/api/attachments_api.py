"""证明材料 in the API: uploads on fileObjection, applyForRepair and registerVoluntary, the
`attachments` field of those types, and the `attachment(sha256:, of:)` query that decides a
download.

Files arrive with the GraphQL multipart request spec (like `submitFeed`) or, from the site's
forms, as the form's uploaded files passed through `Kernel.execute`. Each is accepted or refused
by its content (graph/attachments.py) before anything is filed, stored once by content under
``CREDITHUB_HOME/attachments`` and linked to what it was submitted with.

Who may read an attachment is the catalogue's: `operations.readAttachment` for the attachments
of objections and repair applications (the enterprise the record is about, the department that
provided or decided it, the credit office) and `operations.readVoluntaryAttachment` for those of
voluntary registrations (the enterprise, and those who verify such information). The download
route (hub/attachment_downloads.py) asks this query through the kernel, so a download is
decided, refused and audited like any other request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import quote

import strawberry
from strawberry.dataloader import DataLoader

from authz import policy
from authz.policy import Subject
from graph import attachments
from graph.attachments import AttachmentStore, CheckedFile, OwnerKind
from hub.api.lifecycle_support import decide, refuse
from hub.api.query import GraphInfo
from hub.errors import ClientError, Forbidden

COMPUTED_TYPES = ("Attachment",)

READ_ATTACHMENT: Final = "readAttachment"
READ_VOLUNTARY_ATTACHMENT: Final = "readVoluntaryAttachment"

DOWNLOAD_PATH: Final = "/attachments"
"""Where an attachment is downloaded: ``/attachments/{sha256}?of=<owner id>``."""


class AttachmentRejected(ClientError):
    """An uploaded file that is not accepted (its name and the reason, in Chinese)."""

    code = "ATTACHMENT_REFUSED"


class AttachmentNotFound(ClientError):
    """No such attachment on that submission."""

    code = "NOT_FOUND"


def download_url(sha256: str, owner_id: str) -> str:
    """The hub-relative address that downloads one attachment of one submission."""
    return f"{DOWNLOAD_PATH}/{sha256}?of={quote(owner_id, safe='')}"


@strawberry.type(description="A file attached to a submission (证明材料)")
class Attachment:
    file_name: str = strawberry.field(description="文件名 (as uploaded)")
    media_type: str = strawberry.field(description="文件类型, judged by the content")
    size: int = strawberry.field(description="字节数")
    sha256: str = strawberry.field(description="SHA-256 of the content (hex)")
    url: str = strawberry.field(description="Where to download it (the catalogue decides who may)")

    @classmethod
    def of(cls, found: attachments.Attachment) -> Attachment:
        """From the graph's attachment (downloaded as one of the submission it was filed with)."""
        return cls(
            file_name=found.file_name,
            media_type=found.media_type,
            size=found.size,
            sha256=found.sha256,
            url=download_url(found.sha256, found.owner_id),
        )


def store_of(info: GraphInfo) -> AttachmentStore:
    """The hub's attachment store (under its settings' home)."""
    return AttachmentStore(info.context.kernel.settings.attachments_dir)


async def accept_uploads(info: GraphInfo, uploads: Sequence[Any] | None) -> list[CheckedFile]:
    """Read, check and store the uploads of one submission (`AttachmentRejected` for the first
    file refused: nothing is filed then). Stored content is never replaced."""
    if not uploads:
        return []
    checked: list[CheckedFile] = []
    try:
        attachments.check_count(len(uploads))
        for upload in uploads:
            content = await upload.read(attachments.MAX_FILE_BYTES + 1)
            data = content if isinstance(content, bytes) else str(content).encode()
            checked.append(attachments.check_file(getattr(upload, "filename", None), data))
        attachments.check_total(checked)
    except attachments.AttachmentRefused as error:
        raise AttachmentRejected(str(error)) from None
    finally:
        # Starlette spools uploads to temporary files that nobody else closes.
        for upload in uploads:
            await upload.close()
    store = store_of(info)
    for item in checked:
        # Written and fsynced off the event loop: other requests go on meanwhile.
        await asyncio.to_thread(store.put, item.content)
    return checked


async def link_uploads(
    info: GraphInfo, kind: OwnerKind, owner_id: str, files: Sequence[CheckedFile]
) -> None:
    """Link the accepted files to the submission just made."""
    if files:
        consumer = info.context.consumer
        await attachments.link(
            info.context.db, kind, owner_id, files, consumer.org_code or consumer.subject
        )


def _loader(info: GraphInfo, kind: OwnerKind) -> DataLoader[str, list[Attachment]]:
    """One loader per request and owner kind: a page of objections asks the graph once."""
    context = info.context
    loaders: dict[OwnerKind, DataLoader[str, list[Attachment]]] | None = getattr(
        context, "_attachment_loaders", None
    )
    if loaders is None:
        loaders = {}
        context._attachment_loaders = loaders  # type: ignore[attr-defined]
    if kind not in loaders:

        async def load(ids: list[str]) -> list[list[Attachment]]:
            found = await attachments.attachments_of(context.db, kind, ids)
            return [[Attachment.of(a) for a in found[owner]] for owner in ids]

        loaders[kind] = DataLoader(load_fn=load)
    return loaders[kind]


async def attachments_for(info: GraphInfo, kind: OwnerKind, owner_id: str) -> list[Attachment]:
    """The attachments of one submission (batched across a request)."""
    return await _loader(info, kind).load(owner_id)


@strawberry.type
class AttachmentsQuery:
    @strawberry.field(
        description="One attachment of a submission (objection, repair application, voluntary "
        "registration), if the catalogue lets you read it; /attachments/{sha256}?of={id} "
        "downloads its file on the same decision"
    )
    async def attachment(self, info: GraphInfo, sha256: str, of: strawberry.ID) -> Attachment:
        context = info.context
        # A kind that may read no attachment at all learns nothing, not even whether one exists.
        kind_rules = [
            policy.permit_either(context.catalogue, context.consumer, operation)
            for operation in (READ_ATTACHMENT, READ_VOLUNTARY_ATTACHMENT)
        ]
        if not any(decision.allowed for decision in kind_rules):
            citations = "; ".join(decision.citation for decision in kind_rules)
            raise Forbidden(
                f"{context.consumer.org_kind.label}无权查看证明材料 (not allowed: {citations})"
            )
        owner = await attachments.owner_of(context.db, sha256.strip().lower(), str(of))
        if owner is None:
            raise AttachmentNotFound("没有该附件 (no such attachment on that submission)")
        if owner.kind is OwnerKind.VOLUNTARY_ITEM:
            operation, subject = READ_VOLUNTARY_ATTACHMENT, Subject.enterprise(owner.subject or "")
        elif owner.record_key is not None:
            operation, subject = READ_ATTACHMENT, Subject.record(owner.record_key)
        else:
            operation, subject = READ_ATTACHMENT, Subject.list_entry(owner.list_entry_id or "")
        decision = await decide(info, operation, subject)
        if not decision.allowed:
            why = decision.reason.label if decision.reason else "不允许"
            refuse(decision, f"无权查看该证明材料：{why}")
        info.context.audit_action(
            "read_attachment",
            subjects={owner.subject} if owner.subject else set(),
            detail=f"{owner.id}:{owner.attachment.sha256}",
        )
        return Attachment.of(owner.attachment)
