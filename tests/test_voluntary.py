"""自愿注册 (五(三)): self-registered information with a truthfulness commitment, verified or not.

An enterprise registers certificates, contract performance or public welfare only with an
explicit truthfulness commitment. Items read 「未核实(企业自愿填报)」 until a department or credit
agency verifies them, once; only verified current versions count (`verified_items`). A change by
the enterprise is a new, unverified version: a verified item is never silently changed.
The fixture graph is restored after the module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from authz.identity import Consumer
from graph.database import Database
from graph.lifecycle.base import china_today
from graph.lifecycle.voluntary import verified_items
from tests.conftest import ClientFor
from tests.fixtures import CA1, E1, E2, SAMR, load_fixture_graph
from tests.graphql import errors, query
from tests.lifecycle import (
    AGENCY,
    BANK_B1,
    ENTERPRISE_E1,
    ENTERPRISE_E2,
    MARKET,
    OFFICE,
    ask,
    refused,
)

STATEMENT = "本企业承诺所填报信息真实、准确、完整，如有虚假，愿承担相应法律责任并接受信用惩戒。"

REGISTER = """mutation($kind: VoluntaryKind! = CERTIFICATE, $title: String!, $truthful: Boolean,
                      $statement: String, $subject: String) {
  registerVoluntary(kind: $kind, title: $title, detail: "ISO 9001 质量管理体系认证",
                    evidence: "证书编号 00126Q0001", truthful: $truthful, statement: $statement,
                    subject: $subject) {
    id key version current kind kindLabel title evidence registeredOn truthful statement
    verification verificationLabel counts subject } }"""

AMEND = """mutation($id: ID!, $title: String, $truthful: Boolean, $statement: String) {
  amendVoluntary(id: $id, title: $title, truthful: $truthful, statement: $statement) {
    id key version current title verification verificationLabel counts } }"""

VERIFY = """mutation($id: ID!, $outcome: VerificationStatus!, $note: String!, $verifier: String) {
  verifyVoluntary(id: $id, outcome: $outcome, note: $note, verifier: $verifier) {
    id verification verificationLabel counts verifiedBy verifiedByName verifiedOn
    verificationNote } }"""

ITEMS = """query($subject: String, $history: Boolean! = false) {
  voluntaryItems(subject: $subject, includeHistory: $history) {
    id key version current title verification verificationLabel counts } }"""


@pytest.fixture(scope="module", autouse=True)
async def restore_fixture_graph(db: Database) -> AsyncIterator[None]:
    """Registration adds items and events; put the fixture graph back afterwards."""
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


async def _register(client_for: ClientFor, title: str, who: Consumer = ENTERPRISE_E1) -> Any:
    data = await ask(client_for, who, REGISTER, title=title, truthful=True, statement=STATEMENT)
    return data["registerVoluntary"]


async def _verify(
    client_for: ClientFor, who: Consumer, item_id: str, outcome: str = "VERIFIED"
) -> Any:
    data = await ask(client_for, who, VERIFY, id=item_id, outcome=outcome, note="已核验原件")
    return data["verifyVoluntary"]


def _by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in data["voluntaryItems"]}


async def test_an_enterprise_registers_with_a_truthfulness_commitment_and_it_reads_unverified(
    client_for: ClientFor, anon: httpx.AsyncClient, db: Database
) -> None:
    item = await _register(client_for, "ISO 9001 认证证书")
    assert (item["version"], item["current"], item["kind"], item["kindLabel"]) == (
        1,
        True,
        "CERTIFICATE",
        "资质证书",
    )
    assert (item["truthful"], item["statement"]) == (True, STATEMENT)
    assert item["registeredOn"] == china_today().isoformat()
    assert (item["verification"], item["verificationLabel"], item["counts"]) == (
        "UNVERIFIED",
        "未核实(企业自愿填报)",
        False,
    )
    public = _by_id(await query(anon, ITEMS, subject=E1))[item["id"]]
    assert public["verificationLabel"] == "未核实(企业自愿填报)"
    assert item["key"] not in {v.key for v in await verified_items(db, E1)}
    [audit] = await db.read(
        "MATCH (a:AuditEntry {action: 'register_voluntary', detail: $id}) RETURN a.orgCode AS o",
        {"id": item["id"]},
    )
    assert audit["o"] == E1


@pytest.mark.parametrize(
    ("truthful", "statement"),
    [(None, STATEMENT), (False, STATEMENT), (True, None), (True, "   ")],
    ids=["no-answer", "untrue", "no-statement", "blank-statement"],
)
async def test_registration_without_the_truthfulness_commitment_is_refused(
    client_for: ClientFor, db: Database, truthful: bool | None, statement: str | None
) -> None:
    title = f"无承诺-{truthful}-{statement!r}"
    error = await refused(
        client_for, ENTERPRISE_E1, REGISTER, title=title, truthful=truthful, statement=statement
    )
    assert error["extensions"]["code"] == "MISSING_REQUIREMENT"
    assert "真实性承诺" in error["message"]
    stored = await db.read(
        "MATCH (v:VoluntaryItem {title: $title}) RETURN count(v) AS n", {"title": title}
    )
    assert stored[0]["n"] == 0


async def test_an_enterprise_registers_only_for_itself_and_a_bank_not_at_all(
    client_for: ClientFor,
) -> None:
    error = await refused(
        client_for,
        ENTERPRISE_E1,
        REGISTER,
        title="代填",
        truthful=True,
        statement=STATEMENT,
        subject=E2,
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await refused(
        client_for, BANK_B1, REGISTER, title="银行代填", truthful=True, statement=STATEMENT
    )
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_a_department_verifies_and_only_verified_items_count(
    client_for: ClientFor, db: Database
) -> None:
    checked = await _register(client_for, "纳税信用A级证明")
    unchecked = await _register(client_for, "慈善捐赠证明")
    verified = await _verify(client_for, MARKET, checked["id"])
    assert (verified["verification"], verified["verificationLabel"], verified["counts"]) == (
        "VERIFIED",
        "已核实",
        True,
    )
    assert (verified["verifiedBy"], verified["verifiedByName"]) == (SAMR, "舞钢市市场监督管理局")
    assert (verified["verifiedOn"], verified["verificationNote"]) == (
        china_today().isoformat(),
        "已核验原件",
    )
    counted = {v.key for v in await verified_items(db, E1)}
    assert checked["key"] in counted
    assert unchecked["key"] not in counted


async def test_an_item_is_verified_once_and_never_by_the_enterprise(
    client_for: ClientFor,
) -> None:
    item = await _register(client_for, "劳动合同履约证明")
    error = await refused(
        client_for, ENTERPRISE_E1, VERIFY, id=item["id"], outcome="VERIFIED", note="自证"
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    await _verify(client_for, MARKET, item["id"])
    error = await refused(
        client_for, AGENCY, VERIFY, id=item["id"], outcome="REJECTED", note="再核"
    )
    assert error["extensions"]["code"] == "WRONG_STATE"
    assert "不能再次核实" in error["message"]


async def test_changing_a_verified_item_makes_a_new_unverified_version_and_keeps_the_verified_one(
    client_for: ClientFor, db: Database
) -> None:
    item = await _register(client_for, "安全生产标准化二级")
    await _verify(client_for, MARKET, item["id"])

    error = await refused(client_for, ENTERPRISE_E1, AMEND, id=item["id"], title="一级")
    assert error["extensions"]["code"] == "MISSING_REQUIREMENT", "a change needs the commitment too"
    error = await refused(
        client_for,
        ENTERPRISE_E2,
        AMEND,
        id=item["id"],
        title="一级",
        truthful=True,
        statement=STATEMENT,
    )
    assert error["extensions"]["code"] == "FORBIDDEN"

    data = await ask(
        client_for,
        ENTERPRISE_E1,
        AMEND,
        id=item["id"],
        title="安全生产标准化一级",
        truthful=True,
        statement=STATEMENT,
    )
    changed = data["amendVoluntary"]
    assert (changed["key"], changed["version"], changed["id"]) == (
        item["key"],
        2,
        f"{item['key']}#v2",
    )
    assert (changed["verification"], changed["counts"]) == ("UNVERIFIED", False)
    assert item["key"] not in {v.key for v in await verified_items(db, E1)}

    history = _by_id(await ask(client_for, ENTERPRISE_E1, ITEMS, history=True))
    old = history[item["id"]]
    assert (old["title"], old["verification"], old["current"]) == (
        "安全生产标准化二级",
        "VERIFIED",
        False,
    )
    current = _by_id(await ask(client_for, ENTERPRISE_E1, ITEMS))
    assert item["id"] not in current and changed["id"] in current

    for document, variables in (
        (VERIFY, {"outcome": "VERIFIED", "note": "核旧版"}),
        (AMEND, {"title": "改旧版", "truthful": True, "statement": STATEMENT}),
    ):
        error = await refused(
            client_for,
            MARKET if document is VERIFY else ENTERPRISE_E1,
            document,
            id=item["id"],
            **variables,
        )
        assert error["extensions"]["code"] == "WRONG_STATE", document

    again = await _verify(client_for, AGENCY, changed["id"])
    assert (again["verifiedBy"], again["counts"]) == (CA1, True)
    [counted] = [v for v in await verified_items(db, E1) if v.key == item["key"]]
    assert (counted.version, counted.title) == (2, "安全生产标准化一级")


async def test_a_rejected_item_is_hidden_from_the_public_but_shown_to_the_enterprise(
    client_for: ClientFor, anon: httpx.AsyncClient
) -> None:
    item = await _register(client_for, "某公益活动证明")
    rejected = await _verify(client_for, AGENCY, item["id"], outcome="REJECTED")
    assert (rejected["verification"], rejected["verificationLabel"], rejected["counts"]) == (
        "REJECTED",
        "核实未通过",
        False,
    )
    assert item["id"] not in _by_id(await query(anon, ITEMS, subject=E1))
    assert item["id"] not in _by_id(await ask(client_for, BANK_B1, ITEMS, subject=E1))
    own = _by_id(await ask(client_for, ENTERPRISE_E1, ITEMS))
    assert own[item["id"]]["verificationLabel"] == "核实未通过"
    verifier = _by_id(await ask(client_for, MARKET, ITEMS, subject=E1))
    assert item["id"] in verifier
    [error] = await errors(anon, ITEMS, subject=E1, history=True)
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_the_credit_office_verifies_as_itself_or_names_the_verifier(
    client_for: ClientFor,
) -> None:
    first = await _register(client_for, "合同履约证明一")
    second = await _register(client_for, "合同履约证明二")
    itself = await _verify(client_for, OFFICE, first["id"])
    assert (itself["verifiedBy"], itself["verifiedByName"]) == ("ADMIN", "信用管理部门")
    data = await ask(
        client_for, OFFICE, VERIFY, id=second["id"], outcome="VERIFIED", note="代录", verifier=SAMR
    )
    assert data["verifyVoluntary"]["verifiedBy"] == SAMR
    error = await refused(
        client_for, MARKET, VERIFY, id=first["id"], outcome="VERIFIED", note="x", verifier=CA1
    )
    assert error["extensions"]["code"] == "FORBIDDEN", "a department verifies as itself only"


async def test_a_verified_item_becomes_a_credit_record_and_a_change_revokes_it(
    client_for: ClientFor, anon: httpx.AsyncClient
) -> None:
    records = """query($uscc: String!) { enterprise(uscc: $uscc) {
      records(first: 100, kinds: [VOLUNTARY], includeHistory: true) {
        edges { node { key status title } } } } }"""

    def voluntary(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        edges = data["enterprise"]["records"]["edges"]
        return [e["node"] for e in edges if e["node"]["key"].endswith(f"|{key}-1")]

    item = await _register(client_for, "年度公益捐赠证明")
    assert voluntary(await ask(client_for, OFFICE, records, uscc=E1), item["key"]) == []
    await _verify(client_for, MARKET, item["id"])
    [record] = voluntary(await query(anon, records, uscc=E1), item["key"])
    assert record["status"] == "EFFECTIVE" and "已核实" in record["title"]
    assert record["key"].startswith(f"VOLUNTARY|{SAMR}|")

    await ask(
        client_for, ENTERPRISE_E1, AMEND, id=item["id"], title="年度公益捐赠证明(更新)",
        truthful=True, statement=STATEMENT,
    )  # fmt: skip
    [revoked] = voluntary(await ask(client_for, OFFICE, records, uscc=E1), item["key"])
    assert revoked["status"] == "REVOKED"
    assert voluntary(await query(anon, records, uscc=E1), item["key"]) == []
