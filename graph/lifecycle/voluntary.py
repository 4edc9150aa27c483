"""自愿注册 (policy 五(三)): information an enterprise registers itself, and its verification.

An enterprise registers certificates, contract performance or public-welfare activity
(`VoluntaryKind`) together with a truthfulness commitment: an explicit ``truthful = true`` and the
statement text, both stored. The item starts 未核实 (UNVERIFIED); a department or a credit agency
checks it and marks it VERIFIED or REJECTED with a note, and who verified is stored with it.

Only verified items count: `verified_items` is what evaluation and report code read, and a
verification makes the item a credit record of kind VOLUNTARY (provider: the verifier), so it
appears with the enterprise's other records and in its report; when the enterprise changes a
verified item, that record is revoked until the new version is verified in its turn. Everything
shown to people carries the verification state and a Chinese label, so an unverified item always
reads 「未核实(企业自愿填报)」.

**Changes make versions.** An item is ``(:VoluntaryItem {key, version, id = key#vN, current})``.
When the enterprise changes it — whatever its state — a new version is created, UNVERIFIED again
and needing its own verification, linked ``(new)-[:SUPERSEDES]->(old)``; the old version keeps its
verification as history but is no longer current and no longer counts. So a verified item is
never silently changed: what a verifier checked stays exactly as checked, and a verifier acting
on an outdated version is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

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
from graph.lifecycle.versions import create_decision_record
from graph.model import RecordKind, VerificationStatus, VoluntaryKind

VERIFICATION_LABELS: Final = {
    VerificationStatus.UNVERIFIED: "未核实(企业自愿填报)",
    VerificationStatus.VERIFIED: "已核实",
    VerificationStatus.REJECTED: "核实未通过",
}
"""How each state reads wherever an item is shown: unverified items say they are self-reported."""

_EDITORS: Final = ("ENTERPRISE", ADMIN_KIND)


def verification_label(status: VerificationStatus) -> str:
    """The label people read next to an item."""
    return VERIFICATION_LABELS[status]


class MissingTruthfulnessCommitment(MissingRequirement):
    """Voluntary information is accepted only with the enterprise's truthfulness commitment."""

    def __init__(self) -> None:
        super().__init__(
            "自愿注册须作出真实性承诺：truthful 须为 true 并提交承诺声明 statement "
            "(voluntary registration needs the truthfulness commitment: truthful = true and "
            "the statement text)"
        )


class AlreadyVerified(WrongState):
    """An item is verified once; a changed item is a new version verified on its own."""

    def __init__(self, item: str, status: VerificationStatus) -> None:
        super().__init__(
            f"自愿注册信息 {item} 已{status.label}，不能再次核实 "
            "(this version has already been verified or rejected)"
        )


class OutdatedVersion(WrongState):
    """Only the current version of an item is verified or changed."""

    def __init__(self, item: str) -> None:
        super().__init__(
            f"{item} 不是该信息的现行版本，企业已更新 (this is not the current version: the "
            "enterprise has changed the item since; verify the current version)"
        )


@dataclass(frozen=True)
class VoluntaryItem:
    """One version of a voluntarily registered item."""

    id: str
    key: str
    version: int
    current: bool
    kind: VoluntaryKind
    title: str
    detail: str
    evidence: str | None
    registered_on: date
    registered_by: str
    truthful: bool
    statement: str
    statement_hash: str
    verification: VerificationStatus
    verified_by: str | None
    verified_by_name: str | None
    verified_by_kind: str | None
    verified_on: date | None
    verification_note: str | None
    subject: str
    subject_name: str | None

    @property
    def verification_label(self) -> str:
        """「未核实(企业自愿填报)」, 「已核实」 or 「核实未通过」."""
        return verification_label(self.verification)

    @property
    def counts(self) -> bool:
        """Whether evaluation and reports may use it: the current version, verified."""
        return self.current and self.verification is VerificationStatus.VERIFIED

    @classmethod
    def of(cls, row: dict[str, Any]) -> VoluntaryItem:
        """From ``{v: properties(item), subject, subjectName}``."""
        v = row["v"]
        return cls(
            id=v["id"],
            key=v["key"],
            version=int(v["version"]),
            current=bool(v["current"]),
            kind=VoluntaryKind.of(v["kind"]),
            title=v["title"],
            detail=v["detail"],
            evidence=v.get("evidence"),
            registered_on=v["registeredOn"].to_native(),
            registered_by=v["registeredBy"],
            truthful=bool(v["truthful"]),
            statement=v["statement"],
            statement_hash=v["statementHash"],
            verification=VerificationStatus.of(v["verification"]),
            verified_by=v.get("verifiedBy"),
            verified_by_name=v.get("verifiedByName"),
            verified_by_kind=v.get("verifiedByKind"),
            verified_on=v["verifiedOn"].to_native() if v.get("verifiedOn") else None,
            verification_note=v.get("verificationNote"),
            subject=row["subject"],
            subject_name=row["subjectName"],
        )


_RETURN = (
    "MATCH (v)-[:HAS_SUBJECT]->(s:Enterprise) "
    "RETURN properties(v) AS v, elementId(v) AS element, s.uscc AS subject, "
    "s.name AS subjectName"
)


def _truthfulness(truthful: bool | None, statement: str | None) -> str:
    # Only an explicit true counts: a missing or false answer is no commitment at all.
    if truthful is not True or not (statement or "").strip():
        raise MissingTruthfulnessCommitment()
    return required_text("statement", statement, max_length=2000)


def _may_edit(actor: Actor, subject: str) -> None:
    if actor.org_kind not in _EDITORS or (
        actor.org_kind == "ENTERPRISE" and actor.org_code != subject
    ):
        raise NotResponsible(
            "自愿注册信息只能由市场主体本身填报或更新 "
            "(only the enterprise itself registers or changes its voluntary information)"
        )


async def register(
    db: Database,
    actor: Actor,
    *,
    subject: str,
    kind: VoluntaryKind,
    title: str,
    detail: str,
    evidence: str | None,
    truthful: bool | None,
    statement: str | None,
    today: date,
) -> VoluntaryItem:
    """Register an item for `subject` (the enterprise itself, or the credit office for it)."""
    code = subject.strip().upper()
    promise = _truthfulness(truthful, statement)
    item_title = required_text("title", title, max_length=200)
    item_detail = required_text("detail", detail, max_length=5000)
    item_evidence = (evidence or "").strip() or None
    _may_edit(actor, code)

    async def work(tx: neo4j.AsyncManagedTransaction) -> VoluntaryItem:
        key = new_id("VOL")
        created = await single(
            tx,
            "MATCH (s:Enterprise {uscc: $subject}) "
            "CREATE (v:VoluntaryItem {id: $key + '#v1', key: $key, version: 1, current: true, "
            "kind: $kind, title: $title, detail: $detail, evidence: $evidence, "
            "registeredOn: date($today), registeredBy: $by, registeredBySubject: $who, "
            "truthful: true, statement: $statement, statementHash: $hash, "
            "verification: $unverified, subjectCode: $subject})-[:HAS_SUBJECT]->(s) "
            "WITH v " + _RETURN,
            {
                "subject": code,
                "key": key,
                "kind": kind.value,
                "title": item_title,
                "detail": item_detail,
                "evidence": item_evidence,
                "today": today.isoformat(),
                "by": actor.org_code or ADMIN_KIND,
                "who": actor.subject,
                "statement": promise,
                "hash": text_hash(promise),
                "unverified": VerificationStatus.UNVERIFIED.value,
            },
        )
        if created is None:
            raise NotFound("市场主体", code)
        await add_event(
            tx,
            actor,
            "VOLUNTARY_REGISTERED",
            [created["element"]],
            today=today,
            to_state=VerificationStatus.UNVERIFIED.value,
            detail={"kind": kind.value},
        )
        return VoluntaryItem.of(created)

    return await db.write_transaction(work)


async def amend(
    db: Database,
    actor: Actor,
    item_id: str,
    *,
    title: str | None,
    detail: str | None,
    evidence: str | None,
    truthful: bool | None,
    statement: str | None,
    today: date,
) -> VoluntaryItem:
    """Change an item: a new, unverified version with a fresh truthfulness commitment.

    `item_id` names the current version (``key#vN``); fields left None keep their value.
    """
    promise = _truthfulness(truthful, statement)
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = required_text("title", title, max_length=200)
    if detail is not None:
        changes["detail"] = required_text("detail", detail, max_length=5000)
    if evidence is not None:
        changes["evidence"] = evidence.strip() or None
    if not changes:
        raise InvalidInput(
            "title", "没有要更新的内容 (give at least one of title, detail, evidence)"
        )

    async def work(tx: neo4j.AsyncManagedTransaction) -> VoluntaryItem:
        found = await single(
            tx, "MATCH (v:VoluntaryItem {id: $id}) WITH v " + _RETURN, {"id": item_id}
        )
        if found is None:
            raise NotFound("自愿注册信息", item_id)
        old = VoluntaryItem.of(found)
        _may_edit(actor, old.subject)
        if not old.current:
            raise OutdatedVersion(item_id)
        created = await single(
            tx,
            # Copied field by field rather than with properties(old): the new version must
            # never hold the old version's id, even for a moment (its unique constraint).
            "MATCH (old:VoluntaryItem {id: $id}) "
            "CREATE (v:VoluntaryItem {id: $newId, key: old.key, version: old.version + 1, "
            "current: true, kind: old.kind, title: old.title, detail: old.detail, "
            "evidence: old.evidence, subjectCode: old.subjectCode, registeredOn: date($today), "
            "registeredBy: $by, registeredBySubject: $who, truthful: true, "
            "statement: $statement, statementHash: $hash, verification: $unverified}) "
            "SET v += $changes "
            "SET old.current = false "
            "CREATE (v)-[:SUPERSEDES]->(old) "
            "WITH old, v MATCH (old)-[:HAS_SUBJECT]->(s) CREATE (v)-[:HAS_SUBJECT]->(s) "
            "WITH v " + _RETURN,
            {
                "id": item_id,
                "newId": f"{old.key}#v{old.version + 1}",
                "changes": changes,
                "today": today.isoformat(),
                "by": actor.org_code or ADMIN_KIND,
                "who": actor.subject,
                "statement": promise,
                "hash": text_hash(promise),
                "unverified": VerificationStatus.UNVERIFIED.value,
            },
        )
        assert created is not None
        revoked = await single(
            tx,
            "MATCH (:VoluntaryItem {id: $id})-[:RESULTED_IN]->(r:Record {current: true}) "
            "WHERE r.status = 'EFFECTIVE' SET r.status = 'REVOKED', r.revokedOn = date($today) "
            "RETURN elementId(r) AS element",
            {"id": item_id, "today": today.isoformat()},
        )
        await add_event(
            tx,
            actor,
            "VOLUNTARY_CHANGED",
            [created["element"], found["element"], *([revoked["element"]] if revoked else [])],
            today=today,
            from_state=old.verification.value,
            to_state=VerificationStatus.UNVERIFIED.value,
            reason="企业更新自愿注册信息，新版本待核实 (changed by the enterprise: a new version)",
            detail={"previous": item_id, "changed": sorted(changes)},
        )
        return VoluntaryItem.of(created)

    return await db.write_transaction(work)


async def verify(
    db: Database,
    actor: Actor,
    verifier: str | None,
    item_id: str,
    *,
    outcome: VerificationStatus,
    note: str,
    today: date,
) -> VoluntaryItem:
    """Mark the current version of an item VERIFIED or REJECTED, once, with a note.

    `verifier` is the department or credit agency checking it (None: the credit office itself).
    """
    if outcome is VerificationStatus.UNVERIFIED:
        raise InvalidInput("outcome", "VERIFIED 或 REJECTED (verified or rejected)")
    reason = required_text("note", note, max_length=2000)

    async def work(tx: neo4j.AsyncManagedTransaction) -> VoluntaryItem:
        name = "信用管理部门"
        kind = ADMIN_KIND
        if verifier is not None:
            org = await single(
                tx,
                "MATCH (o) WHERE (o:Department OR o:CreditAgency) AND o.code = $code "
                "RETURN o.name AS name, "
                "CASE WHEN o:Department THEN 'DEPARTMENT' ELSE 'CREDIT_AGENCY' END AS kind",
                {"code": verifier},
            )
            if org is None:
                raise NotFound("核实单位（部门或信用服务机构）", verifier)
            name, kind = org["name"], org["kind"]
        found = await single(
            tx, "MATCH (v:VoluntaryItem {id: $id}) WITH v " + _RETURN, {"id": item_id}
        )
        if found is None:
            raise NotFound("自愿注册信息", item_id)
        item = VoluntaryItem.of(found)
        if not item.current:
            raise OutdatedVersion(item_id)
        if item.verification is not VerificationStatus.UNVERIFIED:
            raise AlreadyVerified(item_id, item.verification)
        updated = await single(
            tx,
            "MATCH (v:VoluntaryItem {id: $id}) SET v.verification = $outcome, "
            "v.verifiedBy = $by, v.verifiedByName = $name, v.verifiedByKind = $kind, "
            "v.verifiedBySubject = $who, v.verifiedOn = date($today), v.verificationNote = $note "
            "WITH v " + _RETURN,
            {
                "id": item_id,
                "outcome": outcome.value,
                "by": verifier or ADMIN_KIND,
                "name": name,
                "kind": kind,
                "who": actor.subject,
                "today": today.isoformat(),
                "note": reason,
            },
        )
        assert updated is not None
        targets = [updated["element"]]
        if outcome is VerificationStatus.VERIFIED:
            record = (
                await create_decision_record(
                    tx,
                    kind=RecordKind.VOLUNTARY,
                    provider=verifier or ADMIN_KIND,
                    provider_name=name,
                    document_number=f"{item.key}-{item.version}",
                    subject=item.subject,
                    subject_name=item.subject_name,
                    title=f"{item.kind.label}：{item.title}（{verification_label(outcome)}）",
                    content=item.detail,
                    severity=None,
                    decided_on=today,
                    valid_to=None,
                    actor=actor,
                )
                if verifier is not None
                else None
            )
            if record is not None:
                await tx.run(
                    "MATCH (v:VoluntaryItem {id: $id}), (r:Record {uid: $uid}) "
                    "CREATE (v)-[:RESULTED_IN]->(r)",
                    {"id": item_id, "uid": record["uid"]},
                )
                targets.append(record["element"])
        await add_event(
            tx,
            actor,
            "VOLUNTARY_VERIFIED",
            targets,
            today=today,
            from_state=VerificationStatus.UNVERIFIED.value,
            to_state=outcome.value,
            reason=reason,
            detail={"verifier": verifier or ADMIN_KIND},
        )
        return VoluntaryItem.of(updated)

    return await db.write_transaction(work)


async def items_of(
    db: Database,
    subject: str,
    *,
    include_history: bool = False,
    statuses: list[VerificationStatus] | None = None,
) -> list[VoluntaryItem]:
    """An enterprise's items (current versions unless `include_history`), newest first."""
    found = await db.read(
        "MATCH (v:VoluntaryItem)-[:HAS_SUBJECT]->(s:Enterprise {uscc: $subject}) "
        "WHERE ($history OR v.current) AND ($statuses IS NULL OR v.verification IN $statuses) "
        "WITH v, s ORDER BY v.registeredOn DESC, v.key, v.version DESC "
        "RETURN properties(v) AS v, s.uscc AS subject, s.name AS subjectName",
        {
            "subject": subject,
            "history": include_history,
            "statuses": None if statuses is None else [s.value for s in statuses],
        },
    )
    return [VoluntaryItem.of(row) for row in found]


async def verified_items(db: Database, uscc: str) -> list[VoluntaryItem]:
    """The items that count in evaluation and reports: current versions, verified.

    Evaluation and report code read voluntary information only through this function, so an
    unverified, rejected or since-changed item can never lift a grade or appear in a report.
    """
    return await items_of(db, uscc.strip().upper(), statuses=[VerificationStatus.VERIFIED])
