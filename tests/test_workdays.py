"""The mainland working-day calendar behind 双公示's "within 7 working days" (DOMAIN: 双公示).

Every expected date below was counted by hand from the State Council's notice for that year;
the count starts on the day after the decision (民法典 第二百零一条).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import chinese_calendar  # type: ignore[import-untyped]
import pytest

from graph.workdays import (
    PUBLICATION_DEADLINE_WORKING_DAYS,
    CalendarNotCovered,
    WorkdayCalendar,
    load_calendar,
    mainland_calendar,
    publish_by,
)

D = datetime.date
CALENDAR = mainland_calendar()
FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")


# --- ordinary weeks ---------------------------------------------------------------------------


def test_the_deadline_is_seven_working_days() -> None:
    assert PUBLICATION_DEADLINE_WORKING_DAYS == 7


def test_seven_working_days_in_an_ordinary_fortnight_skip_the_weekend() -> None:
    # Tue 03-10 → Wed 11, Thu 12, Fri 13, (Sat 14, Sun 15), Mon 16, Tue 17, Wed 18, Thu 19.
    assert publish_by(D(2026, 3, 10)) == D(2026, 3, 19)
    assert not CALENDAR.is_working_day(D(2026, 3, 14))
    assert not CALENDAR.is_working_day(D(2026, 3, 15))


def test_the_count_starts_the_day_after_the_decision() -> None:
    friday = D(2026, 3, 13)
    assert CALENDAR.is_working_day(friday)  # and still does not count
    assert CALENDAR.add_working_days(friday, 1) == D(2026, 3, 16)


def test_a_decision_on_a_weekend_counts_from_the_next_working_day() -> None:
    assert CALENDAR.add_working_days(D(2026, 3, 14), 1) == D(2026, 3, 16)


def test_zero_working_days_is_the_start_day_itself() -> None:
    assert CALENDAR.add_working_days(D(2026, 3, 13), 0) == D(2026, 3, 13)
    assert CALENDAR.add_working_days(D(2026, 3, 14), 0) == D(2026, 3, 14)  # even a Saturday


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add_working_days(D(2026, 3, 10), -1)


def test_publish_by_takes_another_calendar_and_length() -> None:
    assert publish_by(D(2026, 3, 10), CALENDAR, working_days=1) == D(2026, 3, 11)


# --- holidays and 调休 ------------------------------------------------------------------------


def test_national_day_and_mid_autumn_2025_with_its_adjusted_days() -> None:
    # 2025-10-01..08 off (国庆节、中秋节, 8 days); Sunday 09-28 and Saturday 10-11 are working.
    assert CALENDAR.holiday_names[D(2025, 10, 6)] == "国庆节、中秋节"
    assert not CALENDAR.is_working_day(D(2025, 10, 8))  # a Wednesday, still off
    assert CALENDAR.is_working_day(D(2025, 9, 28))
    assert CALENDAR.is_working_day(D(2025, 10, 11))
    # Fri 09-26 → Sun 09-28 (1), Mon 29 (2), Tue 30 (3), [10-01..08 off], Thu 10-09 (4),
    # Fri 10 (5), Sat 11 (6), (Sun 12 off), Mon 13 (7).
    assert publish_by(D(2025, 9, 26)) == D(2025, 10, 13)
    assert CALENDAR.working_days_between(D(2025, 9, 26), D(2025, 10, 13)) == 7


def test_a_decision_just_before_the_spring_festival_2026() -> None:
    # 2026-02-15..23 off (9 days); Saturdays 02-14 and 02-28 are working days.
    # Thu 02-12 → Fri 13 (1), Sat 14 (2), [15..23 off], Tue 24 (3), Wed 25 (4), Thu 26 (5),
    # Fri 27 (6), Sat 28 (7).
    assert publish_by(D(2026, 2, 12)) == D(2026, 2, 28)
    # Fri 02-13 → Sat 14 (1), Tue 24 .. Fri 27 (2-5), Sat 28 (6), Mon 03-02 (7).
    assert publish_by(D(2026, 2, 13)) == D(2026, 3, 2)


def test_an_adjusted_saturday_is_a_working_day_and_an_ordinary_one_is_not() -> None:
    assert CALENDAR.is_working_day(D(2026, 10, 10))  # 国庆节 2026 调休
    assert CALENDAR.add_working_days(D(2026, 10, 9), 1) == D(2026, 10, 10)
    assert not CALENDAR.is_working_day(D(2026, 10, 17))
    assert CALENDAR.add_working_days(D(2026, 10, 16), 1) == D(2026, 10, 19)


def test_new_year_2026_moves_work_onto_sunday_4_january() -> None:
    # 2026-01-01..03 off, Sunday 01-04 a working day: the count crosses the year boundary.
    assert CALENDAR.add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 4)


def test_the_2020_spring_festival_extension_is_applied() -> None:
    # 国办发明电〔2020〕1号 extended 春节 to 02-02, so Saturday 02-01 was no longer a working day.
    assert not CALENDAR.is_working_day(D(2020, 2, 1))
    assert CALENDAR.holiday_names[D(2020, 2, 2)] == "春节"
    # Mon 01-20 → 21, 22, 23 (1-3), [01-24..02-02 off], Mon 02-03 .. Thu 02-06 (4-7).
    assert publish_by(D(2020, 1, 20)) == D(2020, 2, 6)


def test_the_2019_labour_day_amendment_is_applied() -> None:
    # 国办发明电〔2019〕3号: 05-01..04 off, Sundays 04-28 and 05-05 working.
    assert not CALENDAR.is_working_day(D(2019, 5, 2))
    assert CALENDAR.is_working_day(D(2019, 4, 28))
    assert CALENDAR.is_working_day(D(2019, 5, 5))


def test_from_2025_spring_festival_starts_on_new_years_eve_and_lasts_eight_days() -> None:
    spring_2025 = [d for d, n in CALENDAR.holiday_names.items() if d.year == 2025 and n == "春节"]
    assert min(spring_2025) == D(2025, 1, 28)  # 除夕
    assert len(spring_2025) == 8
    labour_2025 = [d for d, n in CALENDAR.holiday_names.items() if d.year == 2025 and n == "劳动节"]
    assert len(labour_2025) == 5


def test_working_days_between_counts_after_start_up_to_end() -> None:
    assert CALENDAR.working_days_between(D(2026, 3, 10), D(2026, 3, 19)) == 7
    assert CALENDAR.working_days_between(D(2026, 3, 10), D(2026, 3, 10)) == 0
    assert CALENDAR.working_days_between(D(2026, 3, 19), D(2026, 3, 10)) == 0


# --- what the data covers ---------------------------------------------------------------------


def test_the_calendar_covers_2019_to_2026_from_notices_and_2027_provisionally() -> None:
    assert CALENDAR.years == frozenset(range(2019, 2028))
    assert CALENDAR.provisional_years == frozenset({2027})
    assert CALENDAR.covers(D(2027, 12, 31))
    assert not CALENDAR.covers(D(2028, 1, 1))
    assert mainland_calendar() is CALENDAR  # read once per process


def test_a_year_without_a_notice_is_refused_not_guessed() -> None:
    with pytest.raises(CalendarNotCovered, match="2030") as refused:
        publish_by(D(2030, 5, 6))
    assert refused.value.year == 2030
    assert "国务院办公厅关于2030年部分节假日安排的通知" in str(refused.value)
    assert "graph/cn_calendar.toml" in str(refused.value)
    with pytest.raises(CalendarNotCovered, match="2018"):
        CALENDAR.is_working_day(D(2018, 12, 29))


def test_a_deadline_that_runs_into_an_uncovered_year_is_refused() -> None:
    # Mon 2027-12-27: only 12-28 … 12-31 remain in 2027; the 7th working day is in 2028.
    with pytest.raises(CalendarNotCovered, match="2028"):
        publish_by(D(2027, 12, 27))
    with pytest.raises(CalendarNotCovered, match="2028"):
        CALENDAR.working_days_between(D(2027, 12, 27), D(2028, 1, 7))
    assert CALENDAR.add_working_days(D(2027, 12, 27), 4) == D(2027, 12, 31)


# --- a provisional year: the statutory days only, until the State Council's notice ----------


def test_a_provisional_year_counts_the_statutory_days_and_their_make_up_days() -> None:
    # 2027: 除夕 Fri 02-05 … 初三 Mon 02-08; 初一 and 初二 fall on the weekend, so the law's
    # 补假 makes Tue 02-09 and Wed 02-10 rest days too. Thu 02-04 → Thu 02-11 is one working day.
    assert CALENDAR.add_working_days(D(2027, 2, 4), 1) == D(2027, 2, 11)
    # 劳动节 Sat 05-01, Sun 05-02 → 补假 Mon 05-03, Tue 05-04.
    assert CALENDAR.add_working_days(D(2027, 4, 30), 1) == D(2027, 5, 5)
    # 国庆节 Fri 10-01 … Sun 10-03 → 补假 Mon 10-04, Tue 10-05.
    assert CALENDAR.add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 6)
    # No 调休 is invented: every weekend of a provisional year is a rest day.
    assert not any(day.year == 2027 for day in CALENDAR.extra_working_days)


def test_a_count_that_reaches_a_provisional_year_says_so() -> None:
    # Mon 2026-12-28: 29, 30, 31, (元旦 Fri 01-01 … Sun 01-03), Mon 4, Tue 5, Wed 6, Thu 7.
    assert publish_by(D(2026, 12, 28)) == D(2027, 1, 7)
    assert CALENDAR.provisional_between(D(2026, 12, 28), D(2027, 1, 7))
    assert not CALENDAR.provisional_between(D(2026, 3, 10), D(2026, 3, 19))


def test_a_gap_between_covered_years_is_not_counted_through() -> None:
    calendar = WorkdayCalendar(frozenset(), frozenset(), frozenset({2024, 2026}))
    assert calendar.add_working_days(D(2024, 12, 30), 1) == D(2024, 12, 31)  # Mon → Tue
    with pytest.raises(CalendarNotCovered, match="2025"):
        calendar.add_working_days(D(2024, 12, 30), 2)
    with pytest.raises(CalendarNotCovered, match="2025"):
        calendar.working_days_between(D(2024, 12, 30), D(2026, 1, 5))
    with pytest.raises(CalendarNotCovered, match="2025"):
        calendar.add_working_days(D(2025, 6, 2), 0)
    assert calendar.add_working_days(D(2026, 1, 1), 1) == D(2026, 1, 2)


EXPECTED_NAMES = {
    2019: set(FESTIVALS),
    2020: {"元旦", "春节", "清明节", "劳动节", "端午节", "国庆节、中秋节"},
    2021: set(FESTIVALS),
    2022: set(FESTIVALS),
    2023: {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节、国庆节"},
    2024: set(FESTIVALS),
    2025: {"元旦", "春节", "清明节", "劳动节", "端午节", "国庆节、中秋节"},
    2026: set(FESTIVALS),
}


@pytest.mark.parametrize("year", sorted(EXPECTED_NAMES))
def test_every_covered_year_has_the_holidays_its_notice_names(year: int) -> None:
    names = {n for d, n in CALENDAR.holiday_names.items() if d.year == year}
    assert names == EXPECTED_NAMES[year]
    # Merged names still give every one of the seven festivals its days.
    assert {part for name in names for part in name.split("、")} == set(FESTIVALS)


def test_adjusted_working_days_are_weekend_days_outside_holidays() -> None:
    for day in CALENDAR.extra_working_days:
        assert day.weekday() >= 5, day
        assert day not in CALENDAR.holidays, day


# --- a malformed calendar file ----------------------------------------------------------------


NOTICE = 'notice = "国务院办公厅关于2026年部分节假日安排的通知"\n'


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (
            NOTICE + 'holidays = [{ name = "元旦", first = 2026-01-01, last = 2026-01-03 }]\n'
            "working_days = [2026-03-11]\n",  # a Wednesday
            "2026-03-11.*Saturday or Sunday",
        ),
        (
            NOTICE + 'holidays = [{ name = "春节", first = 2026-02-23, last = 2026-02-15 }]\n',
            "春节.*before",
        ),
        (
            NOTICE + 'holidays = [{ name = "春节", first = 2027-02-06, last = 2027-02-12 }]\n',
            "春节.*not in 2026",
        ),
        (
            NOTICE + 'holidays = [{ name = "春节", first = 2026-02-15, last = 2026-02-23 }]\n'
            "working_days = [2026-02-21]\n",
            "2026-02-21.*春节",
        ),
        (
            NOTICE + 'holidays = [{ name = "端午节", first = 2026-06-19, last = 2026-06-21 },\n'
            '  { name = "劳动节", first = 2026-05-01, last = 2026-05-05 }]\n',
            "劳动节.*date order",
        ),
        (
            NOTICE + 'holidays = [{ name = "元旦", first = "2026-01-01", last = 2026-01-03 }]\n',
            "元旦.*not a date",
        ),
        ('holidays = [{ name = "元旦", first = 2026-01-01, last = 2026-01-03 }]\n', "notice"),
        (NOTICE + "holidays = [\n", "not valid TOML"),
        (
            "provisional = true\n"
            'holidays = [{ name = "元旦", first = 2026-01-01, last = 2026-01-01 }]\n',
            "basis",
        ),
        (
            'provisional = true\nbasis = "全国年节及纪念日放假办法"\n'
            + NOTICE
            + 'holidays = [{ name = "元旦", first = 2026-01-01, last = 2026-01-01 }]\n',
            "provisional: it has no notice",
        ),
        (
            NOTICE + 'basis = "全国年节及纪念日放假办法"\n'
            'holidays = [{ name = "元旦", first = 2026-01-01, last = 2026-01-01 }]\n',
            "basis is only for a provisional table",
        ),
    ],
    ids=[
        "weekday-as-adjusted-day",
        "range-reversed",
        "range-outside-year",
        "adjusted-day-inside-holiday",
        "ranges-out-of-order",
        "string-not-date",
        "missing-notice",
        "not-toml",
        "provisional-without-basis",
        "provisional-with-notice",
        "basis-without-provisional",
    ],
)
def test_a_malformed_calendar_names_the_bad_entry(tmp_path: Path, body: str, named: str) -> None:
    bad = tmp_path / "cn_calendar.toml"
    bad.write_text("[2026]\n" + body, encoding="utf-8")
    with pytest.raises(ValueError, match=named):
        load_calendar(bad)


def test_a_well_formed_file_loads(tmp_path: Path) -> None:
    good = tmp_path / "cn_calendar.toml"
    good.write_text(
        "[2026]\n"
        + NOTICE
        + 'holidays = [{ name = "元旦", first = 2026-01-01, last = 2026-01-03 }]\n'
        "working_days = [2026-01-04]\n",
        encoding="utf-8",
    )
    calendar = load_calendar(good)
    assert calendar.years == frozenset({2026})
    with pytest.raises(CalendarNotCovered, match="2025"):
        calendar.add_working_days(D(2025, 12, 31), 1)
    assert calendar.add_working_days(D(2026, 1, 1), 1) == D(2026, 1, 4)


def test_every_day_agrees_with_the_chinese_calendar_package() -> None:
    # An independent transcription of the same State Council notices (the `chinese-calendar`
    # package, a pinned dev dependency): every day of every year both cover (ours without the
    # provisional years) must be a working day in both or in neither.
    calendar = load_calendar()
    theirs = {day.year for day in (*chinese_calendar.holidays, *chinese_calendar.workdays)}
    both = sorted((calendar.years - calendar.provisional_years) & theirs)
    assert both and both[0] <= 2019 and both[-1] >= 2026, both
    disagree = []
    for year in both:
        day = datetime.date(year, 1, 1)
        while day.year == year:
            ours = calendar.is_working_day(day)
            if ours != chinese_calendar.is_workday(day):
                disagree.append((day.isoformat(), ours))
            day += datetime.timedelta(days=1)
    assert disagree == []
