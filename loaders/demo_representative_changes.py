"""Demo data: changes of legal representative (法定代表人变更), for the risk signal that looks for
a change right after a penalty (graph/risk/representative_change.py).

The demo network is generated as it stands today, so it has no registration history. This adds
some, in the shape the registration loader writes (loaders/writers/enterprises.py): the
registration before the change as an ``(:EnterpriseRevision)`` — the enterprise's fields, the
``legalRepresentatives`` it had then (person keys), ``replacedAt`` and ``changedOn`` — linked
``(e)-[:PREVIOUS_REVISION]->(rev)``, and the enterprise's ``version`` raised to 2. The current
representative stays who the generator made it; the earlier one is another demo person.

About one enterprise in 200 with a penalty in the last year changed its representative 1–25
days after that penalty (the pattern the signal looks for), and as many enterprises without
penalties changed theirs on an ordinary day (so the signal has something to leave alone). Its own
`random.Random(seed + 3)`, so the rest of the demo data is unchanged; loading twice adds nothing
(an enterprise that already has a revision is skipped).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Final, Protocol

from graph.database import Database

__all__ = ["load_representative_changes", "plan_representative_changes"]

SHARE_AFTER_PENALTY: Final = 1 / 200
LOOKBACK_DAYS: Final = 365


class DemoRows(Protocol):
    """The parts of the generated demo network this module reads (loaders.demo_data.DemoData)."""

    records: list[dict[str, Any]]
    record_enterprise_subjects: list[dict[str, Any]]
    legal_representatives: list[dict[str, Any]]
    persons: list[dict[str, Any]]
    enterprises: list[dict[str, Any]]


def plan_representative_changes(data: DemoRows, seed: int, today: date) -> list[dict[str, Any]]:
    """The changes to add: ``{uscc, previous, changedOn}`` rows, the same for the same data."""
    rng = random.Random(seed + 3)
    current = {row["enterprise"]: row["person"] for row in data.legal_representatives}
    subject_of = {row["record"]: row["enterprise"] for row in data.record_enterprise_subjects}
    since = today - timedelta(days=LOOKBACK_DAYS)
    latest_penalty: dict[str, date] = {}
    for record in data.records:
        if (
            record["kind"] == "PENALTY"
            and record.get("current", True)
            and record.get("status") == "EFFECTIVE"
            and since <= record["decisionDate"] <= today - timedelta(days=1)
            and record["uid"] in subject_of
        ):
            uscc = subject_of[record["uid"]]
            latest_penalty[uscc] = max(
                latest_penalty.get(uscc, record["decisionDate"]), record["decisionDate"]
            )
    penalised = sorted(u for u in latest_penalty if u in current)
    wanted = max(1, round(len(data.enterprises) * SHARE_AFTER_PENALTY)) if penalised else 0
    chosen = rng.sample(penalised, min(wanted, len(penalised)))
    quiet = sorted(
        e["uscc"]
        for e in data.enterprises
        if e["uscc"] in current and e["uscc"] not in latest_penalty and e["status"] == "ACTIVE"
    )
    ordinary = rng.sample(quiet, min(len(chosen), len(quiet)))
    keys: list[str] = [str(p["key"]) for p in data.persons]
    plan: list[dict[str, Any]] = []

    def previous(uscc: str) -> str:
        while True:
            key = keys[rng.randrange(len(keys))]
            if key != current[uscc] or len(keys) == 1:
                return key

    for uscc in chosen:
        changed = min(latest_penalty[uscc] + timedelta(days=rng.randint(1, 25)), today)
        plan.append({"uscc": uscc, "previous": previous(uscc), "changedOn": changed})
    for uscc in ordinary:
        changed = today - timedelta(days=rng.randint(1, LOOKBACK_DAYS))
        plan.append({"uscc": uscc, "previous": previous(uscc), "changedOn": changed})
    return plan


_WRITE: Final = """
UNWIND $rows AS row
MATCH (e:Enterprise {uscc: row.uscc})
WHERE NOT EXISTS { (e)-[:PREVIOUS_REVISION]->() }
CREATE (rev:EnterpriseRevision)
SET rev = properties(e), rev.uscc = e.uscc, rev.version = coalesce(e.version, 1),
    rev.legalRepresentatives = [row.previous], rev.changedOn = row.changedOn,
    rev.replacedAt = datetime({date: row.changedOn, hour: 9, timezone: '+08:00'}),
    rev.replacedByBatch = 'demo-representative-changes'
CREATE (e)-[:PREVIOUS_REVISION]->(rev)
SET e.version = coalesce(e.version, 1) + 1
RETURN count(rev) AS written
"""


async def load_representative_changes(
    db: Database, data: DemoRows, *, seed: int, today: date
) -> int:
    """Write the planned changes; return how many revisions were added now."""
    plan: Sequence[dict[str, Any]] = plan_representative_changes(data, seed, today)
    if not plan:
        return 0
    found = await db.write(_WRITE, {"rows": list(plan)})
    return int(found[0]["written"]) if found else 0
