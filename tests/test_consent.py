"""授权查询: an enterprise's consent opens its non-public detail to one bank, for one purpose."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from authz.identity import Consumer, OrgKind
from graph.database import WRITE_TRANSACTION, QueryLog
from tests.fixtures import B2, CONSENT_PURPOSE, E1, R4, R5_V1
from tests.graphql import errors, query

BANK = Consumer(subject="loan-officer", org_kind=OrgKind.BANK, org_code=B2, purpose=CONSENT_PURPOSE)
E1_ITSELF = Consumer(subject="e1-staff", org_kind=OrgKind.ENTERPRISE, org_code=E1)

CHECK = f"""{{ enterprise(uscc: "{E1}") {{
  unpublished: records(statuses: [EFFECTIVE], decidedTo: "2021-12-31") {{
    totalCount edges {{ node {{ id }} }} }}
  repaired: records(statuses: [REPAIRED]) {{ totalCount }}
  licences: records(kinds: [LICENSE]) {{ edges {{ node {{ id history {{ id }} }} }} }} }} }}"""

GRANT = """mutation($grantee: String!, $classes: [String!]!, $purpose: String!, $until: Date!) {
  grantConsent(grantee: $grantee, classes: $classes, purpose: $purpose, expiresOn: $until) {
    id grantor grantee classes purpose expiresOn revokedAt } }"""


def _history(data: dict[str, Any]) -> list[Any]:
    return [e["node"]["history"] for e in data["enterprise"]["licences"]["edges"]]


async def test_without_consent_the_bank_is_told_consent_is_needed(client_for: Any) -> None:
    async with client_for(BANK) as bank:
        body = (await bank.post("/graphql", json={"query": CHECK})).json()
    assert body["data"]["enterprise"]["unpublished"]["totalCount"] == 0
    withheld = body["extensions"]["access"]["withheld"]
    assert {w["field"] for w in withheld} == {"Record.history"}
    assert {w["reason"] for w in withheld} == {"NEEDS_CONSENT"}
    assert body["extensions"]["access"]["rowsFiltered"][0]["rule"] == "published OR consent"


async def test_grant_opens_and_revocation_closes_on_the_next_request(client_for: Any) -> None:
    until = (date.today() + timedelta(days=30)).isoformat()
    async with client_for(E1_ITSELF) as enterprise, client_for(BANK) as bank:
        granted = (
            await query(
                enterprise,
                GRANT,
                grantee=B2.lower(),
                classes=["conditional"],
                purpose=CONSENT_PURPOSE,
                until=until,
            )
        )["grantConsent"]
        assert granted["grantor"] == E1 and granted["grantee"] == B2
        assert granted["classes"] == ["conditional"] and granted["revokedAt"] is None

        opened = await query(bank, CHECK)
        # Consent opens what is not published (R4's period has ended) — never what repair
        # withdrew: repair stops sharing with every third party (六(六)).
        assert opened["enterprise"]["unpublished"]["edges"] == [{"node": {"id": R4["uid"]}}]
        assert opened["enterprise"]["repaired"]["totalCount"] == 0
        assert [{"id": R5_V1["uid"]}] in _history(opened)

        other_purpose = Consumer(
            subject="x", org_kind=OrgKind.BANK, org_code=B2, purpose="贷后管理"
        )
        async with client_for(other_purpose) as wrong:
            assert (await query(wrong, CHECK))["enterprise"]["unpublished"]["totalCount"] == 0

        revoked = await query(
            enterprise,
            "mutation($id: ID!) { revokeConsent(id: $id) { revokedAt } }",
            id=granted["id"],
        )
        assert revoked["revokeConsent"]["revokedAt"] is not None
        closed = await query(bank, CHECK)
        assert closed["enterprise"]["unpublished"]["totalCount"] == 0
        assert all(h is None for h in _history(closed))

        mine = await query(enterprise, "{ consents { id revokedAt } }")
        assert granted["id"] in {c["id"] for c in mine["consents"]}


async def test_consent_is_refused_when_it_cannot_be_honoured(client_for: Any) -> None:
    until = (date.today() + timedelta(days=30)).isoformat()
    async with client_for(E1_ITSELF) as enterprise, client_for(BANK) as bank:
        [personal] = await errors(
            enterprise,
            GRANT,
            grantee=B2,
            classes=["personal"],
            purpose=CONSENT_PURPOSE,
            until=until,
        )
        assert "personal" in personal["message"]
        [unknown] = await errors(
            enterprise,
            GRANT,
            grantee=E1,
            classes=["conditional"],
            purpose=CONSENT_PURPOSE,
            until=until,
        )
        assert "bank or credit agency" in unknown["message"]
        [late] = await errors(
            enterprise,
            GRANT,
            grantee=B2,
            classes=["conditional"],
            purpose=CONSENT_PURPOSE,
            until="2020-01-01",
        )
        assert "expiry" in late["message"]
        [not_yours] = await errors(
            bank, GRANT, grantee=B2, classes=["conditional"], purpose=CONSENT_PURPOSE, until=until
        )
        assert not_yours["extensions"]["code"] == "FORBIDDEN"


async def test_access_explain_cites_the_catalogue(client_for: Any) -> None:
    explain = """query($subject: String) { accessExplain(typeName: "Record",
      fieldName: "history", subject: $subject) { sharingClass decision reason citation
      rowRule conditions } }"""
    async with client_for(BANK) as bank:
        general = (await query(bank, explain))["accessExplain"][0]
        for_e1 = (await query(bank, explain, subject=E1))["accessExplain"][0]
    assert general["sharingClass"] == "conditional"
    assert general["decision"] == "CONDITIONAL" and general["conditions"] == ["consent"]
    assert "consumers.BANK.consent" in general["citation"]
    assert general["rowRule"] == "rows.Record.BANK = ['published', 'consent']"
    assert for_e1["decision"] == "WITHHELD" and for_e1["reason"] == "NEEDS_CONSENT"


CREDIT_CHECK = f"""{{ enterprise(uscc: "{E1}") {{
  uscc
  records(first: 20) {{ totalCount edges {{ node {{ id history {{ id }} }} }} }}
  listEntries(first: 20) {{ totalCount edges {{ node {{ id sanctions {{ status }} }} }} }}
  sanctions(first: 20) {{ totalCount edges {{ node {{ id status }} }} }} }} }}"""


async def test_a_subjects_consent_is_asked_once_however_many_rows_it_opens(
    client_for: Any,
) -> None:
    """The consent decides the subject's records, list entries, sanctions, the sanctions under
    each entry and the consent-only fields: one check per subject in the compiled query, not
    one per row (issue 18), with the same answer as before."""
    until = (date.today() + timedelta(days=30)).isoformat()
    async with client_for(E1_ITSELF) as enterprise, client_for(BANK) as bank:
        await query(
            enterprise, GRANT, grantee=B2, classes=["conditional"], purpose=CONSENT_PURPOSE,
            until=until,
        )  # fmt: skip
        with QueryLog() as log:
            opened = await query(bank, CREDIT_CHECK)
    [compiled] = [q for q in log.queries if q != WRITE_TRANSACTION]
    assert compiled.count(":Consent") == 1
    records = opened["enterprise"]["records"]
    assert records["totalCount"] == len(records["edges"]) > 0
    # Consent-only fields came back: history is shared under the consent, not withheld.
    assert all(edge["node"]["history"] is not None for edge in records["edges"])
