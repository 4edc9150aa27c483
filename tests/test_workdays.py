"""The mainland working-day calendar behind 双公示's "within 7 working days" (DOMAIN: 双公示)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from graph.workdays import (
    CalendarNotCovered,
    load_calendar,
    mainland_calendar,
    publish_by,
)

D = datetime.date
CALENDAR = mainland_calendar()


def test_seven_working_days_in_an_ordinary_week_skip_the_weekend() -> None:
    assert publish_by(D(2026, 3, 10)) == D(2026, 3, 19)  # Tuesday → Thursday next week


def test_the_count_starts_the_day_after_the_decision() -> None:
    friday = D(2026, 3, 13)
    assert CALENDAR.add_working_days(friday, 1) == D(2026, 3, 16)
    assert CALENDAR.add_working_days(friday, 0) == friday


def test_the_national_day_and_mid_autumn_holiday_2025_and_its_adjusted_days() -> None:
    # 2025-10-01..08 off; Sunday 09-28 and Saturday 10-11 are working days.
    assert not CALENDAR.is_working_day(D(2025, 10, 3))
    assert CALENDAR.is_working_day(D(2025, 9, 28))
    assert CALENDAR.is_working_day(D(2025, 10, 11))
    assert publish_by(D(2025, 9, 26)) == D(2025, 10, 13)


def test_spring_festival_2026_with_both_adjusted_saturdays() -> None:
    # 2026-02-15..23 off (9 days); Saturdays 02-14 and 02-28 are working days.
    assert publish_by(D(2026, 2, 12)) == D(2026, 2, 28)


def test_working_days_between_counts_after_start_up_to_end() -> None:
    assert CALENDAR.working_days_between(D(2026, 3, 10), D(2026, 3, 19)) == 7
    assert CALENDAR.working_days_between(D(2026, 3, 19), D(2026, 3, 10)) == 0


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add_working_days(D(2026, 3, 10), -1)


def test_a_year_without_a_notice_is_refused_not_guessed() -> None:
    with pytest.raises(CalendarNotCovered, match="2030"):
        publish_by(D(2030, 5, 6))
    with pytest.raises(CalendarNotCovered, match="2027"):
        publish_by(D(2026, 12, 28))  # the seventh working day falls in 2027


@pytest.mark.parametrize("year", range(2019, 2027))
def test_every_covered_year_has_its_statutory_festivals(year: int) -> None:
    names = {n for d, n in CALENDAR.holiday_names.items() if d.year == year}
    festivals = "、".join(sorted(names))
    for festival in ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"):
        assert festival in festivals, f"{year} lacks {festival}"


def test_a_malformed_calendar_names_the_bad_entry(tmp_path: Path) -> None:
    bad = tmp_path / "calendar.toml"
    bad.write_text(
        "[2026]\nholidays = []\nworking_days = [2026-03-11]\n",  # a Wednesday
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="2026-03-11"):
        load_calendar(bad)
    bad.write_text(
        '[2026]\nholidays = [{ name = "春节", first = 2026-02-23, last = 2026-02-15 }]\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="春节"):
        load_calendar(bad)
