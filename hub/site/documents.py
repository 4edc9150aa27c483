"""The GraphQL documents behind the site's pages: public fields only, persons de-identified.

They ask only for what a page shows, and only fields the catalogue classes 公开: a person is
always `nameMasked`, never a name or an ID number. Records come as the public row rule serves
them — inside their publication window, effective or under objection — so repaired, revoked,
superseded and expired records cannot reach a page; list entries and measures likewise as
their row rules (listed, in force) serve them.
"""

from __future__ import annotations

from graph.model import RecordKind

PAGE_SIZE = 20
"""Items on one page of a listing or of an enterprise's section (the documents below write it as
a literal `first: 20`: the cost guard counts a `first` given by a variable as a page of 100)."""

SUGGESTIONS = 8
"""Enterprises offered while typing."""

COMMITMENT_KINDS = (RecordKind.COMMITMENT, RecordKind.COMMITMENT_BREACH)
"""Commitments made, and commitments broken, shown together in the 信用承诺 section."""

SHOWN_APART = (RecordKind.LICENSE, RecordKind.PENALTY, *COMMITMENT_KINDS)
"""Kinds with a section of their own on an enterprise's page."""

OTHER_KINDS = tuple(kind for kind in RecordKind if kind not in SHOWN_APART)
"""Every other kind of public record (judgments, honours, 经营异常 …), shown together."""

_RECORD_FRAGMENTS = """
fragment PublicRecordPage on RecordConnection {
  totalCount
  edges { node { ...PublicRecord } }
  pageInfo { hasNextPage endCursor }
}
fragment PublicRecord on Record {
  key kind title documentNumber decisionDate issuingAuthority severity category content amount
  remarks validFrom validTo publishUntil status
}
"""

SEARCH = """
query SiteSearch($query: String!, $first: Int!, $after: String) {
  searchEnterprises(query: $query, first: $first, after: $after) {
    totalCount
    edges { node {
      uscc name status categoryLabel address blackListed redListed
      legalRepresentative { nameMasked }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ENTERPRISE = (
    """
query SiteEnterprise($uscc: String!, $commitmentKinds: [RecordKind!]!,
                     $otherKinds: [RecordKind!]!, $licences: String, $penalties: String,
                     $commitments: String, $others: String) {
  enterprise(uscc: $uscc) {
    uscc name categoryLabel region entityType status foundedOn address registeredCapital
    businessScope industry blackListed redListed banned representativeBanned
    legalRepresentative { nameMasked }
    licences: records(kinds: [LICENSE], first: 20, after: $licences) { ...PublicRecordPage }
    penalties: records(kinds: [PENALTY], first: 20, after: $penalties) { ...PublicRecordPage }
    commitments: records(kinds: $commitmentKinds, first: 20, after: $commitments) {
      ...PublicRecordPage
    }
    others: records(kinds: $otherKinds, first: 20, after: $others) { ...PublicRecordPage }
    listEntries(first: 10) {
      totalCount
      edges { node {
        id listType listName basis decisionNumber decisionDate effectiveFrom effectiveUntil
        removalConditions status underObjection decidedBy { name }
        linkedPersons { role person { nameMasked } }
        sanctions { id status startsOn endsOn measure { code name business } }
      } }
    }
  }
}
"""
    + _RECORD_FRAGMENTS
)

ENTERPRISE_KINDS = {
    "commitmentKinds": [kind.value for kind in COMMITMENT_KINDS],
    "otherKinds": [kind.value for kind in OTHER_KINDS],
}
"""The kinds of the enterprise page's grouped sections, as variables of `ENTERPRISE`."""

DISCLOSURE = """
query SiteDisclosure($kinds: [RecordKind!], $department: String, $from: Date, $to: Date,
                     $keyword: String, $number: String, $after: String) {
  departments { code name shortName }
  disclosedRecords(kinds: $kinds, department: $department, decidedFrom: $from,
                   decidedTo: $to, keyword: $keyword, documentNumber: $number, first: 20,
                   after: $after) {
    totalCount
    edges { node { ...DisclosedRecord } }
    pageInfo { hasNextPage endCursor }
  }
}
fragment DisclosedRecord on Record {
  key kind title documentNumber decisionDate issuingAuthority severity category content amount
  remarks validFrom validTo publishUntil status
  subjectEnterprise { uscc name }
  subjectPerson { nameMasked }
}
"""

MEASURES = """
query SiteMeasures { measures { code name category basis business } }
"""

DEPARTMENTS = """
query SiteDepartments { departments { code name shortName } }
"""
