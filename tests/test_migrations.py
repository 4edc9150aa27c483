"""Schema migrations are ordered, idempotent and tamper-evident."""

from __future__ import annotations

import pytest

from graph.database import Database
from graph.migrations import MIGRATIONS, MigrationChanged, applied_migrations, migrate


async def test_all_migrations_are_applied_and_rerunning_changes_nothing(db: Database) -> None:
    assert set(await applied_migrations(db)) == {m.id for m in MIGRATIONS}
    assert await migrate(db) == []


async def test_natural_keys_are_unique(db: Database) -> None:
    rows = await db.read(
        "SHOW CONSTRAINTS YIELD type, labelsOrTypes, properties "
        "WHERE type = 'UNIQUENESS' RETURN labelsOrTypes[0] AS label, properties[0] AS prop"
    )
    keys = {(row["label"], row["prop"]) for row in rows}
    assert {
        ("Enterprise", "uscc"),
        ("Person", "key"),
        ("Record", "uid"),
        ("Department", "code"),
        ("ListEntry", "id"),
        ("Measure", "code"),
        ("Sanction", "id"),
    } <= keys


async def test_enterprise_names_have_a_cjk_full_text_index(db: Database) -> None:
    rows = await db.read(
        "SHOW FULLTEXT INDEXES YIELD name, options, state "
        "WHERE name = 'enterprise_name_fulltext' RETURN options, state"
    )
    [row] = rows
    assert row["state"] == "ONLINE"
    assert row["options"]["indexConfig"]["fulltext.analyzer"] == "cjk"


async def test_an_applied_migration_that_changed_is_refused(db: Database) -> None:
    await db.write("MATCH (m:Migration {id: '0002'}) SET m.checksum = 'edited-later'")
    try:
        with pytest.raises(MigrationChanged, match="0002"):
            await migrate(db)
    finally:
        await db.write(
            "MATCH (m:Migration {id: '0002'}) SET m.checksum = $c",
            {"c": MIGRATIONS[1].checksum},
        )
