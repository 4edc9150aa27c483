"""The demo's 年报公示 data: deterministic, on its own random stream, and plausible.

Each demo enterprise gets, for each of the last three report years whose deadline (30 June of
the next year) has passed and in which it existed, a report filed on time, filed late, or none.
"""

from __future__ import annotations

from datetime import date

from graph.evaluation.facts import due_report_years
from loaders.demo_annual_reports import annual_report_rows
from loaders.demo_data import DemoSpec, generate

SECRET = b"demo-annual-reports-test"


def test_annual_reports_are_deterministic_and_leave_the_rest_of_the_demo_unchanged() -> None:
    spec = DemoSpec(enterprises=300)
    data = generate(spec, SECRET)
    first = annual_report_rows(data.enterprises, seed=spec.seed, today=spec.today)
    again = annual_report_rows(data.enterprises, seed=spec.seed, today=spec.today)
    assert first == again
    assert generate(spec, SECRET).enterprises == data.enterprises
    other = annual_report_rows(data.enterprises, seed=spec.seed + 1, today=spec.today)
    assert other != first


def test_reports_are_filed_on_time_late_or_not_at_all_for_due_years_only() -> None:
    spec = DemoSpec(enterprises=300)
    data = generate(spec, SECRET)
    founded = {e["uscc"]: e["foundedOn"] for e in data.enterprises}
    on_time = late = missing = 0
    for row in annual_report_rows(data.enterprises, seed=spec.seed, today=spec.today):
        due = due_report_years(spec.today, founded[row["uscc"]], 3)
        assert set(row["years"]) <= set(due) and len(row["years"]) == len(row["filed"])
        for year, filed in zip(row["years"], row["filed"], strict=True):
            assert date(year + 1, 1, 1) <= filed <= spec.today
            if filed <= date(year + 1, 6, 30):
                on_time += 1
            else:
                late += 1
        missing += len(due) - len(row["years"])
    assert on_time > late > 0 and missing > 0


def test_the_due_years_are_the_last_three_whose_deadline_passed_since_founding() -> None:
    assert due_report_years(date(2026, 11, 28), date(2010, 1, 1), 3) == [2023, 2024, 2025]
    assert due_report_years(date(2026, 6, 30), date(2010, 1, 1), 3) == [2022, 2023, 2024]
    assert due_report_years(date(2026, 11, 28), date(2024, 8, 1), 3) == [2024, 2025]
    assert due_report_years(date(2026, 11, 28), date(2026, 2, 1), 3) == []
