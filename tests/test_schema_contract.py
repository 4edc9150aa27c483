"""schema.graphql is the public contract: generated from the code, never edited by hand."""

from __future__ import annotations

from graphql import GraphQLObjectType

from hub.api.schema import COMPUTED_TYPES as API_TYPES
from hub.api.schema import build_schema, schema_sdl
from hub.api.types import CONNECTION_TYPES
from hub.projection import spec_of
from tests.conftest import ROOT

# Types whose fields are computed from a connection's items rather than read from the graph.
COMPUTED_TYPES = {
    "Query",
    "Mutation",
    "Subscription",
    "PageInfo",
    *CONNECTION_TYPES,
    *API_TYPES,
}


def test_schema_graphql_matches_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == schema_sdl(), "schema.graphql drifted: run `credithub schema`"


def test_every_field_says_how_the_graph_answers_it() -> None:
    schema = build_schema()._schema
    missing = [
        f"{type_.name}.{name}"
        for type_ in schema.type_map.values()
        if isinstance(type_, GraphQLObjectType)
        and not type_.name.startswith("__")
        and type_.name not in COMPUTED_TYPES
        and not type_.name.endswith("Edge")
        for name, field in type_.fields.items()
        if spec_of(field) is None
    ]
    assert missing == []


def test_enum_values_carry_their_chinese_labels() -> None:
    sdl = schema_sdl()
    assert '"""行政处罚"""\n  PENALTY' in sdl
    assert '"""严重"""\n  SERIOUS' in sdl
