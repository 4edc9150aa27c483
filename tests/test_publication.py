"""Publication windows (NDRC Order 36, 双公示, 民法典 period counting); no database needed."""

from __future__ import annotations

from datetime import date

import pytest

from graph.model import RecordKind, SeverityTier
from graph.publication import (
    ADVERSE_KINDS,
    add_months,
    add_years,
    is_public,
    maximum_period_months,
    publication_window,
)

DECIDED = date(2025, 3, 10)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_add_years_turns_29_february_into_28() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(DECIDED, 3) == date(2028, 3, 10)


def test_licence_is_published_until_it_expires() -> None:
    window = publication_window(RecordKind.LICENSE, None, DECIDED, date(2030, 3, 9))
    assert window == (DECIDED, date(2030, 3, 9))


def test_open_ended_licence_is_published_three_years() -> None:
    assert publication_window(RecordKind.LICENSE, None, DECIDED, None) == (
        DECIDED,
        date(2028, 3, 10),
    )


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (SeverityTier.MINOR, (None, None)),
        (SeverityTier.GENERAL, (DECIDED, date(2026, 3, 10))),
        (SeverityTier.SERIOUS, (DECIDED, date(2028, 3, 10))),
    ],
)
def test_penalty_window_follows_the_severity_tier(
    severity: SeverityTier, expected: tuple[date | None, date | None]
) -> None:
    assert publication_window(RecordKind.PENALTY, severity, DECIDED, None) == expected


def test_penalty_validity_does_not_shorten_its_publication() -> None:
    window = publication_window(
        RecordKind.PENALTY, SeverityTier.SERIOUS, DECIDED, date(2025, 6, 10)
    )
    assert window == (DECIDED, date(2028, 3, 10))


def test_warning_only_penalty_is_not_published() -> None:
    window = publication_window(
        RecordKind.PENALTY, SeverityTier.GENERAL, DECIDED, None, warning_only=True
    )
    assert window == (None, None)


def test_warning_only_is_refused_for_other_kinds() -> None:
    with pytest.raises(ValueError, match="penalties"):
        publication_window(RecordKind.LICENSE, None, DECIDED, None, warning_only=True)


@pytest.mark.parametrize("kind", [RecordKind.PENALTY, RecordKind.INTERVIEW])
def test_adverse_record_without_tier_is_refused(kind: RecordKind) -> None:
    with pytest.raises(ValueError, match="severity"):
        publication_window(kind, None, DECIDED, None)


def test_enforcement_ends_when_the_obligation_is_performed() -> None:
    performed = date(2025, 9, 1)
    assert publication_window(RecordKind.ENFORCEMENT, SeverityTier.SERIOUS, DECIDED, performed) == (
        DECIDED,
        performed,
    )
    # Without a tier the court record is shown for the serious maximum.
    assert publication_window(RecordKind.ENFORCEMENT, None, DECIDED, None) == (
        DECIDED,
        date(2028, 3, 10),
    )


def test_removal_after_the_maximum_does_not_extend_publication() -> None:
    window = publication_window(
        RecordKind.ABNORMAL_OPERATION, SeverityTier.GENERAL, DECIDED, date(2027, 1, 1)
    )
    assert window == (DECIDED, date(2026, 3, 10))


def test_minor_interview_is_not_published() -> None:
    assert publication_window(RecordKind.INTERVIEW, SeverityTier.MINOR, DECIDED, None) == (
        None,
        None,
    )


def test_honour_is_published_three_years_whatever_its_validity() -> None:
    assert publication_window(RecordKind.HONOR, None, DECIDED, date(2025, 12, 31)) == (
        DECIDED,
        date(2028, 3, 10),
    )


def test_tax_grade_is_published_until_the_next_evaluation() -> None:
    assert publication_window(RecordKind.TAX_GRADE, None, DECIDED, date(2026, 4, 19)) == (
        DECIDED,
        date(2026, 4, 19),
    )
    assert publication_window(RecordKind.TAX_GRADE, None, DECIDED, None) == (
        DECIDED,
        date(2026, 3, 10),
    )


@pytest.mark.parametrize("kind", list(RecordKind))
def test_every_kind_has_a_window(kind: RecordKind) -> None:
    severity = SeverityTier.GENERAL if kind in ADVERSE_KINDS else None
    start, end = publication_window(kind, severity, DECIDED, None)
    assert start == DECIDED
    assert end is not None
    assert end > DECIDED


def test_valid_to_before_the_decision_is_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        publication_window(RecordKind.LICENSE, None, DECIDED, date(2025, 3, 9))


def test_maximum_periods() -> None:
    assert [maximum_period_months(t) for t in SeverityTier] == [0, 12, 36]


def test_is_public_includes_both_ends() -> None:
    start, end = DECIDED, date(2026, 3, 10)
    assert is_public(start, end, start)
    assert is_public(start, end, end)
    assert not is_public(start, end, date(2026, 3, 11))
    assert not is_public(start, end, date(2025, 3, 9))
    assert not is_public(None, None, DECIDED)
