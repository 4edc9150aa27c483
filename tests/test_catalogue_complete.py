"""The sharing catalogue covers the whole schema, names nothing else, and its keys make sense.

Deny by default makes a missing entry a silent outage (the field is served to nobody); an entry
naming a type or field that no longer exists is a rule nobody enforces. Both fail here, for the
projected graph types and the computed ones alike.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType

from authz.catalogue import default_catalogue
from hub.api.field_policy import (
    IS_PERSON,
    SKIPPED_TYPES,
    computed_types,
    guard_for,
    shared_with_everyone,
)
from hub.api.schema import COMPUTED_TYPES, build_schema

SCHEMA = build_schema()._schema


def _named(gql_type: Any) -> Any:
    while isinstance(gql_type, GraphQLNonNull | GraphQLList):
        gql_type = gql_type.of_type
    return gql_type


def _object_types() -> dict[str, GraphQLObjectType]:
    return {
        name: gql_type
        for name, gql_type in SCHEMA.type_map.items()
        if isinstance(gql_type, GraphQLObjectType)
        and not name.startswith("__")
        and name not in SKIPPED_TYPES
    }


def test_every_type_and_field_of_the_schema_is_in_the_catalogue() -> None:
    catalogue = default_catalogue()
    schema_fields = {f"{name}.{field}" for name, t in _object_types().items() for field in t.fields}
    missing = schema_fields - catalogue.coordinates()
    assert missing == set(), "fields the sharing catalogue does not cover (served to nobody)"


def test_every_catalogue_entry_names_a_type_and_field_of_the_schema() -> None:
    catalogue = default_catalogue()
    types = _object_types()
    unknown_types = set(catalogue.types) - set(types)
    assert unknown_types == set(), "catalogue types the schema does not have"
    unknown_fields = {
        f"{name}.{field}"
        for name, entry in catalogue.types.items()
        for field in entry.get("fields", {})
        if field not in types[name].fields
    }
    assert unknown_fields == set(), "catalogue fields the schema does not have"


def test_subject_and_person_keys_name_real_fields() -> None:
    catalogue = default_catalogue()
    types = _object_types()
    for name, entry in catalogue.types.items():
        subject = entry.get("subject")
        if subject is not None:
            gql_type: Any = types[name]
            for step in subject.split("."):
                assert isinstance(gql_type, GraphQLObjectType), (name, subject)
                assert step in gql_type.fields, (name, subject)
                gql_type = _named(gql_type.fields[step].type)
            assert gql_type.name in ("String", "ID"), (name, subject)
        for field, spec in entry.get("fields", {}).items():
            person = spec.get("person")
            if person is not None:
                assert person in catalogue.coordinates(), (name, field, person)
                # The policy must be able to tell a person from an enterprise.
                assert name in IS_PERSON, (name, field)


def test_the_computed_types_are_those_the_api_modules_declare() -> None:
    assert {t.name for t in computed_types(SCHEMA)} == set(COMPUTED_TYPES)


def test_a_field_some_consumer_may_not_see_is_nullable() -> None:
    catalogue = default_catalogue()
    for name, gql_type in _object_types().items():
        for field, field_def in gql_type.fields.items():
            sharing_class = catalogue.sharing_class(name, field)
            if not shared_with_everyone(catalogue, sharing_class):
                assert not isinstance(field_def.type, GraphQLNonNull), f"{name}.{field}"


def test_only_fields_that_need_a_check_are_guarded() -> None:
    """Costs opt-in: a field every consumer may see keeps its resolver untouched."""
    catalogue = default_catalogue()
    guarded = {
        f"{t.name}.{field}"
        for t in computed_types(SCHEMA)
        for field in t.fields
        if guard_for(catalogue, t.name, field) is not None
    }
    assert "CreditEvaluation.grade" in guarded
    assert "SubjectRef.name" in guarded  # a person's full name is decided as Person.name
    assert "FeedBatch.id" not in guarded
    computed_fields = sum(len(t.fields) for t in computed_types(SCHEMA))
    assert len(guarded) < computed_fields / 2
