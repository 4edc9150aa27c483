"""The demo-data generator, checked in pure Python (no database)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date
from typing import Any

import pytest

from graph.identifiers import (
    is_valid_resident_id,
    is_valid_uscc,
    mask_id_number,
    mask_name,
    person_key,
    resident_id_gender,
)
from graph.model import (
    EnterpriseStatus,
    ListEntryStatus,
    ListType,
    MeasureCategory,
    RecordKind,
    RecordStatus,
    RoleKind,
    SanctionStatus,
    SeverityTier,
)
from graph.publication import ADVERSE_KINDS, publication_window
from loaders.demo_data import DemoData, DemoSpec, generate

SECRET = b"test-person-secret"
SPEC = DemoSpec()

Row = dict[str, Any]
# Look members up by value through dicts: LabelledEnum's two-argument __new__ hides the
# by-value call from mypy.
KINDS = {k.value: k for k in RecordKind}
TIERS = {t.value: t for t in SeverityTier}


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(SPEC, SECRET)


def _values(enum: Any) -> set[str]:
    return {member.value for member in enum}


def test_same_spec_and_secret_give_the_same_data(data: DemoData) -> None:
    assert generate(SPEC, SECRET) == data


def test_another_seed_gives_other_data(data: DemoData) -> None:
    other = generate(DemoSpec(seed=SPEC.seed + 1), SECRET)
    assert other.enterprises != data.enterprises


def test_the_secret_changes_person_keys_only(data: DemoData) -> None:
    other = generate(SPEC, b"another-secret")
    assert other.enterprises == data.enterprises
    assert [p["idNumber"] for p in other.persons] == [p["idNumber"] for p in data.persons]
    assert {p["key"] for p in other.persons}.isdisjoint({p["key"] for p in data.persons})


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        generate(SPEC, b"")


def test_sizes_follow_the_spec(data: DemoData) -> None:
    assert len(data.enterprises) == SPEC.enterprises
    assert len(data.persons) == round(SPEC.enterprises * 0.8)
    assert 12 <= len(data.departments) <= 20
    assert len(data.banks) == 5
    assert 4 <= len(data.associations) <= 6
    assert len(data.credit_agencies) == 2
    assert 10 <= len(data.measures) <= 15
    assert 2.0 <= len(data.records) / SPEC.enterprises <= 4.0


@pytest.mark.parametrize("n", [1, 7, 40])
def test_tiny_specs_work(n: int) -> None:
    small = generate(DemoSpec(enterprises=n), SECRET)
    assert len(small.enterprises) == n
    assert len(small.legal_representatives) == n


def test_enterprise_codes_are_valid_and_unique(data: DemoData) -> None:
    codes = [e["uscc"] for e in data.enterprises]
    assert len(set(codes)) == len(codes)
    for e in data.enterprises:
        assert is_valid_uscc(e["uscc"]), e["uscc"]
        assert e["uscc"][:2] == e["category"]
        assert e["uscc"][2:8] == e["region"]
        assert e["region"].startswith("4104")
    categories = Counter(e["category"] for e in data.enterprises)
    assert set(categories) == {"91", "92", "93"}
    assert categories["91"] > categories["92"] > categories["93"]


def test_organisation_codes_are_valid(data: DemoData) -> None:
    expected = {"departments": "11", "banks": "91", "associations": "51", "credit_agencies": "91"}
    for kind, category in expected.items():
        rows: list[Row] = getattr(data, kind)
        for row in rows:
            assert is_valid_uscc(row["code"]), row
            assert row["code"].startswith(category)
    departments = {d["name"] for d in data.departments}
    assert {"舞钢市发展和改革委员会", "舞钢市市场监督管理局", "舞钢市人民法院"} <= departments


def test_enterprise_rows_are_consistent(data: DemoData) -> None:
    names = [e["name"] for e in data.enterprises]
    assert len(set(names)) == len(names)
    statuses = Counter(e["status"] for e in data.enterprises)
    assert set(statuses) <= _values(EnterpriseStatus)
    assert statuses[EnterpriseStatus.ACTIVE.value] > 0.8 * len(names)
    for e in data.enterprises:
        assert isinstance(e["foundedOn"], date)
        assert e["foundedOn"] < SPEC.today
        assert isinstance(e["registeredCapital"], float)
        assert e["registeredCapital"] > 0
        if e["category"] == "92":
            assert e["entityType"] == "个体工商户"
        elif e["category"] == "93":
            assert e["entityType"] == "农民专业合作社"
            assert e["name"].endswith("专业合作社")
        if e["region"] == "410481":
            assert e["address"].startswith("舞钢市")


def test_person_ids_are_valid(data: DemoData) -> None:
    ids = [p["idNumber"] for p in data.persons]
    assert len(set(ids)) == len(ids)
    for p in data.persons:
        assert is_valid_resident_id(p["idNumber"])
        assert p["key"] == person_key(p["idNumber"], SECRET)
        assert p["gender"] == resident_id_gender(p["idNumber"])
        assert p["nameMasked"] == mask_name(p["name"])
        assert p["idMasked"] == mask_id_number(p["idNumber"])
        assert 1955 <= p["birthYear"] <= 2000
        assert p["birthYear"] == int(p["idNumber"][6:10])
    keys = [p["key"] for p in data.persons]
    assert len(set(keys)) == len(keys)


def test_each_enterprise_has_exactly_one_legal_representative(data: DemoData) -> None:
    per_enterprise = Counter(r["enterprise"] for r in data.legal_representatives)
    assert set(per_enterprise) == {e["uscc"] for e in data.enterprises}
    assert set(per_enterprise.values()) == {1}


def test_some_people_represent_several_enterprises(data: DemoData) -> None:
    per_person = Counter(r["person"] for r in data.legal_representatives)
    several = [n for n in per_person.values() if n >= 2]
    assert len(several) >= 0.05 * len(data.persons)
    # Beyond five only for group bosses who also represent their subsidiaries.
    assert sum(1 for n in several if n <= 5) >= 0.9 * len(several)


def test_principals_and_controllers(data: DemoData) -> None:
    per_enterprise = Counter(r["enterprise"] for r in data.principals)
    assert set(per_enterprise.values()) <= {1, 2}
    assert len(per_enterprise) == len(data.enterprises)
    assert {r["title"] for r in data.principals} == {"总经理", "财务负责人", "监事"}
    controlled = Counter(r["enterprise"] for r in data.actual_controllers)
    assert set(controlled.values()) == {1}
    assert len(controlled) > 0.7 * len(data.enterprises)


def test_shareholdings_of_an_enterprise_sum_to_at_most_one(data: DemoData) -> None:
    shares: dict[str, list[float]] = defaultdict(list)
    for row in data.person_shareholdings + data.enterprise_shareholdings:
        assert 0.0 < row["share"] <= 1.0
        shares[row["enterprise"]].append(row["share"])
    assert shares
    for values in shares.values():
        assert math.fsum(values) <= 1.0
        assert sum(values) <= 1.0
        assert sum(reversed(values)) <= 1.0


def _ownership(data: DemoData) -> dict[str, list[str]]:
    owns: dict[str, list[str]] = defaultdict(list)
    for row in data.enterprise_shareholdings:
        owns[row["holder"]].append(row["enterprise"])
    return owns


def test_a_shareholding_cycle_exists(data: DemoData) -> None:
    owns = _ownership(data)
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def has_cycle(node: str) -> bool:
        state[node] = 1
        for child in owns.get(node, []):
            if state.get(child) == 1:
                return True
            if child not in state and has_cycle(child):
                return True
        state[node] = 2
        return False

    assert any(has_cycle(node) for node in list(owns) if node not in state)


def test_ownership_chains_have_several_layers(data: DemoData) -> None:
    owns = _ownership(data)

    def depth(node: str, seen: frozenset[str]) -> int:
        below = [depth(c, seen | {c}) for c in owns.get(node, []) if c not in seen]
        return 1 + max(below, default=0)

    assert max(depth(holder, frozenset({holder})) for holder in owns) >= 3
    assert len(data.enterprise_shareholdings) >= 10


def test_memberships(data: DemoData) -> None:
    codes = {a["code"] for a in data.associations}
    assert 0.2 * len(data.enterprises) <= len(data.memberships) <= 0.4 * len(data.enterprises)
    for row in data.memberships:
        assert row["association"] in codes
        assert isinstance(row["since"], date)


def test_every_record_kind_appears(data: DemoData) -> None:
    # 双随机 results exist only once a task is drawn over graded enterprises, so they come from
    # the supervision process (tests/test_supervision.py), never from generated rows.
    drawn_later = {RecordKind.INSPECTION.value}
    # The other acts of 四(三) and 虚假诉讼失信人 reach the demo city as department feeds
    # (loaders/samples/*-gb18030.csv, tests/test_national_feeds.py), not as generated rows.
    fed_only = {
        kind.value
        for kind in (
            RecordKind.COERCION, RecordKind.CONFIRMATION, RecordKind.LEVY, RecordKind.BENEFIT,
            RecordKind.ADJUDICATION, RecordKind.COMPENSATION, RecordKind.REWARD,
            RecordKind.SUPERVISION_CHECK, RecordKind.FALSE_LITIGATION,
        )
    }  # fmt: skip
    assert {r["kind"] for r in data.records} == _values(RecordKind) - drawn_later - fed_only


def test_records_are_well_formed(data: DemoData) -> None:
    departments = {d["code"]: d["name"] for d in data.departments}
    uids = [r["uid"] for r in data.records]
    assert len(set(uids)) == len(uids)
    for r in data.records:
        kind = KINDS[r["kind"]]
        assert r["uid"] == f"{r['key']}#v{r['version']}"
        assert r["key"] == f"{r['kind']}|{r['issuingAuthorityCode']}|{r['documentNumber']}"
        assert departments[r["issuingAuthorityCode"]] == r["issuingAuthority"]
        assert r["status"] in _values(RecordStatus)
        assert isinstance(r["decisionDate"], date)
        assert date(2021, 1, 1) <= r["decisionDate"] <= SPEC.today
        assert r["validFrom"] == r["decisionDate"]
        if r["validTo"] is not None:
            assert r["validTo"] >= r["decisionDate"]
        if kind in ADVERSE_KINDS:
            assert r["severity"] in _values(SeverityTier)
        else:
            assert r["severity"] is None
        if kind is RecordKind.PENALTY:
            assert isinstance(r["amount"], float)
            assert r["category"] in {
                "警告",
                "罚款",
                "没收违法所得",
                "责令停产停业",
                "暂扣许可证",
                "吊销许可证",
            }
        else:
            assert r["amount"] is None
        if kind is RecordKind.LICENSE:
            assert r["category"] in {"普通", "特许", "认可", "核准", "登记", "其他"}


def test_publication_windows_follow_the_rules(data: DemoData) -> None:
    for r in data.records:
        severity = TIERS[r["severity"]] if r["severity"] else None
        warning = r["category"] == "警告" and r["issuingAuthority"] == "舞钢市市场监督管理局"
        expected = publication_window(
            KINDS[r["kind"]], severity, r["decisionDate"], r["validTo"], warning_only=warning
        )
        assert (r["publishFrom"], r["publishUntil"]) == expected
    unpublished = [r for r in data.records if r["publishFrom"] is None]
    expired = [r for r in data.records if r["publishUntil"] and r["publishUntil"] < SPEC.today]
    assert unpublished
    assert expired


def test_record_subjects_and_providers(data: DemoData) -> None:
    uids = {r["uid"] for r in data.records}
    subjects = [s["record"] for s in data.record_enterprise_subjects + data.record_person_subjects]
    assert sorted(subjects) == sorted(uids)
    assert data.record_person_subjects, "some records concern people"
    assert sorted(p["record"] for p in data.record_providers) == sorted(uids)


def test_record_counts_per_enterprise_are_skewed(data: DemoData) -> None:
    per_enterprise = Counter(s["enterprise"] for s in data.record_enterprise_subjects)
    counts = [per_enterprise.get(e["uscc"], 0) for e in data.enterprises]
    assert sum(1 for c in counts if c <= 1) > 0.25 * len(counts)
    assert max(counts) >= 10


def test_corrected_records_keep_their_history(data: DemoData) -> None:
    by_uid = {r["uid"]: r for r in data.records}
    assert len(data.record_supersedes) >= 3
    for link in data.record_supersedes:
        new, old = by_uid[link["record"]], by_uid[link["previous"]]
        assert new["key"] == old["key"]
        assert (new["version"], old["version"]) == (2, 1)
        assert new["current"] is True
        assert old["current"] is False
        assert old["status"] == RecordStatus.SUPERSEDED.value
    current = Counter(r["key"] for r in data.records if r["current"])
    assert set(current.values()) == {1}


def test_list_entries(data: DemoData) -> None:
    by_type = Counter(e["listType"] for e in data.list_entries)
    n = len(data.enterprises)
    assert 0.02 * n <= by_type[ListType.BLACK.value] <= 0.04 * n
    assert 0.02 * n <= by_type[ListType.RED.value] <= 0.04 * n
    ids = [e["id"] for e in data.list_entries]
    assert len(set(ids)) == len(ids)
    statuses = Counter(e["status"] for e in data.list_entries)
    assert set(statuses) <= _values(ListEntryStatus)
    assert statuses[ListEntryStatus.ACTIVE.value] > 0
    assert statuses[ListEntryStatus.REMOVED.value] > 0
    for e in data.list_entries:
        assert e["decisionDate"] <= SPEC.today
        assert (e["status"] == ListEntryStatus.REMOVED.value) == (e["removedOn"] is not None)
        if e["status"] == ListEntryStatus.ANNOUNCED.value:
            assert e["listType"] == ListType.RED.value
            assert e["effectiveFrom"] > SPEC.today
    assert {s["entry"] for s in data.list_entry_subjects} == set(ids)
    assert {s["entry"] for s in data.list_entry_deciders} == set(ids)


@pytest.mark.parametrize("enterprises", [300, 2000])
def test_every_list_decision_has_its_own_document_number(enterprises: int) -> None:
    # A liability record is keyed by its entry's 文号: two decisions sharing one would make
    # two persons' records (or two entries' records) one uid. 2000 enterprises drew a repeat.
    big = generate(DemoSpec(enterprises=enterprises), SECRET)
    numbers = Counter(e["decisionNumber"] for e in big.list_entries)
    assert [n for n, count in numbers.items() if count > 1] == []
    uids = Counter(r["uid"] for r in big.records)
    assert [u for u, count in uids.items() if count > 1] == []


def test_every_black_entry_has_a_linked_person(data: DemoData) -> None:
    black = {e["id"] for e in data.list_entries if e["listType"] == ListType.BLACK.value}
    linked = {row["entry"] for row in data.linked_persons}
    assert black
    assert black <= linked
    assert linked <= black
    assert {row["role"] for row in data.linked_persons} <= _values(RoleKind)
    # The legal representative is always among them (六(五)).
    representative = {r["enterprise"]: r["person"] for r in data.legal_representatives}
    subject = {s["entry"]: s["enterprise"] for s in data.list_entry_subjects}
    for row in data.linked_persons:
        if row["role"] == RoleKind.LEGAL_REPRESENTATIVE.value:
            assert representative[subject[row["entry"]]] == row["person"]
    assert len(
        {r["entry"] for r in data.linked_persons if r["role"] == "LEGAL_REPRESENTATIVE"}
    ) == len(black)


def test_sanctions_follow_their_list_entries(data: DemoData) -> None:
    entries = {e["id"]: e for e in data.list_entries}
    measures = {m["code"] for m in data.measures}
    assert {m["category"] for m in data.measures} == _values(MeasureCategory)
    under = {row["sanction"]: row["entry"] for row in data.sanction_entries}
    per_entry = Counter(under.values())
    black = [e for e in data.list_entries if e["listType"] == ListType.BLACK.value]
    assert all(1 <= per_entry[e["id"]] <= 3 for e in black)
    for sanction in data.sanctions:
        entry = entries[under[sanction["id"]]]
        assert entry["listType"] == ListType.BLACK.value
        lifted = entry["status"] == ListEntryStatus.REMOVED.value
        expected = SanctionStatus.LIFTED if lifted else SanctionStatus.ACTIVE
        assert sanction["status"] == expected.value
        assert sanction["from"] == entry["effectiveFrom"]
    assert {row["measure"] for row in data.sanction_measures} <= measures
    for kind in ("sanction_measures", "sanction_subjects", "sanction_imposers"):
        rows: list[Row] = getattr(data, kind)
        assert sorted(r["sanction"] for r in rows) == sorted(s["id"] for s in data.sanctions)


def test_relationships_point_at_existing_nodes(data: DemoData) -> None:
    enterprises = {e["uscc"] for e in data.enterprises}
    persons = {p["key"] for p in data.persons}
    departments = {d["code"] for d in data.departments}
    records = {r["uid"] for r in data.records}
    entries = {e["id"] for e in data.list_entries}
    ends = {
        "person": persons,
        "enterprise": enterprises,
        "holder": enterprises,
        "association": {a["code"] for a in data.associations},
        "record": records,
        "previous": records,
        "department": departments,
        "entry": entries,
        "sanction": {s["id"] for s in data.sanctions},
        "measure": {m["code"] for m in data.measures},
    }
    node_kinds = {
        "departments", "banks", "associations", "credit_agencies", "measures", "enterprises",
        "persons", "records", "list_entries", "sanctions",
    }  # fmt: skip
    for kind, count in data.counts().items():
        if kind in node_kinds:
            continue
        assert count > 0, kind
        rows: list[Row] = getattr(data, kind)
        for row in rows:
            for end, value in row.items():
                if end in ends:
                    assert value in ends[end], (kind, end)


def test_relationship_rows_are_not_duplicated(data: DemoData) -> None:
    for kind in data.counts():
        rows: list[Row] = getattr(data, kind)
        identities = [tuple(sorted((k, str(v)) for k, v in row.items())) for row in rows]
        assert len(set(identities)) == len(identities), kind
