"""Ordered, idempotent schema migrations for the credit graph.

Each migration has a stable id and a list of schema statements written with ``IF NOT EXISTS``,
so running them again is harmless; the applied ones are recorded as ``(:Migration)`` nodes with
a checksum, and a migration whose text changed after it was applied is refused rather than
silently skipped (change the graph with a new migration instead).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from graph.database import Database


@dataclass(frozen=True)
class Migration:
    """One step of the schema."""

    id: str
    description: str
    statements: tuple[str, ...]

    @property
    def checksum(self) -> str:
        """Hash of the statements, to notice a migration edited after it was applied."""
        return hashlib.sha256("\n".join(self.statements).encode()).hexdigest()[:16]


class MigrationChanged(RuntimeError):
    """An applied migration's statements no longer match what was applied."""

    def __init__(self, migration_id: str) -> None:
        super().__init__(
            f"Migration {migration_id} was applied with different statements than it has now. "
            "Applied migrations must not change: add a new migration instead."
        )


def _unique(label: str, prop: str) -> str:
    name = f"{label.lower()}_{prop.lower()}_unique"
    return f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001",
        "natural keys are unique",
        (
            _unique("Migration", "id"),
            _unique("Enterprise", "uscc"),
            _unique("Person", "key"),
            _unique("Department", "code"),
            _unique("Bank", "code"),
            _unique("Association", "code"),
            _unique("CreditAgency", "code"),
            _unique("Record", "uid"),
            _unique("ListEntry", "id"),
            _unique("Measure", "code"),
            _unique("Sanction", "id"),
        ),
    ),
    Migration(
        "0002",
        "lookup indexes for records and list entries",
        (
            "CREATE INDEX record_key IF NOT EXISTS FOR (r:Record) ON (r.key)",
            "CREATE INDEX record_kind_date IF NOT EXISTS "
            "FOR (r:Record) ON (r.kind, r.decisionDate)",
            "CREATE INDEX list_entry_type_status IF NOT EXISTS "
            "FOR (l:ListEntry) ON (l.listType, l.status)",
            "CREATE INDEX enterprise_name IF NOT EXISTS FOR (e:Enterprise) ON (e.name)",
        ),
    ),
    Migration(
        "0003",
        "full-text search over enterprise names with the CJK analyzer (bigrams)",
        (
            "CREATE FULLTEXT INDEX enterprise_name_fulltext IF NOT EXISTS "
            "FOR (e:Enterprise) ON EACH [e.name] "
            "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk', "
            "`fulltext.eventually_consistent`: false}}",
        ),
    ),
    Migration(
        "0004",
        "audit chain and consent grants",
        (
            _unique("AuditEntry", "seq"),
            _unique("AuditChain", "id"),
            _unique("Consent", "id"),
            "CREATE INDEX audit_request IF NOT EXISTS FOR (e:AuditEntry) ON (e.requestId)",
            "CREATE INDEX audit_at IF NOT EXISTS FOR (e:AuditEntry) ON (e.at)",
            "CREATE INDEX consent_grantee IF NOT EXISTS FOR (c:Consent) ON (c.grantee)",
        ),
    ),
    Migration(
        "0005",
        "feed batches, quarantine, provenance and revisions",
        (
            _unique("Batch", "id"),
            _unique("QuarantinedRow", "id"),
            "CREATE INDEX quarantine_batch IF NOT EXISTS "
            "FOR (q:QuarantinedRow) ON (q.batchId, q.rowNumber)",
            "CREATE INDEX record_batch IF NOT EXISTS FOR (r:Record) ON (r.batchId)",
            "CREATE INDEX record_subject_code IF NOT EXISTS FOR (r:Record) ON (r.subjectCode)",
            "CREATE INDEX record_publish_by IF NOT EXISTS FOR (r:Record) ON (r.publishBy)",
            "CREATE INDEX batch_supplier IF NOT EXISTS FOR (b:Batch) ON (b.supplier)",
            "CREATE INDEX enterprise_revision_uscc IF NOT EXISTS "
            "FOR (r:EnterpriseRevision) ON (r.uscc)",
        ),
    ),
    Migration(
        "0006",
        "credit lifecycle: objections, repair, commitments, notices, watches, events",
        (
            _unique("Objection", "id"),
            _unique("RepairApplication", "id"),
            _unique("CommitmentItem", "code"),
            _unique("Commitment", "id"),
            _unique("VoluntaryItem", "id"),
            _unique("Rectification", "id"),
            _unique("MeasureApplication", "id"),
            _unique("Watch", "id"),
            _unique("Notice", "id"),
            _unique("Event", "id"),
            "CREATE INDEX notice_recipient IF NOT EXISTS "
            "FOR (n:Notice) ON (n.recipient, n.createdAt)",
            "CREATE INDEX watch_subject IF NOT EXISTS FOR (w:Watch) ON (w.subject, w.active)",
            "CREATE INDEX watch_watcher IF NOT EXISTS FOR (w:Watch) ON (w.watcher, w.active)",
            "CREATE INDEX objection_status IF NOT EXISTS FOR (o:Objection) ON (o.status, o.dueBy)",
            "CREATE INDEX repair_status IF NOT EXISTS "
            "FOR (r:RepairApplication) ON (r.status, r.dueBy)",
            "CREATE INDEX measure_application_on IF NOT EXISTS "
            "FOR (a:MeasureApplication) ON (a.appliedOn)",
            "CREATE INDEX event_type IF NOT EXISTS FOR (e:Event) ON (e.type, e.on)",
        ),
    ),
    Migration(
        "0007",
        "credit reports: numbers are unique, reports are found by enterprise",
        (
            _unique("CreditReport", "number"),
            "CREATE INDEX credit_report_uscc IF NOT EXISTS "
            "FOR (r:CreditReport) ON (r.uscc, r.generatedAt)",
        ),
    ),
    Migration(
        "0008",
        "public credit evaluation: runs, and evaluations found by enterprise",
        (
            _unique("EvaluationRun", "id"),
            _unique("Evaluation", "id"),
            "CREATE INDEX evaluation_uscc IF NOT EXISTS FOR (v:Evaluation) ON (v.uscc)",
            "CREATE INDEX evaluation_run_scope IF NOT EXISTS "
            "FOR (r:EvaluationRun) ON (r.scope, r.current)",
        ),
    ),
    Migration(
        "0009",
        "risk early warning: scans, and alerts found by signal and by subject",
        (
            _unique("RiskScan", "id"),
            _unique("RiskAlert", "id"),
            "CREATE INDEX risk_alert_signal IF NOT EXISTS "
            "FOR (a:RiskAlert) ON (a.signal, a.status, a.score)",
            "CREATE INDEX risk_alert_subject IF NOT EXISTS "
            "FOR (a:RiskAlert) ON (a.subject, a.signal, a.status)",
            "CREATE INDEX risk_scan_started IF NOT EXISTS FOR (s:RiskScan) ON (s.startedAt)",
        ),
    ),
    Migration(
        "0010",
        "graded supervision: inspectors, inspection tasks and their drawn objects",
        (
            _unique("Inspector", "id"),
            _unique("InspectionTask", "id"),
            _unique("InspectionObject", "id"),
            "CREATE INDEX inspector_department IF NOT EXISTS FOR (i:Inspector) ON (i.department)",
            "CREATE INDEX inspection_task_year IF NOT EXISTS "
            "FOR (t:InspectionTask) ON (t.year, t.department)",
            "CREATE INDEX inspection_object_task IF NOT EXISTS "
            "FOR (o:InspectionObject) ON (o.taskId, o.uscc)",
        ),
    ),
    Migration(
        "0011",
        "job locks: one node per whole-graph job that must not run twice at once",
        (_unique("JobLock", "name"),),
    ),
    Migration(
        "0012",
        "reference data: the credit office is keyed by its code like every organisation",
        (_unique("CreditOffice", "code"),),
    ),
    Migration(
        "0013",
        "exchange: one cursor per target, exports by id; versions and events found by time",
        (
            _unique("ExchangeCursor", "target"),
            _unique("ExchangeExport", "id"),
            # An incremental export reads what changed in (cursor, now]: by these, not a scan.
            "CREATE INDEX record_loaded_at IF NOT EXISTS FOR (r:Record) ON (r.loadedAt)",
            "CREATE INDEX event_at IF NOT EXISTS FOR (e:Event) ON (e.at)",
            "CREATE INDEX record_publish_from IF NOT EXISTS FOR (r:Record) ON (r.publishFrom)",
            "CREATE INDEX record_publish_until IF NOT EXISTS FOR (r:Record) ON (r.publishUntil)",
        ),
    ),
    Migration(
        "0014",
        "exchange deliveries: by id, and a target's runs for an export (what is pending)",
        (
            _unique("ExchangeDelivery", "id"),
            "CREATE INDEX exchange_delivery_export IF NOT EXISTS "
            "FOR (d:ExchangeDelivery) ON (d.target, d.exportId)",
        ),
    ),
)


async def applied_migrations(db: Database) -> dict[str, str]:
    """Migration id → checksum of what has been applied."""
    rows = await db.read("MATCH (m:Migration) RETURN m.id AS id, m.checksum AS checksum")
    return {row["id"]: row["checksum"] for row in rows}


async def migrate(db: Database) -> list[str]:
    """Apply every migration not yet applied, in order; return the ids applied now."""
    # The constraint on Migration.id is itself part of 0001, so look before it exists.
    done = await applied_migrations(db)
    applied: list[str] = []
    for migration in MIGRATIONS:
        if migration.id in done:
            if done[migration.id] != migration.checksum:
                raise MigrationChanged(migration.id)
            continue
        for statement in migration.statements:
            await db.write(statement)
        await db.write("CALL db.awaitIndexes(300)")
        await db.write(
            "MERGE (m:Migration {id: $id}) "
            "SET m.description = $description, m.checksum = $checksum, m.appliedAt = datetime()",
            {
                "id": migration.id,
                "description": migration.description,
                "checksum": migration.checksum,
            },
        )
        applied.append(migration.id)
    return applied
