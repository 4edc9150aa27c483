"""The mainland China working-day calendar, for 双公示 deadlines and other working-day periods.

A working day is a Monday to Friday that is not inside a statutory holiday (放假), or a
Saturday or Sunday that the State Council's notice makes a working day (调休上班). The dates
come from ``cn_calendar.toml``, one table per year from that year's notice; nothing is guessed,
so a date in a year without a notice raises `CalendarNotCovered` instead of quietly counting
the wrong days (the notice for a year appears in the November before it).

Counting follows 民法典 第二百零一条: a period starts on the day after the event, so "within 7
working days of the decision" ends on the 7th working day after the decision day.
"""

from __future__ import annotations

import bisect
import datetime
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

__all__ = [
    "CALENDAR_FILE",
    "PUBLICATION_DEADLINE_WORKING_DAYS",
    "CalendarNotCovered",
    "WorkdayCalendar",
    "load_calendar",
    "mainland_calendar",
    "publish_by",
]

CALENDAR_FILE: Final = Path(__file__).with_name("cn_calendar.toml")

PUBLICATION_DEADLINE_WORKING_DAYS: Final = 7
"""双公示: licences and penalties are published within 7 working days of the decision."""


class CalendarNotCovered(ValueError):
    """The answer needs a day of a year whose holiday notice is not in the calendar."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"the working-day calendar has no data for {year}: add 国务院办公厅关于{year}年部分"
            f"节假日安排的通知 to graph/cn_calendar.toml"
        )
        self.year = year


@dataclass(frozen=True)
class WorkdayCalendar:
    """Working days of the covered years, precomputed for fast counting."""

    holidays: frozenset[datetime.date]
    extra_working_days: frozenset[datetime.date]
    years: frozenset[int]
    holiday_names: Mapping[datetime.date, str] = field(default_factory=dict)
    # Sorted ordinals of every working day in the covered span, for bisect-based counting.
    _ordinals: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _first: int = field(init=False, repr=False, compare=False)
    _last: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        years = sorted(self.years)
        if years and years != list(range(years[0], years[-1] + 1)):
            raise ValueError(f"covered years must be consecutive, got {years}")
        first = datetime.date(years[0], 1, 1).toordinal() if years else 0
        last = datetime.date(years[-1], 12, 31).toordinal() if years else -1
        holidays = {d.toordinal() for d in self.holidays}
        extra = {d.toordinal() for d in self.extra_working_days}
        ordinals = tuple(
            n
            for n in range(first, last + 1)
            # date.fromordinal(n).weekday() == (n - 1) % 7 with Monday = 0
            if (n in extra) or ((n - 1) % 7 < 5 and n not in holidays)
        )
        object.__setattr__(self, "_ordinals", ordinals)
        object.__setattr__(self, "_first", first)
        object.__setattr__(self, "_last", last)

    def covers(self, day: datetime.date) -> bool:
        """Whether ``day``'s year is in the calendar."""
        return day.year in self.years

    def _require(self, day: datetime.date) -> int:
        if not self.covers(day):
            raise CalendarNotCovered(day.year)
        return day.toordinal()

    def is_working_day(self, day: datetime.date) -> bool:
        """Whether ``day`` is a working day."""
        n = self._require(day)
        i = bisect.bisect_left(self._ordinals, n)
        return i < len(self._ordinals) and self._ordinals[i] == n

    def add_working_days(self, start: datetime.date, n: int) -> datetime.date:
        """The ``n``-th working day after ``start`` (``start`` itself when ``n`` is 0)."""
        if n < 0:
            raise ValueError("n must not be negative")
        origin = self._require(start)
        if n == 0:
            return start
        i = bisect.bisect_right(self._ordinals, origin) + n - 1
        if i >= len(self._ordinals):
            raise CalendarNotCovered(max(self.years) + 1)
        return datetime.date.fromordinal(self._ordinals[i])

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days ``d`` with ``start < d <= end`` (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0
        a, b = self._require(start), self._require(end)
        return bisect.bisect_right(self._ordinals, b) - bisect.bisect_right(self._ordinals, a)


def _dates(entry: Mapping[str, Any], where: str) -> tuple[datetime.date, datetime.date]:
    first, last = entry.get("first"), entry.get("last")
    if not isinstance(first, datetime.date) or not isinstance(last, datetime.date):
        raise ValueError(f"{where}: `first` and `last` must be dates")
    if last < first:
        raise ValueError(f"{where}: last ({last}) is before first ({first})")
    return first, last


def load_calendar(path: Path | None = None) -> WorkdayCalendar:
    """Read and check a calendar file (default: the packaged ``cn_calendar.toml``)."""
    source = path or CALENDAR_FILE
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    holidays: dict[datetime.date, str] = {}
    working: set[datetime.date] = set()
    years: set[int] = set()
    for key, table in data.items():
        if not key.isdigit() or not isinstance(table, dict):
            raise ValueError(f"{source.name}: [{key}] must be a year table")
        year = int(key)
        years.add(year)
        for k, entry in enumerate(table.get("holidays", []), start=1):
            where = f"{source.name}: [{year}] holiday #{k} ({entry.get('name', '?')})"
            first, last = _dates(entry, where)
            if first.year != year and last.year != year:
                raise ValueError(f"{where}: not in {year}")
            for n in range(first.toordinal(), last.toordinal() + 1):
                day = datetime.date.fromordinal(n)
                holidays[day] = str(entry.get("name", ""))
        for day in table.get("working_days", []):
            where = f"{source.name}: [{year}] working day {day}"
            if not isinstance(day, datetime.date):
                raise ValueError(f"{where}: must be a date")
            if day.weekday() < 5:
                raise ValueError(f"{where}: a 调休 working day must be a Saturday or Sunday")
            if day in holidays:
                raise ValueError(f"{where}: is also a holiday")
            working.add(day)
    return WorkdayCalendar(frozenset(holidays), frozenset(working), frozenset(years), holidays)


@cache
def mainland_calendar() -> WorkdayCalendar:
    """The packaged mainland calendar, read once."""
    return load_calendar()


def publish_by(
    decision: datetime.date,
    calendar: WorkdayCalendar | None = None,
    working_days: int = PUBLICATION_DEADLINE_WORKING_DAYS,
) -> datetime.date:
    """The last day a decision may be published on: ``working_days`` working days after it."""
    return (calendar or mainland_calendar()).add_working_days(decision, working_days)
