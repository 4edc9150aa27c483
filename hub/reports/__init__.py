"""公共信用信息报告: the credit report of an enterprise, issued, rendered and verified.

The report is assembled from what the GraphQL schema serves *to the consumer who asks* (so the
sharing catalogue decides whether it is the public or the full edition), frozen as canonical
JSON whose SHA-256 is the report's content hash, stored as a ``(:CreditReport)`` node under a
readable number, and rendered from that stored content as HTML and as PDF. Anyone holding the
number can verify that the report was issued, for whom it speaks and when, without seeing it.

Modules: `numbering` (numbers, canonical JSON, hash), `edition` (public or full), `data` (the
GraphQL documents run as the consumer), `content` (the sections), `store` (the node),
`issuing` (the whole issue and who may read what), `html` and `pdf` (renderings), `routes`
(the plain HTTP pages).
"""
