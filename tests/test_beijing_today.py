"""One notion of "today": the Beijing date, passed to Cypher as a parameter.

At 00:30 Beijing time it is still the previous day in UTC, the server's ``date()``. A record
first published that day, a black-list entry whose period ended the day before: readers (the
evaluation, the contagion signal, the hub through its kernel clock) judge both on the Beijing
date they are given, never on the server's clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from graph.database import Database
from graph.evaluation.facts import Fact, database_runner, gather
from graph.lifecycle.base import CHINA_TIME, china_today
from graph.model import ListEntryStatus, ListType, RecordKind, RecordStatus, SeverityTier
from graph.publication import black_list_entry_in_force, record_published
from graph.risk.contagion import find_contagion
from graph.risk.thresholds import load_thresholds
from hub.app import GraphQLApp

DAY = date(2026, 6, 1)
HALF_PAST_MIDNIGHT = datetime.combine(DAY, time(0, 30), tzinfo=CHINA_TIME)
SUBJECT = "91410481MA0BJT0001"
RELATED = "91410481MA0BJT0002"
PERSON = "beijing-today-person"


def test_half_past_midnight_in_beijing_is_already_the_new_day() -> None:
    assert HALF_PAST_MIDNIGHT.astimezone(UTC).date() == DAY - timedelta(days=1)
    assert china_today(HALF_PAST_MIDNIGHT) == DAY
    assert china_today(HALF_PAST_MIDNIGHT.astimezone(UTC)) == DAY


def test_no_named_predicate_reads_the_server_clock() -> None:
    from hub.api.types import _BAN_IN_FORCE, IN_WINDOW

    for text in (
        record_published("r", "$today"),
        black_list_entry_in_force("l", "$today"),
        IN_WINDOW,
        _BAN_IN_FORCE,
    ):
        assert "date()" not in text


@pytest.fixture
async def subjects(db: Database) -> AsyncIterator[None]:
    """An enterprise with a penalty decided (and published) on DAY, and a related enterprise
    whose black-list entry ended the day before DAY; removed afterwards."""
    await db.write(
        "CREATE (e:Enterprise {uscc: $subject, name: '北京时间测试甲公司', status: 'ACTIVE'}) "
        "CREATE (o:Enterprise {uscc: $related, name: '北京时间测试乙公司', status: 'ACTIVE'}) "
        "CREATE (p:Person {key: $person, nameMasked: '张*'}) "
        "CREATE (p)-[:LEGAL_REPRESENTATIVE_OF]->(e), (p)-[:LEGAL_REPRESENTATIVE_OF]->(o) "
        "CREATE (r:Record {uid: 'BJT|1#v1', key: 'BJT|1', version: 1, current: true, "
        "  kind: $penalty, severity: $general, status: $effective, title: '北京时间测试处罚', "
        "  decisionDate: $day, publishFrom: $day, publishUntil: $until}) "
        "CREATE (r)-[:HAS_SUBJECT]->(e) "
        "CREATE (l:ListEntry {id: 'BJT-LE-1', listType: $black, listName: '测试黑名单', "
        "  status: $active, effectiveFrom: $from, effectiveUntil: $ended}) "
        "CREATE (l)-[:HAS_SUBJECT]->(o)",
        {
            "subject": SUBJECT,
            "related": RELATED,
            "person": PERSON,
            "penalty": RecordKind.PENALTY.value,
            "general": SeverityTier.GENERAL.value,
            "effective": RecordStatus.EFFECTIVE.value,
            "black": ListType.BLACK.value,
            "active": ListEntryStatus.ACTIVE.value,
            "day": DAY,
            "until": date(2027, 6, 1),
            "from": date(2024, 6, 1),
            "ended": DAY - timedelta(days=1),
        },
    )
    yield
    await db.write(
        "MATCH (n) WHERE n.uscc IN [$subject, $related] OR n.key = $person "
        "OR n.uid = 'BJT|1#v1' OR n.id = 'BJT-LE-1' DETACH DELETE n",
        {"subject": SUBJECT, "related": RELATED, "person": PERSON},
    )


async def _facts(db: Database, today: date) -> set[Fact]:
    found = await gather(
        database_runner(db),
        [SUBJECT],
        today=today,
        max_sources=5,
        controlling_share=0.5,
        report_years=3,
    )
    return set(found[SUBJECT].facts)


async def test_evaluation_counts_a_record_published_today_at_half_past_midnight(
    db: Database, subjects: None
) -> None:
    today = china_today(HALF_PAST_MIDNIGHT)
    assert Fact.PENALTIES_GENERAL in await _facts(db, today)
    # What the server's UTC date() would have judged on: the day before publication.
    utc_day = HALF_PAST_MIDNIGHT.astimezone(UTC).date()
    assert Fact.PENALTIES_GENERAL not in await _facts(db, utc_day)


async def test_contagion_ignores_a_black_list_entry_past_its_period(
    db: Database, subjects: None
) -> None:
    thresholds = load_thresholds()
    today = china_today(HALF_PAST_MIDNIGHT)
    causes = {f.subject for f in await find_contagion(db, thresholds, today)}
    assert SUBJECT not in causes, "the entry ended yesterday (Beijing): it spreads no risk"
    # On its last day (the UTC date at that moment) it was still in force.
    yesterday = HALF_PAST_MIDNIGHT.astimezone(UTC).date()
    causes = {f.subject for f in await find_contagion(db, thresholds, yesterday)}
    assert SUBJECT in causes


async def _public_records(hub_app: Starlette, day: date) -> list[dict[str, Any]]:
    """The subject's records as the public sees them through a GraphQL endpoint whose clock
    says `day` (the hub's kernel clock: the Beijing date each request is judged on)."""
    endpoint = GraphQLApp(replace(hub_app.state.kernel, clock=lambda: day))
    transport = httpx.ASGITransport(app=endpoint)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        response = await http.post(
            "/",
            json={
                "query": "query($u: String!) { enterprise(uscc: $u) { records { edges "
                "{ node { id inPublicationWindow } } } } }",
                "variables": {"u": SUBJECT},
            },
        )
    body = response.json()
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["enterprise"]["records"]["edges"]]


async def test_the_hub_judges_publication_on_its_beijing_clock(
    hub_app: Starlette, subjects: None
) -> None:
    today = china_today(HALF_PAST_MIDNIGHT)
    assert await _public_records(hub_app, today) == [
        {"id": "BJT|1#v1", "inPublicationWindow": True}
    ]
    # Judged on the UTC date of that moment, the record is not yet published: not public.
    assert await _public_records(hub_app, HALF_PAST_MIDNIGHT.astimezone(UTC).date()) == []
