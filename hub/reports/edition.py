"""Which edition of the report a consumer gets: decided by what the catalogue released.

The public edition holds what the disclosure site shows. The full edition adds what the sharing
catalogue calls 有条件共享 (conditional): provenance of each record, corrected versions, and
records that are shared but not published (a 轻微 finding, say). The catalogue releases that
class to the enterprise itself, to a bank or credit agency with the enterprise's consent for the
stated purpose, to an association for its members, to departments and to the credit office —
so the edition is read off the response the consumer was actually served, never off its kind.
"""

from __future__ import annotations

from collections.abc import Iterable

from graph.model import LabelledEnum


class ReportEdition(LabelledEnum):
    """Public or full edition of a credit report."""

    PUBLIC = ("PUBLIC", "公开版")
    FULL = ("FULL", "完整版")


CONDITIONAL_FIELDS = frozenset({"Record.batchId", "Record.sourceRow", "Record.previousVersion"})
"""The conditional-class fields the report asks for; the full edition needs all of them."""


def decide_edition(
    *,
    subject_allowed: bool,
    released: Iterable[str],
    withheld: Iterable[str],
) -> ReportEdition:
    """FULL only when the conditional data was served for this subject, else PUBLIC.

    `subject_allowed` is the catalogue's verdict on a conditional field for this very subject,
    asked in the same request (it settles the case of an enterprise without records, where no
    conditional value exists to be served or withheld); `released` are the field coordinates
    the compiled queries read; `withheld` the coordinates of every value withheld, whether at
    compile time or row by row. Any doubt yields the public edition.
    """
    released = set(released)
    withheld = set(withheld)
    served = released >= CONDITIONAL_FIELDS and not CONDITIONAL_FIELDS & withheld
    return ReportEdition.FULL if subject_allowed and served else ReportEdition.PUBLIC
