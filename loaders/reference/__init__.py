"""Reference data: the city's organisations, the measures catalogue and the commitment catalogue.

Clerks keep them in files (organisations: CSV in UTF-8 or GBK with Chinese headers, or TOML;
catalogues: TOML) checked by the pydantic models of `models.py`; `files.py` reads them and
refuses a bad file naming file, row and field; `organisations.py` and `catalogues.py` write
them idempotently with revisions and events, and resolve an organisation by code, full name,
short name or alias. `credithub orgs …`, `measures import`, `commitment-items import` and the
credit office's GraphQL mutations use these functions; so does the demo dataset, whose files
are under ``demo/``.
"""

from __future__ import annotations

from loaders.reference.catalogues import import_commitment_items, import_measures
from loaders.reference.files import (
    Problem,
    ReferenceFileError,
    read_commitment_items,
    read_measure_catalogue,
    read_organisations,
)
from loaders.reference.models import (
    KIND_NAMES,
    CommitmentItemEntry,
    MeasureCatalogueFile,
    MeasureEntry,
    OrganisationEntry,
    parse_kind,
)
from loaders.reference.organisations import (
    ORGANISATION_LABELS,
    AmbiguousOrganisation,
    ImportSummary,
    Organisation,
    OrganisationClosed,
    OrganisationNotFound,
    close_organisation,
    correct_code,
    events,
    find_organisations,
    import_organisations,
    list_organisations,
    merge_organisation,
    register_organisation,
    rename_organisation,
    resolve_organisation,
    revisions,
)

__all__ = [
    "KIND_NAMES",
    "ORGANISATION_LABELS",
    "AmbiguousOrganisation",
    "CommitmentItemEntry",
    "ImportSummary",
    "MeasureCatalogueFile",
    "MeasureEntry",
    "Organisation",
    "OrganisationClosed",
    "OrganisationEntry",
    "OrganisationNotFound",
    "Problem",
    "ReferenceFileError",
    "close_organisation",
    "correct_code",
    "events",
    "find_organisations",
    "import_commitment_items",
    "import_measures",
    "import_organisations",
    "list_organisations",
    "merge_organisation",
    "parse_kind",
    "read_commitment_items",
    "read_measure_catalogue",
    "read_organisations",
    "register_organisation",
    "rename_organisation",
    "resolve_organisation",
    "revisions",
]
