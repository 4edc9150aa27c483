"""GraphiQL at /graphql that works on a closed network: the hub's own page and fetcher, with
GraphiQL's files installed by `credithub assets` and served by the hub (no CDN)."""

from hub.graphiql.page import render_page
from hub.graphiql.routes import graphiql_routes

__all__ = ["graphiql_routes", "render_page"]
