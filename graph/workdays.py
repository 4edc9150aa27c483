"""The mainland China working-day calendar, for 双公示 deadlines and other working-day periods.

Rules:

* A working day is a Monday to Friday that is not inside a statutory holiday range (放假), or a
  Saturday or Sunday that the State Council's notice makes a working day (调休上班). Weekends
  alone are not enough: 调休 moves working days onto weekends every year, so a calendar that
  only skips Saturdays and Sundays gets most holiday-season deadlines wrong.
* The dates come from ``cn_calendar.toml``, one table per year copied from that year's notice
  (国务院办公厅关于XXXX年部分节假日安排的通知, published in the autumn before). The notices are
  political decisions (2019's 劳动节 and 2020's 春节 were changed after publication), so a date
  in a year with no table raises `CalendarNotCovered` instead of quietly counting wrong days.
* A year whose notice is not yet available may have a *provisional* table: only what the law
  itself fixes (全国年节及纪念日放假办法 第二条's statutory days, and 第四条's 补假 when one
  falls on a weekend), no 调休. Swaps move working days without changing their number, so a
  provisional count is off by a few days at most, and only around a festival;
  `provisional_between` tells callers to flag such an answer. Without it, every deadline
  reaching into the new year would stop the network from mid-December until the notice is
  copied in.
* Counting follows 民法典 第二百零一条: a period starts on the day after the event, so "within 7
  working days of the decision" ends on the 7th working day after the decision day, and the
  decision day itself never counts even when it is a working day.

The calendar precomputes, for every day of the covered span, how many working days there are up
to it; adding or counting working days is then two list lookups, because the bulk loaders call
`publish_by` once per record (about a million times per load).
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
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
    """Working days of the covered years, precomputed for constant-time counting.

    ``holidays`` and ``extra_working_days`` may hold days outside ``years`` (a 元旦 range that
    starts in an uncovered December); they are kept for ``holiday_names`` but never counted.
    """

    holidays: frozenset[datetime.date]
    extra_working_days: frozenset[datetime.date]
    years: frozenset[int]
    # Covered years whose table is the statutory days only, awaiting the State Council notice.
    provisional_years: frozenset[int] = frozenset()
    # A mapping is not hashable; leaving it out of the hash keeps the calendar usable as a key.
    holiday_names: Mapping[datetime.date, str] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    # Ordinal of 1 January of the first covered year: day index i is ordinal _base + i.
    _base: int = field(init=False, repr=False, compare=False)
    # Every working day of the covered years, ascending. Kept as date objects, not ordinals:
    # date.fromordinal costs more than the rest of add_working_days put together.
    _working: tuple[datetime.date, ...] = field(init=False, repr=False, compare=False)
    # _upto[i]: working days on or before day i since _base, i.e. the index in _working of the
    # first working day after day i; -1 for a day in an uncovered year between covered ones.
    _upto: tuple[int, ...] = field(init=False, repr=False, compare=False)
    # _limit[i]: working days up to the end of the run of consecutive covered years holding day
    # i; a count that would reach index _limit[i] needs the first uncovered year after the run.
    _limit: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.years:
            raise ValueError("a working-day calendar needs at least one covered year")
        first_year, last_year = min(self.years), max(self.years)
        base = datetime.date(first_year, 1, 1).toordinal()
        end = datetime.date(last_year, 12, 31).toordinal()
        holidays = {d.toordinal() for d in self.holidays}
        extra = {d.toordinal() for d in self.extra_working_days}
        working: list[datetime.date] = []
        upto: list[int] = []
        run_of: list[int] = []  # which run of consecutive covered years each day belongs to
        run_ends: list[int] = []  # working days up to the end of each run
        run, covered_before = -1, False
        for n in range(base, end + 1):
            day = datetime.date.fromordinal(n)
            year = day.year
            covered = year in self.years
            if covered and not covered_before:
                run += 1
                run_ends.append(0)
            covered_before = covered
            if not covered:
                upto.append(-1)
                run_of.append(-1)
                continue
            if n in extra or (day.weekday() < 5 and n not in holidays):
                working.append(day)
            upto.append(len(working))
            run_of.append(run)
            run_ends[run] = len(working)
        object.__setattr__(self, "_base", base)
        object.__setattr__(self, "_working", tuple(working))
        object.__setattr__(self, "_upto", tuple(upto))
        object.__setattr__(self, "_limit", tuple(run_ends[r] if r >= 0 else -1 for r in run_of))

    def covers(self, day: datetime.date) -> bool:
        """Whether ``day``'s year has its holiday notice in the calendar."""
        return day.year in self.years

    def provisional_between(self, start: datetime.date, end: datetime.date) -> bool:
        """Whether a count from ``start`` to ``end`` crosses a year with a provisional table."""
        low, high = min(start, end).year, max(start, end).year
        return any(low <= year <= high for year in self.provisional_years)

    def _index(self, day: datetime.date) -> int:
        i = day.toordinal() - self._base
        if i < 0 or i >= len(self._upto) or self._upto[i] < 0:
            raise CalendarNotCovered(day.year)
        return i

    def _uncovered_after(self, i: int) -> int:
        """The first uncovered year after the run of covered years holding day index ``i``."""
        year = datetime.date.fromordinal(self._base + i).year + 1
        while year in self.years:
            year += 1
        return year

    def is_working_day(self, day: datetime.date) -> bool:
        """Whether ``day`` is a working day; raises `CalendarNotCovered` outside the data."""
        self._index(day)
        return day in self.extra_working_days or (day.weekday() < 5 and day not in self.holidays)

    def add_working_days(self, start: datetime.date, n: int) -> datetime.date:
        """The ``n``-th working day after ``start``; ``start`` itself when ``n`` is 0.

        ``start`` need not be a working day and never counts (民法典 第二百零一条). Raises
        `ValueError` for a negative ``n`` and `CalendarNotCovered` when ``start`` or the
        answer lies in a year without a notice.
        """
        if n < 0:
            raise ValueError(f"the number of working days must not be negative, got {n}")
        # _index inlined: this is the bulk loader's hot path.
        i = start.toordinal() - self._base
        if i < 0 or i >= len(self._upto) or self._upto[i] < 0:
            raise CalendarNotCovered(start.year)
        if n == 0:
            return start
        k = self._upto[i] + n - 1
        if k >= self._limit[i]:
            raise CalendarNotCovered(self._uncovered_after(i))
        return self._working[k]

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """How many working days ``d`` satisfy ``start < d <= end``; 0 when ``end <= start``.

        Raises `CalendarNotCovered` when either day, or a year between them, is not covered.
        """
        if end <= start:
            return 0
        i, j = self._index(start), self._index(end)
        if self._limit[i] != self._limit[j]:
            raise CalendarNotCovered(self._uncovered_after(i))
        return self._upto[j] - self._upto[i]


def _as_date(value: object, where: str) -> datetime.date:
    # tomllib reads local date-times as datetime.datetime, a subclass of date: refuse them.
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise ValueError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
    return value


def _in_notice_year(day: datetime.date, year: int) -> bool:
    # A 元旦 range and its 调休 day may start in the December before the notice's year.
    return day.year == year or (day.year == year - 1 and day.month == 12)


def _holiday_range(
    entry: object, year: int, where: str
) -> tuple[str, datetime.date, datetime.date]:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: must be a table {{ name, first, last }}")
    name, first, last = entry.get("name"), entry.get("first"), entry.get("last")
    label = f"{where} ({name})" if isinstance(name, str) and name else where
    if set(entry) != {"name", "first", "last"}:
        raise ValueError(f"{label}: needs exactly the keys name, first, last; has {sorted(entry)}")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{label}: name must be a non-empty string")
    first, last = _as_date(first, f"{label} first"), _as_date(last, f"{label} last")
    if last < first:
        raise ValueError(f"{label}: last ({last}) is before first ({first})")
    if not _in_notice_year(first, year) or last.year != year:
        raise ValueError(f"{label}: {first}..{last} is not in {year}, the year of its table")
    return name, first, last


def _year_table(
    source: str, key: str, table: object
) -> tuple[int, list[tuple[str, datetime.date, datetime.date]], list[datetime.date], bool]:
    if not (len(key) == 4 and key.isdigit()) or not isinstance(table, dict):
        raise ValueError(f"{source}: [{key}] must be a year table such as [2026]")
    year = int(key)
    unknown = set(table) - {"notice", "holidays", "working_days", "provisional", "basis"}
    if unknown:
        raise ValueError(f"{source}: [{year}] has unknown keys {sorted(unknown)}")
    provisional = table.get("provisional", False)
    if not isinstance(provisional, bool):
        raise ValueError(f"{source}: [{year}] provisional must be true or false")
    if provisional:
        if "notice" in table or table.get("working_days"):
            raise ValueError(
                f"{source}: [{year}] is provisional: it has no notice and no 调休 working days; "
                "when the notice appears, replace the table with the notice's dates"
            )
        basis = table.get("basis")
        if not isinstance(basis, str) or not basis.strip():
            raise ValueError(f"{source}: [{year}] provisional needs basis = the law it follows")
    else:
        if "basis" in table:
            raise ValueError(f"{source}: [{year}] basis is only for a provisional table")
        notice = table.get("notice")
        if not isinstance(notice, str) or str(year) not in notice:
            raise ValueError(f"{source}: [{year}] needs notice = the title of the {year} notice")
    raw_holidays, raw_working = table.get("holidays"), table.get("working_days", [])
    if not isinstance(raw_holidays, list) or not raw_holidays:
        raise ValueError(f"{source}: [{year}] needs a non-empty holidays = [...] list")
    if not isinstance(raw_working, list):
        raise ValueError(f"{source}: [{year}] working_days must be a list of dates")
    ranges: list[tuple[str, datetime.date, datetime.date]] = []
    for k, entry in enumerate(raw_holidays, start=1):
        name, first, last = _holiday_range(entry, year, f"{source}: [{year}] holiday #{k}")
        if ranges and first <= ranges[-1][2]:
            raise ValueError(
                f"{source}: [{year}] holiday #{k} ({name}) starts on {first}, not after the "
                f"previous range ({ranges[-1][0]}, ending {ranges[-1][2]}): list ranges in "
                f"date order without overlap"
            )
        ranges.append((name, first, last))
    working: list[datetime.date] = []
    for day in raw_working:
        where = f"{source}: [{year}] working day {day}"
        day = _as_date(day, where)
        if day.weekday() < 5:
            raise ValueError(
                f"{where}: is a {day:%A}; a 调休 working day must be a Saturday or Sunday"
            )
        if not _in_notice_year(day, year):
            raise ValueError(f"{where}: is not in {year}, the year of its table")
        working.append(day)
    return year, ranges, working, provisional


def load_calendar(path: Path | None = None) -> WorkdayCalendar:
    """Read and check a calendar file (default: the packaged ``cn_calendar.toml``).

    Raises `ValueError` naming the file, the year and the offending entry when the file is
    malformed: a range whose last day precedes its first, overlapping ranges, a 调休 day that
    is not a Saturday or Sunday or falls inside a holiday, or a date outside its table's year.
    """
    source = path or CALENDAR_FILE
    try:
        data: dict[str, Any] = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source.name}: not valid TOML: {exc}") from exc
    if not data:
        raise ValueError(f"{source.name}: no year tables")
    names: dict[datetime.date, str] = {}
    working: dict[datetime.date, int] = {}
    years: set[int] = set()
    provisional: set[int] = set()
    for key, table in data.items():
        year, ranges, days, is_provisional = _year_table(source.name, key, table)
        years.add(year)
        if is_provisional:
            provisional.add(year)
        for name, first, last in ranges:
            for n in range(first.toordinal(), last.toordinal() + 1):
                day = datetime.date.fromordinal(n)
                if day in names:
                    raise ValueError(
                        f"{source.name}: [{year}] holiday {name} ({first}..{last}) overlaps "
                        f"{names[day]} on {day}"
                    )
                names[day] = name
        for day in days:
            if day in working:
                raise ValueError(f"{source.name}: [{year}] working day {day} is listed twice")
            working[day] = year
    # Checked after every table is read, since a 调休 day may sit in another year's table.
    for day, year in working.items():
        if day in names:
            raise ValueError(
                f"{source.name}: [{year}] working day {day} lies inside the {names[day]} holiday"
            )
    return WorkdayCalendar(
        holidays=frozenset(names),
        extra_working_days=frozenset(working),
        years=frozenset(years),
        provisional_years=frozenset(provisional),
        holiday_names=MappingProxyType(names),
    )


@cache
def mainland_calendar() -> WorkdayCalendar:
    """The packaged mainland calendar, read and checked once per process."""
    return load_calendar()


def publish_by(
    decision: datetime.date,
    calendar: WorkdayCalendar | None = None,
    working_days: int = PUBLICATION_DEADLINE_WORKING_DAYS,
) -> datetime.date:
    """The last day a decision may be published on: ``working_days`` working days after it.

    双公示 requires licences and penalties to be published within 7 working days of the
    decision; the decision day does not count. Raises `CalendarNotCovered` when the deadline
    would need a year whose notice is not in the calendar.
    """
    return (calendar or mainland_calendar()).add_working_days(decision, working_days)
