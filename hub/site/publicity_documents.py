"""The GraphQL documents of the 红黑名单 lookup and the 信用承诺 listing: public fields only.

As every document of the site (hub/site/documents.py), they ask only for fields the catalogue
classes 公开 and rely on the public row rules: a list entry shows while it is listed (in force,
or a red-list candidate in its announcement), a commitment while it is published.
"""

from __future__ import annotations

LIST_LOOKUP = """
query SiteListLookup($query: String!, $after: String) {
  searchEnterprises(query: $query, first: 20, after: $after) {
    totalCount
    edges { node {
      uscc name status blackListed redListed
      listEntries(first: 10) {
        totalCount
        edges { node {
          id listType listName decisionNumber decisionDate effectiveFrom effectiveUntil status
          underObjection decidedBy { name }
        } }
      }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

COMMITMENTS = """
query SiteCommitments($keyword: String, $after: String) {
  publishedCommitments(keyword: $keyword, first: 20, after: $after) {
    totalCount
    edges { node {
      key title documentNumber decisionDate issuingAuthority content validTo fulfilment status
      subjectEnterprise { uscc name }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
