"""Formats a city edits and reads, checked (issue 15): the collection catalogue and the hub's
settings are typed (pydantic) and refused naming the file, entry and field or the variable;
the credit report puts every new feed kind in the section DOMAIN.md gives it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from authz.identity import PUBLIC
from graph.model import RecordKind
from hub.guards.rate_limit import RateLimitConfig
from hub.reports.content import build_content
from hub.reports.data import ReportData
from hub.reports.edition import ReportEdition
from hub.settings import Settings, SettingsError
from loaders.collection import (
    DEFAULT_COLLECTION_CATALOGUE,
    CollectionCatalogueError,
    load_collection_catalogue,
)


# -- the collection catalogue ---------------------------------------------------------------
def _catalogue(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "采集目录.toml"
    path.write_text('version = "2026-12-01"\n' + body, encoding="utf-8")
    return path


def test_the_packaged_catalogue_is_valid() -> None:
    catalogue = load_collection_catalogue(DEFAULT_COLLECTION_CATALOGUE)
    assert catalogue.version


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        ('kind = "penalties"\nfrom = ["DEPARTMENT:*"]', "kind", "未知的报送类别"),
        ('kind = "penalty"\nfrom = []', "from", "at least 1"),
        ('kind = "penalty"\nfrom = ["BANK:*"]', "from", "DEPARTMENT:"),
        ('kind = "penalty"\nfrom = ["DEPARTMENT:*"]\nfields = ["nonsense"]', None, "nonsense"),
        ('kind = "penalty"\nfrom = ["DEPARTMENT:*"]\nrelay = "yes please"', "relay", "bool"),
        ('kind = "penalty"\nfrom = ["DEPARTMENT:*"]\nsuppliers = ["x"]', "suppliers", "Extra"),
    ],
)
def test_a_bad_catalogue_entry_is_refused_naming_file_entry_and_field(
    tmp_path: Path, entry: str, field: str | None, words: str
) -> None:
    good = '[[supply]]\nkind = "license"\nfrom = ["DEPARTMENT:*"]\n\n'
    path = _catalogue(tmp_path, good + "[[supply]]\n" + entry + "\n")
    with pytest.raises(CollectionCatalogueError) as refused:
        load_collection_catalogue(path)
    [problem] = refused.value.problems
    assert problem.startswith("采集目录.toml, 第2个 [[supply]] (supply #2)"), problem
    if field is not None:
        assert f"字段 {field} (field {field})" in problem, problem
    assert words in problem, problem


def test_every_bad_entry_is_reported_at_once_and_a_misspelt_table_too(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    entries = (
        '[[supply]]\nkind = "x"\nfrom = ["DEPARTMENT:*"]\n'
        '[[supply]]\nkind = "penalty"\nfrom = ["ASSOCIATION:"]\n'
    )
    path.write_text(entries.replace("supply", "suply"), encoding="utf-8")
    with pytest.raises(CollectionCatalogueError) as refused:
        load_collection_catalogue(path)
    assert [p.split(":")[0] for p in refused.value.problems] == [
        "c.toml, 字段 supply (field supply)",
        "c.toml, 字段 suply (field suply)",
    ]
    path.write_text(entries, encoding="utf-8")
    with pytest.raises(CollectionCatalogueError) as refused:
        load_collection_catalogue(path)
    assert [p.split(":")[0] for p in refused.value.problems] == [
        "c.toml, 第1个 [[supply]] (supply #1), 字段 kind (field kind)",
        "c.toml, 第2个 [[supply]] (supply #2), 字段 from (field from)",
    ]


# -- the hub's settings ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CREDITHUB_PORT", "eighty"),
        ("CREDITHUB_PORT", "70000"),
        ("CREDITHUB_NEO4J_PORT", "0"),
        ("CREDITHUB_PRODUCTION", "maybe"),
        ("CREDITHUB_RATE_ORG_PER_MINUTE", "-5"),
        ("CREDITHUB_NEO4J_HEAP", "lots"),
        ("NEO4J_URI", "http://127.0.0.1:7474"),
        ("CREDITHUB_JWKS_URL", "ftp://idp.example/jwks"),
        ("CREDITHUB_JWT_SECRET", "too-short"),
    ],
)
def test_a_bad_environment_value_is_refused_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({variable: value})
    message = str(refused.value)
    assert variable in message
    if variable == "CREDITHUB_JWT_SECRET":
        assert value not in message, "a secret is never echoed"


def test_several_bad_values_are_named_together_and_unrelated_variables_ignored() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"CREDITHUB_PORT": "x", "CREDITHUB_PRODUCTION": "2", "PATH": "/bin"})
    message = str(refused.value)
    assert "CREDITHUB_PORT" in message and "CREDITHUB_PRODUCTION" in message
    assert "PATH" not in message


def test_good_values_are_read_and_settings_stay_constructible_by_keyword() -> None:
    settings = Settings.from_env(
        {
            "CREDITHUB_HOME": "/tmp/somewhere",
            "CREDITHUB_PORT": "8795",
            "CREDITHUB_NEO4J_PORT": "17795",
            "CREDITHUB_NEO4J_HEAP": "2G",
            "CREDITHUB_PRODUCTION": "TRUE",
            "CREDITHUB_RATE_PUBLIC_PER_MINUTE": "0",
            "NEO4J_URI": "neo4j+s://cluster.example:7687",
            "NEO4J_PASSWORD": " spaced secret ",
            "CREDITHUB_HOST": "",  # empty: the default
        }
    )
    assert settings == Settings(
        home=Path("/tmp/somewhere"),
        port=8795,
        local_bolt_port=17795,
        local_heap="2G",
        production=True,
        rate_limits=RateLimitConfig(public_per_minute=0),
        neo4j_uri="neo4j+s://cluster.example:7687",
        neo4j_password=" spaced secret ",
    )
    assert Settings.from_env({}) == Settings()


# -- the credit report's sections for the new kinds --------------------------------------------
def _record(kind: RecordKind, number: str) -> dict[str, Any]:
    return {
        "kind": kind.value,
        "title": f"{kind.label} {number}",
        "documentNumber": number,
        "decisionDate": "2026-10-01",
        "status": "EFFECTIVE",
        "publishFrom": "2026-10-02",
        "publishUntil": "2027-10-01",
        "inPublicationWindow": True,
    }


EXPECTED_SECTIONS = {
    RecordKind.REWARD: ("诚实守信", "行政奖励"),
    RecordKind.HONOR: ("诚实守信", "表彰奖励"),
    RecordKind.FALSE_LITIGATION: ("严重失信", "虚假诉讼失信人"),
    RecordKind.ABNORMAL_OPERATION: ("经营异常", "经营异常名录"),
    RecordKind.COERCION: ("行政管理", "行政强制"),
    RecordKind.CONFIRMATION: ("行政管理", "行政确认"),
    RecordKind.LEVY: ("行政管理", "行政征收"),
    RecordKind.BENEFIT: ("行政管理", "行政给付"),
    RecordKind.ADJUDICATION: ("行政管理", "行政裁决"),
    RecordKind.COMPENSATION: ("行政管理", "行政补偿"),
    RecordKind.SUPERVISION_CHECK: ("行政管理", "行政监督检查"),
}


def test_the_report_puts_each_new_kind_in_its_section() -> None:
    records = [_record(kind, f"NO-{i}") for i, kind in enumerate(EXPECTED_SECTIONS)]
    data = ReportData(
        enterprise={"uscc": "91410481MA00000000", "name": "测试企业", "status": "ACTIVE"},
        records=records,
        list_entries=[],
        edition=ReportEdition.PUBLIC,
    )
    content = build_content(
        data,
        number="WG-20261201-0000000001",
        generated_at=datetime(2026, 12, 1, tzinfo=UTC),
        cutoff=date(2026, 12, 1),
        consumer=PUBLIC,
        catalogue_version="test",
    )
    placed = {
        item["fields"][0][1]: (section["title"], group["title"])
        for section in content["sections"]
        for group in section["groups"]
        for item in group["items"]
        if item["fields"] and item["fields"][0][0] == "信息类别"
    }
    assert placed == {kind.label: where for kind, where in EXPECTED_SECTIONS.items()}
    other = next(s for s in content["sections"] if s["title"] == "其他")
    assert other["groups"] == [] or all(g["items"] == [] for g in other["groups"])
