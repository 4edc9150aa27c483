"""The feeds API: departments submit batches or single records; batches, quarantine, timeliness.

Submissions go through exactly the pipeline `credithub load` runs (loaders/pipeline.py): the
sharing catalogue's `operations.submitFeed` decides who may submit at all, the collection
catalogue which feed kinds that organisation sends, the row checks what is accepted. A file is
uploaded with the GraphQL multipart request spec; rows may also be sent as JSON objects keyed by
the Chinese or English column names. The answer is the load summary plus the refused rows with
their reasons, so a caller submitting one record learns at once why it was not taken.
"""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path
from typing import Any, cast

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from authz.identity import Consumer
from hub.api.lifecycle_support import acting_for, permission, refuse
from hub.api.query import GraphInfo
from hub.errors import ClientError, InvalidArgument
from loaders import batches, timeliness
from loaders.feed_kinds import FEED_KINDS
from loaders.pipeline import LOAD_REFUSALS, LoadSummary, load_file, load_rows

COMPUTED_TYPES = (
    "FeedProblem",
    "QuarantinedRow",
    "ReasonCount",
    "FeedBatch",
    "FeedSubmission",
    "LatePublication",
    "PublicationTimeliness",
)
"""Types of this module: answered by the loaders' stores, not by the graph projection."""

MAX_ROWS_PER_SUBMISSION = 1000
"""Rows in one `submitFeed` call; larger feeds are uploaded as a file."""

MAX_PROBLEMS_RETURNED = 200
"""Refused rows listed in a submission's answer; the rest are in the quarantine query."""


class FeedRefused(ClientError):
    """The feed as a whole was refused before any row was read; the message says why."""

    code = "FEED_REFUSED"


@strawberry.type(description="One reason a row was refused (字段与原因)")
class FeedProblem:
    field: str | None = strawberry.field(description="Column (English name); null: the row")
    field_label: str | None = strawberry.field(description="Column's national Chinese header")
    code: str = strawberry.field(description="Stable reason code, e.g. USCC_CHECK_CHAR")
    reason: str = strawberry.field(description="The reason, Chinese then English")


@strawberry.type(description="A row kept in quarantine with its reasons and the cells as sent")
class QuarantinedRow:
    batch_id: str
    row_number: int = strawberry.field(description="Row in the file (header = row 1)")
    problems: list[FeedProblem]
    cells: JSON = strawberry.field(description="The row as sent, header → value")


@strawberry.type(description="Count of refused rows for one reason")
class ReasonCount:
    code: str
    rows: int


@strawberry.type(description="A feed batch: provenance and what loading it did (可查可核可溯)")
class FeedBatch:
    id: strawberry.ID
    kind: str = strawberry.field(description="Feed kind code, e.g. penalty")
    kind_label: str = strawberry.field(description="信息类别")
    supplier: str = strawberry.field(description="报送单位 统一社会信用代码")
    supplier_name: str | None
    file_name: str
    content_hash: str = strawberry.field(description="SHA-256 of the file or submitted rows")
    loader_version: str
    status: str = strawberry.field(description="RUNNING, COMPLETED or FAILED")
    first_loaded_at: datetime.datetime | None
    last_loaded_at: datetime.datetime | None
    rows_read: int
    new: int
    new_versions: int
    unchanged: int
    quarantined: int
    quarantined_by_reason: list[ReasonCount]

    @classmethod
    def of(cls, info: batches.BatchInfo) -> FeedBatch:
        """From the stored batch."""
        kind = FEED_KINDS.get(info.kind)
        return cls(
            id=strawberry.ID(info.id),
            kind=info.kind,
            kind_label=kind.label if kind else info.kind,
            supplier=info.supplier,
            supplier_name=info.supplier_name,
            file_name=info.file_name,
            content_hash=info.content_hash,
            loader_version=info.loader_version,
            status=info.status,
            first_loaded_at=info.first_loaded_at,
            last_loaded_at=info.last_loaded_at,
            rows_read=info.rows_read,
            new=info.new,
            new_versions=info.new_versions,
            unchanged=info.unchanged,
            quarantined=info.quarantined,
            quarantined_by_reason=_reasons(info.quarantined_by_reason),
        )


@strawberry.type(description="What a submission did, and the rows it refused")
class FeedSubmission:
    batch: FeedBatch
    refused: list[QuarantinedRow] = strawberry.field(
        description=f"Refused rows (the first {MAX_PROBLEMS_RETURNED}; all in `quarantine`)"
    )


@strawberry.type(description="A 双公示 record published after its 7-working-day deadline")
class LatePublication:
    key: str
    kind: str
    document_number: str
    decision_date: datetime.date
    publish_by: datetime.date
    published_on: datetime.date
    working_days_late: int | None


@strawberry.type(description="One department's 双公示 timeliness over a period")
class PublicationTimeliness:
    department: str
    department_name: str
    total: int
    on_time: int
    on_time_share: float
    late: list[LatePublication]


def _reasons(counts: dict[str, int]) -> list[ReasonCount]:
    return [ReasonCount(code=c, rows=n) for c, n in sorted(counts.items(), key=lambda kv: -kv[1])]


def _row(row: batches.QuarantinedRow) -> QuarantinedRow:
    kind = FEED_KINDS.get(row.batch_id.split("-", 1)[0])
    return QuarantinedRow(
        batch_id=row.batch_id,
        row_number=row.row_number,
        problems=[
            FeedProblem(
                field=p.field or None,
                field_label=(kind.label_of(p.field) if kind and p.field else None),
                code=p.code,
                reason=p.reason,
            )
            for p in row.problems
        ],
        cells=cast(JSON, row.cells),
    )


def _organisation(consumer: Consumer, operation: str, info: GraphInfo, named: str | None) -> str:
    """The organisation an operation acts for: the caller's own, or one the caller may name
    (the one policy's `kinds`, then `on_behalf` when naming another)."""
    decision = permission(info, operation)
    if not decision.allowed:
        refuse(decision, f"{consumer.org_kind.label}不能执行此操作")
    return acting_for(info, operation, named, "supplier")


async def _submission(info: GraphInfo, summary: LoadSummary) -> FeedSubmission:
    db = info.context.db
    stored = await batches.get_batch(db, summary.batch_id)
    assert stored is not None, "the pipeline writes the batch before it returns"
    refused = await batches.list_quarantine(db, summary.batch_id, limit=MAX_PROBLEMS_RETURNED)
    info.context.audit_action("submit_feed", subjects=set(), detail=summary.batch_id)
    return FeedSubmission(batch=FeedBatch.of(stored), refused=[_row(r) for r in refused])


@strawberry.type
class FeedsMutation:
    @strawberry.mutation(
        description="Submit a feed batch (信息报送): a file (CSV UTF-8/GBK, XLSX, JSONL) or up to "
        f"{MAX_ROWS_PER_SUBMISSION} rows keyed by Chinese or English column names. Checked and "
        "written like `credithub load`; refused rows go to quarantine."
    )
    async def submit_feed(
        self,
        info: GraphInfo,
        kind: str | None = None,
        rows: list[JSON] | None = None,
        file: Upload | None = None,
        file_name: str | None = None,
        supplier: str | None = None,
    ) -> FeedSubmission:
        context = info.context
        organisation = _organisation(context.consumer, "submitFeed", info, supplier)
        if (rows is None) == (file is None):
            raise InvalidArgument("rows", "send either `rows` or `file`, not both or neither")
        try:
            if rows is not None:
                if kind is None:
                    raise InvalidArgument("kind", "rows need their feed kind")
                return await _submission(
                    info, await _load_rows(info, rows, organisation, kind, file_name or "api")
                )
            assert file is not None
            return await _submission(
                info, await _load_upload(info, file, organisation, kind, file_name)
            )
        except LOAD_REFUSALS as error:
            raise FeedRefused(str(error)) from None

    @strawberry.mutation(
        description="Submit one record (单条报送) through the same checks as a batch"
    )
    async def submit_record(
        self, info: GraphInfo, kind: str, row: JSON, supplier: str | None = None
    ) -> FeedSubmission:
        organisation = _organisation(info.context.consumer, "submitFeed", info, supplier)
        try:
            summary = await _load_rows(info, [row], organisation, kind, "api-record")
        except LOAD_REFUSALS as error:
            raise FeedRefused(str(error)) from None
        return await _submission(info, summary)


async def _load_rows(
    info: GraphInfo, rows: list[Any], organisation: str, kind: str, name: str
) -> LoadSummary:
    if not 1 <= len(rows) <= MAX_ROWS_PER_SUBMISSION:
        raise InvalidArgument("rows", f"send 1 to {MAX_ROWS_PER_SUBMISSION} rows")
    if not all(isinstance(r, dict) for r in rows):
        raise InvalidArgument("rows", "each row is a JSON object of column → value")
    nested = [
        n for n, r in enumerate(rows, 1) if any(isinstance(v, dict | list) for v in r.values())
    ]
    if nested:
        raise InvalidArgument("rows", f"row {nested[0]}: values must be strings or numbers")
    return await load_rows(
        info.context.db,
        rows,
        organisation,
        kind,
        person_secret=info.context.person_secret,
        source_name=name,
    )


async def _load_upload(
    info: GraphInfo, upload: Any, organisation: str, kind: str | None, name: str | None
) -> LoadSummary:
    original = Path(name or getattr(upload, "filename", None) or "upload.csv").name
    with tempfile.TemporaryDirectory(prefix="credithub-feed-") as directory:
        path = Path(directory) / original
        try:
            content = await upload.read()
        finally:
            # Starlette spools uploads to a temporary file that nobody else closes.
            await upload.close()
        path.write_bytes(content if isinstance(content, bytes) else str(content).encode())
        return await load_file(
            info.context.db,
            path,
            organisation,
            person_secret=info.context.person_secret,
            kind=kind,
        )


@strawberry.type
class FeedsQuery:
    @strawberry.field(description="Feed batches of your organisation (the credit office: any)")
    async def feed_batches(
        self, info: GraphInfo, supplier: str | None = None, first: int = 20
    ) -> list[FeedBatch]:
        organisation = _organisation(info.context.consumer, "readQuarantine", info, supplier)
        if not 1 <= first <= 200:
            raise InvalidArgument("first", "must be between 1 and 200")
        found = await batches.list_batches(info.context.db, supplier=organisation, limit=first)
        return [FeedBatch.of(b) for b in found]

    @strawberry.field(description="A batch's refused rows, to fix and resend (隔离数据)")
    async def quarantine(
        self, info: GraphInfo, batch_id: str, first: int = 100, offset: int = 0
    ) -> list[QuarantinedRow]:
        consumer = info.context.consumer
        stored = await batches.get_batch(info.context.db, batch_id)
        owner = stored.supplier if stored is not None else None
        _organisation(consumer, "readQuarantine", info, owner)
        if stored is None:
            raise InvalidArgument("batchId", "no such batch")
        if not 1 <= first <= 1000 or offset < 0:
            raise InvalidArgument("first", "first must be 1 to 1000 and offset ≥ 0")
        rows = await batches.list_quarantine(info.context.db, batch_id, offset=offset, limit=first)
        return [_row(r) for r in rows]

    @strawberry.field(
        description="双公示 timeliness per department: published within 7 working days of the "
        "decision (your department; the credit office: all or one)"
    )
    async def publication_timeliness(
        self,
        info: GraphInfo,
        decided_from: datetime.date,
        decided_to: datetime.date,
        department: str | None = None,
    ) -> list[PublicationTimeliness]:
        consumer = info.context.consumer
        if department is None and permission(info, "publicationTimeliness", on_behalf=True).allowed:
            scope = None
        else:
            scope = _organisation(consumer, "publicationTimeliness", info, department)
        if decided_to < decided_from:
            raise InvalidArgument("decidedTo", "must not be before decidedFrom")
        report = await timeliness.publication_timeliness(
            info.context.db, decided_from, decided_to, department=scope
        )
        return [
            PublicationTimeliness(
                department=d.code,
                department_name=d.name,
                total=d.total,
                on_time=d.on_time,
                on_time_share=d.on_time_share,
                late=[LatePublication(**vars(late)) for late in d.late],
            )
            for d in report
        ]
