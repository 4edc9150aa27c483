"""Specifications of rules issue 16 found broken: each test failed on the code before its fix."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from authz import audit
from authz.identity import PUBLIC
from graph.database import Connection, Database
from hub.cli import main
from tests.processes import hub_env

# --- 7. Access logs are kept at least five years (DOMAIN.md) ----------------------------------


def test_the_legal_minimum_retention_covers_any_five_years() -> None:
    # From every day of 2000-2039, the minimum reaches five calendar years later (29 February
    # counts as 1 March), and no day less would.
    day, longest = date(2000, 1, 1), 0
    while day.year < 2040:
        later = date(day.year + 5, 3, 1) if (day.month, day.day) == (2, 29) else None
        later = later or day.replace(year=day.year + 5)
        longest = max(longest, (later - day).days)
        day += timedelta(days=1)
    assert audit.MIN_RETENTION.days == longest
    assert audit.RETENTION >= audit.MIN_RETENTION


async def test_prune_refuses_a_retention_below_five_years(db: Database) -> None:
    four_years_ago = datetime.now(UTC) - timedelta(days=4 * 365)
    await audit.append(db, audit.AuditEvent("kept-4y", PUBLIC, "query"), now=four_years_ago)
    with pytest.raises(audit.RetentionTooShort, match="5"):
        await audit.prune(db, retain=timedelta(days=365))
    rows = await db.read("MATCH (e:AuditEntry {requestId: 'kept-4y'}) RETURN count(e) AS n")
    assert rows[0]["n"] == 1
    assert (await audit.verify(db)).ok


def test_credithub_audit_prune_refuses_fewer_days_than_five_years(
    db: Database, neo4j_connection: Connection, tmp_path: Path
) -> None:
    env = hub_env(neo4j_connection, tmp_path)
    result = CliRunner().invoke(main, ["audit", "prune", "--days", "365"], env=env)
    assert result.exit_code != 0
    assert "1827" in result.output and "5" in result.output
    assert "Deleted" not in result.output
