"""信用承诺 (policy 三(一)): commitment items, commitments made on them, and whether they were kept.

A licensing item that accepts a commitment is a ``(:CommitmentItem {code, name, template})``
offered by the department that handles it, ``-[:OFFERED_BY]->(:Department)``. Industry
associations run programmes of their own, ``-[:OFFERED_BY]->(:Association)``, open to their
members only (``(:Enterprise)-[:MEMBER_OF]->(:Association)``). Only the offering organisation
manages its items (谁提供、谁管理); every change is an `Event` keeping the previous text.

An applicant commits by accepting the item's template text exactly as it is now: the commitment
stores that text and its SHA-256, so a later change of the template never changes what was
promised. The enterprise commits itself, or the offering organisation's window records it on the
enterprise's behalf (the credit office may too). The commitment is also a credit record of kind
COMMITMENT, so it shows with the enterprise's other records.

The offering organisation (or the credit office) later decides whether it was kept, once: the
COMMITMENT record gets a new version saying 已履约 / 已违诺, and a breach is an adverse record of
kind COMMITMENT_BREACH with the tier the decider gives and its Order 36 publication window,
linked ``(:Commitment)-[:RESULTED_IN]->(:Record)``; the subject and its watchers are told.

Decisions made here:

- **Associations as providers.** Records normally point ``-[:PROVIDED_BY]->(:Department)``. An
  association's programme has no department behind it, so its records point to the
  ``(:Association)`` node itself, as loaders/writers/records.py does for association-supplied
  feeds; ``issuingAuthority``/``issuingAuthorityCode`` name the association. Consequently
  `Record.provider` (a Department) is empty for them and no department's ``provided_by_me`` row
  rule covers them: the finding is the association's, not a department's.
- **Record keys.** A commitment has no 文号; its id serves as the document number, so the
  records are ``COMMITMENT|<offerer>|<commitment id>`` and ``COMMITMENT_BREACH|<offerer>|<id>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import neo4j

from graph.database import Database
from graph.lifecycle.base import (
    ADMIN_KIND,
    Actor,
    InvalidInput,
    MissingRequirement,
    NotFound,
    NotResponsible,
    WrongState,
    add_event,
    new_id,
    required_text,
    single,
    text_hash,
)
from graph.lifecycle.memberships import current_membership
from graph.lifecycle.notices import notify, notify_watchers
from graph.lifecycle.versions import create_decision_record, new_record_version
from graph.model import CommitmentStatus, NoticeKind, RecordKind, Rel, SeverityTier

MAX_TEMPLATE_LENGTH = 5000
_ITEM_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_WINDOW_KINDS = ("DEPARTMENT", "ASSOCIATION")


# -- refusals ---------------------------------------------------------------------------------
class NotTheOfferingOrganisation(NotResponsible):
    """Items are managed, and commitments recorded and decided, by the offering organisation."""

    def __init__(self, item: str, offerer: str | None, what: str, what_en: str) -> None:
        super().__init__(
            f"承诺事项 {item} 由 {offerer or '其他单位'} 提供，只有提供单位或信用管理部门可以"
            f"{what} (only the organisation offering the item, or the credit office, may "
            f"{what_en})"
        )


class NotAMember(NotResponsible):
    """An association's commitment programme is open to its members only."""

    def __init__(self, subject: str, association: str) -> None:
        super().__init__(
            f"{subject} 不是 {association} 的会员：行业协会信用承诺仅面向本会会员 "
            "(an association's commitment programme is for its members only)"
        )


class TemplateNotAccepted(MissingRequirement):
    """The applicant must accept the item's current template text, word for word."""

    def __init__(self, item: str) -> None:
        super().__init__(
            f"承诺内容与承诺事项 {item} 的现行承诺书文本不一致：须完整接受承诺书文本 "
            "(the accepted text must be the item's current template, exactly)"
        )


class ItemWithdrawn(WrongState):
    """A withdrawn item accepts no new commitments."""

    def __init__(self, item: str) -> None:
        super().__init__(
            f"承诺事项 {item} 已停止受理 (the item has been withdrawn and accepts no commitments)"
        )


class AlreadyDecided(WrongState):
    """A commitment is decided once: kept or breached."""

    def __init__(self, commitment: str, status: CommitmentStatus) -> None:
        super().__init__(
            f"承诺 {commitment} 已核查为「{status.label}」，不能再次核查 "
            "(the commitment has already been decided; a decision is final)"
        )


class SeverityRequired(MissingRequirement):
    """A breach is an adverse record and its tier fixes how long it is published."""

    def __init__(self) -> None:
        super().__init__(
            "认定违诺须给出失信程度 severity（轻微/一般/严重） "
            "(a breach needs a severity tier: it fixes the publication period, NDRC Order 36)"
        )


# -- values -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CommitmentItem:
    """A licensing item (or association programme) that accepts a credit commitment."""

    code: str
    name: str
    template: str
    template_hash: str
    offered_by: str
    offered_by_name: str | None
    offered_by_kind: str
    active: bool
    revision: int
    updated_on: date

    @classmethod
    def of(cls, row: dict[str, Any]) -> CommitmentItem:
        """From ``{i: properties(item), by: offerer code, byName, byKind}``."""
        i = row["i"]
        return cls(
            code=i["code"],
            name=i["name"],
            template=i["template"],
            template_hash=i["templateHash"],
            offered_by=row["by"],
            offered_by_name=row["byName"],
            offered_by_kind=row["byKind"],
            active=bool(i["active"]),
            revision=int(i["revision"]),
            updated_on=i["updatedOn"].to_native(),
        )


@dataclass(frozen=True)
class Commitment:
    """One applicant's commitment and what became of it."""

    id: str
    status: CommitmentStatus
    made_on: date
    due_by: date | None
    text: str
    text_hash: str
    subject: str
    subject_name: str | None
    item: CommitmentItem
    made_by: str
    made_by_kind: str
    record_key: str
    decided_on: date | None
    decided_by: str | None
    decision_note: str | None
    breach_severity: SeverityTier | None
    breach_record_key: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Commitment:
        """From `_COMMITMENT_RETURN`'s columns."""
        c = row["c"]
        return cls(
            id=c["id"],
            status=CommitmentStatus.of(c["status"]),
            made_on=c["madeOn"].to_native(),
            due_by=c["dueBy"].to_native() if c.get("dueBy") else None,
            text=c["text"],
            text_hash=c["textHash"],
            subject=row["subject"],
            subject_name=row["subjectName"],
            item=CommitmentItem.of(row),
            made_by=c["madeBy"],
            made_by_kind=c["madeByKind"],
            record_key=c["recordKey"],
            decided_on=c["decidedOn"].to_native() if c.get("decidedOn") else None,
            decided_by=c.get("decidedBy"),
            decision_note=c.get("decisionNote"),
            breach_severity=SeverityTier.of(c["breachSeverity"])
            if c.get("breachSeverity")
            else None,
            breach_record_key=c.get("breachRecordKey"),
        )


# -- items ------------------------------------------------------------------------------------
_ITEM_RETURN = (
    "RETURN properties(i) AS i, elementId(i) AS element, o.code AS by, o.name AS byName, "
    "CASE WHEN o:Association THEN 'ASSOCIATION' ELSE 'DEPARTMENT' END AS byKind"
)


async def save_item(
    db: Database,
    actor: Actor,
    organisation: str,
    *,
    code: str,
    name: str,
    template: str,
    active: bool,
    today: date,
) -> CommitmentItem:
    """Create an item offered by `organisation`, or change one of its own.

    A change bumps the item's revision and records an Event holding the previous name, template
    and state, so what applicants accepted before stays readable. Commitments already made keep
    the text they accepted. Saving identical values changes nothing.
    """
    item_code = code.strip()
    if not _ITEM_CODE.match(item_code):
        raise InvalidInput("code", "1–64 letters, digits, '.', '_' or '-' (事项编码)")
    item_name = required_text("name", name, max_length=200)
    text = required_text("template", template, max_length=MAX_TEMPLATE_LENGTH)
    digest = text_hash(text)

    async def work(tx: neo4j.AsyncManagedTransaction) -> CommitmentItem:
        offerer = await single(
            tx,
            "MATCH (o) WHERE (o:Department OR o:Association) AND o.code = $org "
            "RETURN o.code AS code, o.name AS name",
            {"org": organisation},
        )
        if offerer is None:
            raise NotFound("部门或行业协会", organisation)
        existing = await single(
            tx,
            "MATCH (i:CommitmentItem {code: $code})-[:OFFERED_BY]->(o) " + _ITEM_RETURN,
            {"code": item_code},
        )
        params = {
            "code": item_code,
            "name": item_name,
            "template": text,
            "hash": digest,
            "active": active,
            "today": today.isoformat(),
            "org": organisation,
        }
        if existing is None:
            created = await single(
                tx,
                "MATCH (o) WHERE (o:Department OR o:Association) AND o.code = $org "
                "CREATE (i:CommitmentItem {code: $code, name: $name, template: $template, "
                "templateHash: $hash, active: $active, revision: 1, createdOn: date($today), "
                "updatedOn: date($today)})-[:OFFERED_BY]->(o) " + _ITEM_RETURN,
                params,
            )
            assert created is not None
            await add_event(
                tx,
                actor,
                "COMMITMENT_ITEM_CREATED",
                [created["element"]],
                today=today,
                to_state="ACTIVE" if active else "WITHDRAWN",
                detail={"templateHash": digest},
            )
            return CommitmentItem.of(created)
        if existing["by"] != organisation:
            raise NotTheOfferingOrganisation(
                item_code, existing["byName"], "管理该事项", "manage it"
            )
        before = existing["i"]
        if (before["name"], before["templateHash"], bool(before["active"])) == (
            item_name,
            digest,
            active,
        ):
            return CommitmentItem.of(existing)
        changed = await single(
            tx,
            "MATCH (i:CommitmentItem {code: $code})-[:OFFERED_BY]->(o) "
            "SET i.name = $name, i.template = $template, i.templateHash = $hash, "
            "i.active = $active, i.revision = i.revision + 1, i.updatedOn = date($today) "
            + _ITEM_RETURN,
            params,
        )
        assert changed is not None
        await add_event(
            tx,
            actor,
            "COMMITMENT_ITEM_CHANGED",
            [changed["element"]],
            today=today,
            from_state="ACTIVE" if before["active"] else "WITHDRAWN",
            to_state="ACTIVE" if active else "WITHDRAWN",
            detail={
                "previousRevision": before["revision"],
                "previousName": before["name"],
                "previousTemplate": before["template"],
                "previousTemplateHash": before["templateHash"],
            },
        )
        return CommitmentItem.of(changed)

    return await db.write_transaction(work)


async def items(
    db: Database, *, offered_by: str | None = None, include_withdrawn: bool = False
) -> list[CommitmentItem]:
    """The catalogue of items (public): active ones unless `include_withdrawn`."""
    found = await db.read(
        "MATCH (i:CommitmentItem)-[:OFFERED_BY]->(o) "
        "WHERE ($by IS NULL OR o.code = $by) AND ($all OR i.active) "
        "WITH i, o ORDER BY o.code, i.code "
        "RETURN properties(i) AS i, o.code AS by, o.name AS byName, "
        "CASE WHEN o:Association THEN 'ASSOCIATION' ELSE 'DEPARTMENT' END AS byKind",
        {"by": offered_by, "all": include_withdrawn},
    )
    return [CommitmentItem.of(row) for row in found]


# -- commitments ------------------------------------------------------------------------------
_COMMITMENT_RETURN = (
    "MATCH (c)-[:FOR_ITEM]->(i:CommitmentItem)-[:OFFERED_BY]->(o) "
    "MATCH (c)-[:HAS_SUBJECT]->(s:Enterprise) "
    "RETURN properties(c) AS c, elementId(c) AS element, properties(i) AS i, o.code AS by, "
    "o.name AS byName, CASE WHEN o:Association THEN 'ASSOCIATION' ELSE 'DEPARTMENT' END "
    "AS byKind, s.uscc AS subject, s.name AS subjectName"
)


async def make_commitment(
    db: Database,
    actor: Actor,
    *,
    subject: str,
    item_code: str,
    accepted_text: str,
    due_by: date | None,
    today: date,
) -> Commitment:
    """Record `subject`'s commitment on an item; the accepted text must be the template.

    The enterprise commits for itself; a department's or association's window may record it on
    the enterprise's behalf only for items that organisation offers; the credit office for any.
    An association's programme takes its members only.
    """
    code = subject.strip().upper()
    if due_by is not None and due_by < today:
        raise InvalidInput("dueBy", "履约期限不能早于今天 (must not be in the past)")

    async def work(tx: neo4j.AsyncManagedTransaction) -> Commitment:
        found = await single(
            tx,
            "OPTIONAL MATCH (i:CommitmentItem {code: $item})-[:OFFERED_BY]->(o) "
            "OPTIONAL MATCH (e:Enterprise {uscc: $subject}) "
            "RETURN properties(i) AS i, o.code AS by, o.name AS byName, "
            "o:Association AS association, e.name AS name, e IS NOT NULL AS exists, "
            # A current member only: an ended membership keeps its relationship as history.
            f"EXISTS {{ MATCH (e)-[m:{Rel.MEMBER_OF}]->(o) "
            f"WHERE {current_membership('m', 'date($today)')} }} AS member",
            {"item": item_code.strip(), "subject": code, "today": today.isoformat()},
        )
        if found is None or found["i"] is None:
            raise NotFound("承诺事项", item_code)
        item = found["i"]
        if not found["exists"]:
            raise NotFound("市场主体", code)
        if actor.org_kind == "ENTERPRISE" and actor.org_code != code:
            raise NotResponsible(
                "市场主体只能以本主体名义作出承诺 (an enterprise commits for itself only)"
            )
        if actor.org_kind in _WINDOW_KINDS and actor.org_code != found["by"]:
            raise NotTheOfferingOrganisation(
                item["code"],
                found["byName"],
                "代为作出承诺",
                "record a commitment on an applicant's behalf",
            )
        if actor.org_kind not in ("ENTERPRISE", ADMIN_KIND, *_WINDOW_KINDS):
            raise NotResponsible("不能代为作出信用承诺 (you may not record commitments)")
        if found["association"] and not found["member"]:
            raise NotAMember(code, found["byName"])
        if not item["active"]:
            raise ItemWithdrawn(item["code"])
        if accepted_text != item["template"]:
            raise TemplateNotAccepted(item["code"])
        commitment_id = new_id("CMT")
        record = await create_decision_record(
            tx,
            kind=RecordKind.COMMITMENT,
            provider=found["by"],
            provider_name=found["byName"],
            document_number=commitment_id,
            subject=code,
            subject_name=found["name"],
            title=f"信用承诺：{item['name']}",
            content=accepted_text,
            severity=None,
            decided_on=today,
            valid_to=due_by,
            actor=actor,
        )
        created = await single(
            tx,
            "MATCH (i:CommitmentItem {code: $item}), (s:Enterprise {uscc: $subject}) "
            "CREATE (c:Commitment {id: $id, status: $status, madeOn: date($today), "
            "dueBy: date($dueBy), text: $text, textHash: $hash, itemCode: $item, "
            "templateRevision: i.revision, subjectCode: $subject, madeBy: $madeBy, "
            "madeByKind: $madeByKind, madeBySubject: $madeBySubject, recordKey: $recordKey}) "
            "CREATE (c)-[:FOR_ITEM]->(i) CREATE (c)-[:HAS_SUBJECT]->(s) "
            "WITH c " + _COMMITMENT_RETURN,
            {
                "item": item["code"],
                "subject": code,
                "id": commitment_id,
                "status": CommitmentStatus.PENDING.value,
                "today": today.isoformat(),
                "dueBy": due_by.isoformat() if due_by else None,
                "text": accepted_text,
                "hash": text_hash(accepted_text),
                "madeBy": actor.org_code or ADMIN_KIND,
                "madeByKind": actor.org_kind,
                "madeBySubject": actor.subject,
                "recordKey": record["key"],
            },
        )
        assert created is not None
        await add_event(
            tx,
            actor,
            "COMMITMENT_MADE",
            [created["element"], record["element"]],
            today=today,
            to_state=CommitmentStatus.PENDING.value,
            detail={"item": item["code"], "textHash": text_hash(accepted_text)},
        )
        return Commitment.of(created)

    return await db.write_transaction(work)


async def decide_commitment(
    db: Database,
    actor: Actor,
    commitment_id: str,
    *,
    outcome: CommitmentStatus,
    note: str,
    severity: SeverityTier | None,
    today: date,
) -> Commitment:
    """Mark a pending commitment KEPT or BREACHED, once (the offering organisation or the
    credit office). A breach creates the adverse COMMITMENT_BREACH record and tells the
    subject and its watchers."""
    if outcome is CommitmentStatus.PENDING:
        raise InvalidInput("outcome", "KEPT 或 BREACHED (kept or breached)")
    if outcome is CommitmentStatus.BREACHED and severity is None:
        raise SeverityRequired()
    if outcome is CommitmentStatus.KEPT and severity is not None:
        raise InvalidInput("severity", "只有违诺才有失信程度 (only a breach has a severity tier)")
    reason = required_text("note", note, max_length=2000)

    async def work(tx: neo4j.AsyncManagedTransaction) -> Commitment:
        found = await single(
            tx, "MATCH (c:Commitment {id: $id}) WITH c " + _COMMITMENT_RETURN, {"id": commitment_id}
        )
        if found is None:
            raise NotFound("信用承诺", commitment_id)
        current = Commitment.of(found)
        if not actor.is_admin and actor.org_code != current.item.offered_by:
            raise NotTheOfferingOrganisation(
                current.item.code,
                current.item.offered_by_name,
                "核查承诺履行情况",
                "decide whether the commitment was kept",
            )
        if current.status is not CommitmentStatus.PENDING:
            raise AlreadyDecided(commitment_id, current.status)
        targets = [found["element"]]
        version = await new_record_version(
            tx,
            current.record_key,
            {"fulfilment": outcome.label, "fulfilmentDecidedOn": today},
            actor=actor,
            reason=f"承诺履行情况核查：{outcome.label}。{reason}",
            today=today,
        )
        targets.append(version["element"])
        breach: dict[str, Any] | None = None
        if outcome is CommitmentStatus.BREACHED:
            assert severity is not None
            breach = await create_decision_record(
                tx,
                kind=RecordKind.COMMITMENT_BREACH,
                provider=current.item.offered_by,
                provider_name=current.item.offered_by_name,
                document_number=commitment_id,
                subject=current.subject,
                subject_name=current.subject_name,
                title=f"违反信用承诺：{current.item.name}",
                content=reason,
                severity=severity,
                decided_on=today,
                valid_to=None,
                actor=actor,
            )
            await tx.run(
                "MATCH (c:Commitment {id: $id}), (r:Record {uid: $uid}) "
                "CREATE (c)-[:RESULTED_IN]->(r)",
                {"id": commitment_id, "uid": breach["uid"]},
            )
            targets.append(breach["element"])
        updated = await single(
            tx,
            "MATCH (c:Commitment {id: $id}) SET c.status = $status, c.decidedOn = date($today), "
            "c.decidedBy = $by, c.decidedByKind = $kind, c.decisionNote = $note, "
            "c.breachSeverity = $severity, c.breachRecordKey = $breachKey "
            "WITH c " + _COMMITMENT_RETURN,
            {
                "id": commitment_id,
                "status": outcome.value,
                "today": today.isoformat(),
                "by": actor.org_code or ADMIN_KIND,
                "kind": actor.org_kind,
                "note": reason,
                "severity": severity.value if severity else None,
                "breachKey": breach["key"] if breach else None,
            },
        )
        assert updated is not None
        await add_event(
            tx,
            actor,
            "COMMITMENT_DECIDED",
            targets,
            today=today,
            from_state=CommitmentStatus.PENDING.value,
            to_state=outcome.value,
            reason=reason,
            detail={"severity": severity.value if severity else None},
        )
        if breach is not None:
            title = f"违反信用承诺（{severity.label if severity else ''}）：{current.item.name}"
            await notify(
                tx,
                [current.subject],
                NoticeKind.NEW_ADVERSE_RECORD,
                title,
                subject=current.subject,
                ref=breach["uid"],
                body=reason,
            )
            await notify_watchers(
                tx, [current.subject], NoticeKind.NEW_ADVERSE_RECORD, title, ref=breach["uid"]
            )
        return Commitment.of(updated)

    return await db.write_transaction(work)


async def commitments_of(
    db: Database,
    subject: str,
    *,
    status: CommitmentStatus | None = None,
    offered_by: str | None = None,
) -> list[Commitment]:
    """An enterprise's commitments, newest first; optionally one status or one offerer's."""
    found = await db.read(
        "MATCH (c:Commitment)-[:HAS_SUBJECT]->(s:Enterprise {uscc: $subject}) "
        "WHERE $status IS NULL OR c.status = $status "
        "MATCH (c)-[:FOR_ITEM]->(i:CommitmentItem)-[:OFFERED_BY]->(o) "
        "WHERE $by IS NULL OR o.code = $by "
        "WITH c, i, o, s ORDER BY c.madeOn DESC, c.id "
        "RETURN properties(c) AS c, properties(i) AS i, o.code AS by, o.name AS byName, "
        "CASE WHEN o:Association THEN 'ASSOCIATION' ELSE 'DEPARTMENT' END AS byKind, "
        "s.uscc AS subject, s.name AS subjectName",
        {
            "subject": subject,
            "status": status.value if status else None,
            "by": offered_by,
        },
    )
    return [Commitment.of(row) for row in found]
