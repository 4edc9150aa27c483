"""信用舞钢: the public disclosure site, served by the hub beside ``/graphql``.

Plain, fast, accessible Chinese pages — search, an enterprise's public credit information, the
双公示 listings, the measures catalogue and a guide to objections and credit repair. The site
has no private path to the data: every page runs GraphQL documents on the hub's own schema as
the public consumer (`hub.site.public_graph`), so the sharing catalogue decides what it shows
exactly as it would for anyone posting the same documents to ``/graphql`` without a token.
"""
