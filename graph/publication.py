"""Publication windows: from when until when a credit record is shown to the public.

Rules implemented (see /work/shared/DOMAIN.md):

- **NDRC Order 36** (失信行为纠正后的信用信息修复管理办法, in force 2026-04-01): an adverse
  record's severity tier fixes its publication period, counted from the decision date —
  轻微 (MINOR) is not published; 一般 (GENERAL) at most 1 year; 严重 (SERIOUS) at most 3 years.
  Publication stops by itself at the maximum, so the window always ends there; repair may end
  it earlier, but that is the record's status, not its window.
- **双公示**: a licence is published from its decision for as long as it is valid; 警告-only
  penalties *decided* by market regulation are not published (`warning_only_unpublished`: the
  deciding authority counts, not the department that relayed the file).
- **Counting periods** (民法典 第二百零一条、第二百零二条): the decision day itself is not counted
  and a period in months or years ends on the corresponding day of the last month, or on that
  month's last day when there is no corresponding day. So a one-year window from 2025-03-10
  ends on 2026-03-10, one from 2024-02-29 on 2025-02-28. ``publish_until`` is the last day on
  which the record is shown (inclusive).
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Final

from graph.model import (
    Label,
    ListEntryStatus,
    ListType,
    RecordKind,
    RecordStatus,
    SanctionStatus,
    SeverityTier,
)

__all__ = [
    "ADVERSE_KINDS",
    "OPEN_ENTRY_STATUSES",
    "STANDING_STATUSES",
    "add_months",
    "add_years",
    "ban_in_force",
    "black_list_entry_in_force",
    "current_record",
    "current_version",
    "is_listed",
    "is_public",
    "list_entry_in_force",
    "list_entry_listed",
    "list_entry_status",
    "maximum_period_months",
    "minimum_period_months",
    "publication_window",
    "record_counts",
    "record_published",
    "record_shared",
    "record_standing",
    "sanction_in_force",
    "warning_only_unpublished",
]

ADVERSE_KINDS: Final = frozenset(
    {
        RecordKind.PENALTY,
        RecordKind.JUDGMENT,
        RecordKind.ENFORCEMENT,
        RecordKind.ABNORMAL_OPERATION,
        RecordKind.RECTIFICATION,
        RecordKind.INTERVIEW,
        RecordKind.COMMITMENT_BREACH,
        RecordKind.LIABILITY,
        RecordKind.FALSE_LITIGATION,
    }
)
"""Record kinds that are 失信信息 and carry a `SeverityTier`."""

# Court records (判决, 失信被执行人) come with the court's own term rather than an Order 36 tier;
# without a tier they are shown for the serious-tier maximum.
_COURT_KINDS: Final = frozenset(
    {RecordKind.JUDGMENT, RecordKind.ENFORCEMENT, RecordKind.FALSE_LITIGATION}
)

# These records end when the subject leaves the state they describe (obligation performed,
# moved out of the 经营异常名录), so their window closes at ``valid_to`` if that comes first.
_ENDS_WITH_RECORD: Final = frozenset(
    {RecordKind.JUDGMENT, RecordKind.ENFORCEMENT, RecordKind.ABNORMAL_OPERATION}
)

_MAXIMUM_MONTHS: Final = {
    SeverityTier.MINOR: 0,
    SeverityTier.GENERAL: 12,
    SeverityTier.SERIOUS: 36,
}

# Windows of favourable or neutral records without an end date of their own.
_DEFAULT_MONTHS: Final = {
    RecordKind.LICENSE: 36,
    RecordKind.COMMITMENT: 36,
    RecordKind.VOLUNTARY: 36,
    RecordKind.HONOR: 36,
    RecordKind.TAX_GRADE: 12,
    # 双随机抽查结果 is supervision information, not 失信信息: what it leads to (a penalty, a
    # rectification order) is its own adverse record with an Order 36 tier. Shown for a year,
    # so a finding is never shown longer than a general-tier penalty for the same conduct.
    RecordKind.INSPECTION: 12,
    # The other acts 四(三) makes public within 7 working days. None is 失信信息 with an
    # Order 36 tier; favourable or neutral acts are shown like a licence, supervision acts
    # (强制措施, 监督检查) like an inspection result, so never longer than a general-tier penalty.
    RecordKind.CONFIRMATION: 36,
    RecordKind.LEVY: 36,
    RecordKind.BENEFIT: 36,
    RecordKind.ADJUDICATION: 36,
    RecordKind.COMPENSATION: 36,
    RecordKind.REWARD: 36,
    RecordKind.COERCION: 12,
    RecordKind.SUPERVISION_CHECK: 12,
}

MARKET_REGULATION_SECTOR: Final = "市场监管"
"""Market regulation's sector (Department.sector): its 警告-only penalties stay unpublished."""


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the last day of the target month.

    This is the 民法典 第二百零二条 rule: 2024-01-31 + 1 month is 2024-02-29, and
    2024-02-29 + 12 months is 2025-02-28. ``months`` may be negative.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    if day.day <= 28:  # every month has a 28th, so no clamping (and no calendar lookup)
        return date(year, month, day.day)
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """``day`` plus ``years`` years; 29 February becomes 28 February in a common year."""
    return add_months(day, 12 * years)


_MINIMUM_MONTHS: Final = {
    SeverityTier.MINOR: 0,
    SeverityTier.GENERAL: 3,
    SeverityTier.SERIOUS: 12,
}


def minimum_period_months(severity: SeverityTier) -> int:
    """The Order 36 minimum publication period of a tier in months: repair may be applied for
    once it has passed (counted from the decision date)."""
    return _MINIMUM_MONTHS[severity]


def maximum_period_months(severity: SeverityTier) -> int:
    """The Order 36 maximum publication period of a tier in months (0: not published)."""
    return _MAXIMUM_MONTHS[severity]


def publication_window(
    kind: RecordKind,
    severity: SeverityTier | None,
    decision_date: date,
    valid_to: date | None,
    *,
    warning_only: bool = False,
) -> tuple[date | None, date | None]:
    """Return ``(publish_from, publish_until)`` for a record; ``(None, None)`` = not published.

    Both ends are inclusive; periods are counted as in 民法典 第二百零一至二百零二条.

    Adverse kinds (`ADVERSE_KINDS`), NDRC Order 36:

    - MINOR: not published. GENERAL: decision + 1 year. SERIOUS: decision + 3 years.
    - A 警告-only penalty (``warning_only``, 双公示 rule for market regulation): not published.
    - Judgments and 失信被执行人 without a tier are shown for 3 years (the serious maximum).
    - Judgments, enforcement and 经营异常 end at ``valid_to`` (obligation performed, moved out
      of the directory) when that comes before the tier's maximum.
    - Penalties, interviews and rectification orders without a tier raise `ValueError`: the
      tier is what fixes their period, so guessing one would publish too long or too short.

    Favourable and neutral kinds (the period is this module's choice where no rule fixes one):

    - Licence (双公示), credit commitment, voluntary registration: until ``valid_to``, or
      decision + 3 years when open-ended.
    - Honour (表彰奖励): decision + 3 years, whatever its ``valid_to``.
    - Tax credit grade: until ``valid_to`` (the next evaluation), or decision + 1 year.
    - 双随机抽查结果 (INSPECTION, neutral whatever the outcome): decision + 1 year.

    Raises `ValueError` when ``valid_to`` is before the decision or ``warning_only`` is given
    for anything but a penalty.
    """
    if valid_to is not None and valid_to < decision_date:
        raise ValueError("valid_to is before the decision date")
    if warning_only and kind is not RecordKind.PENALTY:
        raise ValueError("warning_only applies to administrative penalties only")
    if warning_only:
        return None, None

    if kind in ADVERSE_KINDS:
        if severity is None:
            if kind not in _COURT_KINDS:
                raise ValueError(f"an adverse record of kind {kind.value} needs a severity tier")
            months = _MAXIMUM_MONTHS[SeverityTier.SERIOUS]
        else:
            months = _MAXIMUM_MONTHS[severity]
        if months == 0:
            return None, None
        until = add_months(decision_date, months)
        if kind in _ENDS_WITH_RECORD and valid_to is not None:
            until = min(until, valid_to)
        return decision_date, until

    default = add_months(decision_date, _DEFAULT_MONTHS[kind])
    if kind is RecordKind.HONOR or valid_to is None:
        return decision_date, default
    return decision_date, valid_to


def warning_only_unpublished(
    kind: RecordKind, categories: str | None, decider_sector: str | None
) -> bool:
    """Whether a record is a 警告-only penalty decided by market regulation (双公示: not published).

    ``categories`` is the 处罚类别 as stored (several joined by ``、``); ``decider_sector`` is
    the sector of the *deciding* authority (处罚机关). Who sent the file does not matter: a
    warning relayed by the big-data office is still market regulation's warning.
    """
    if kind is not RecordKind.PENALTY or not categories:
        return False
    return set(categories.split("、")) == {"警告"} and decider_sector == MARKET_REGULATION_SECTOR


def is_public(publish_from: date | None, publish_until: date | None, on: date) -> bool:
    """Whether a record with this window is shown on day ``on`` (both ends inclusive)."""
    if publish_from is None or publish_until is None:
        return False
    return publish_from <= on <= publish_until


# -- named predicates: each rule stated once, as Cypher over a node variable ------------------
# `today` is a Cypher expression for the Beijing date, normally a query parameter holding
# `china_today()`: the server's `date()` is UTC, so from 00:00 to 08:00 Beijing time it would
# still be yesterday.
STANDING_STATUSES: Final = (RecordStatus.EFFECTIVE.value, RecordStatus.UNDER_OBJECTION.value)
"""Record statuses that stand (may be published): effective or under objection."""
_PUBLISHED_STATUSES: Final = STANDING_STATUSES
_UNSHARED_STATUSES: Final = (RecordStatus.REPAIRED.value, RecordStatus.REVOKED.value)
OPEN_ENTRY_STATUSES: Final = (ListEntryStatus.ACTIVE.value, ListEntryStatus.ANNOUNCED.value)
"""List-entry statuses that have not ended: in force, or a red-list candidate announced."""


def _literals(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{value}'" for value in values) + "]"


def current_version(node: str) -> str:
    """Cypher: the record (or evaluation, voluntary item …) is the current version of its key;
    older versions stay as history behind ``SUPERSEDES``."""
    return f"{node}.current = true"


def current_record(node: str, key: str) -> str:
    """Cypher: ``MATCH`` the current version of the record whose natural key is the expression
    `key` as `node`, ending in its ``WHERE`` (add conditions with ``AND``)."""
    return f"MATCH ({node}:{Label.RECORD} {{key: {key}}}) WHERE {current_version(node)} "


def record_standing(node: str) -> str:
    """Cypher: the record is the current version and stands — effective or under objection,
    neither repaired, revoked nor superseded — whatever its publication window (risk signals
    count the decisions of a period, not what is on show)."""
    return f"{current_version(node)} AND {node}.status IN {_literals(_PUBLISHED_STATUSES)}"


def record_published(node: str, today: str) -> str:
    """Cypher: the record is shown to the public on `today` (effective or under objection,
    inside its publication window; a repaired or revoked record never is)."""
    # The IS NOT NULL guards keep it a boolean (never null) for a record that has no window.
    return (
        f"{node}.status IN {_literals(_PUBLISHED_STATUSES)} "
        f"AND {node}.publishFrom IS NOT NULL AND {node}.publishUntil IS NOT NULL "
        f"AND {node}.publishFrom <= {today} AND {today} <= {node}.publishUntil"
    )


def record_counts(node: str, today: str) -> str:
    """Cypher: the record counts on `today` — the current version, published
    (`record_published`). What the evaluation and the reports weigh."""
    return f"{current_version(node)} AND {record_published(node, today)}"


def record_shared(node: str) -> str:
    """Cypher: the record may still be shared beyond its publication (六(六): repair, like
    revocation, stops sharing with departments and every third party; only the finding
    department and the credit office keep the history)."""
    return f"NOT {node}.status IN {_literals(_UNSHARED_STATUSES)}"


def list_entry_in_force(node: str, today: str) -> str:
    """Cypher: the list entry is in force on `today` — active and not past its
    ``effectiveUntil`` (the last day it applies, inclusive), whether or not the expiry job
    (graph/lifecycle/list_removal.py `expire_list_entries`) has marked it yet."""
    return (
        f"{node}.status = '{ListEntryStatus.ACTIVE.value}' "
        f"AND ({node}.effectiveUntil IS NULL OR {today} <= {node}.effectiveUntil)"
    )


def sanction_in_force(node: str, today: str) -> str:
    """Cypher: the measure (or ban) is applied on `today` — active, inside its own period, and
    its list entry, when it has one, in force by its date too (`list_entry_in_force`)."""
    return (
        f"{node}.status = '{SanctionStatus.ACTIVE.value}' "
        f"AND ({node}.from IS NULL OR {node}.from <= {today}) "
        f"AND ({node}.until IS NULL OR {today} <= {node}.until) "
        f"AND NOT EXISTS {{ MATCH ({node})-[:UNDER]->(under_entry:ListEntry) "
        f"WHERE NOT ({list_entry_in_force('under_entry', today)}) }}"
    )


def black_list_entry_in_force(node: str, today: str) -> str:
    """Cypher: the entry is a black-list (失信主体名单) entry in force on `today`."""
    return f"{node}.listType = '{ListType.BLACK.value}' AND {list_entry_in_force(node, today)}"


def ban_in_force(node: str, today: str) -> str:
    """Cypher: the entry ban (``(:Sanction:Ban)``, 六(四)) keeps its subject out on `today`.
    A ban is a sanction, so this is `sanction_in_force`: one rule for the hub's ``banned``
    flags, the risk contagion signal and ``applicableMeasures``."""
    return sanction_in_force(node, today)


def list_entry_listed(node: str, today: str) -> str:
    """Cypher: the entry is shown as listed on `today`: in force, or a red-list candidate in
    its announcement (公示中), and not past ``effectiveUntil``."""
    return (
        f"{node}.status IN {_literals(OPEN_ENTRY_STATUSES)} "
        f"AND ({node}.effectiveUntil IS NULL OR {today} <= {node}.effectiveUntil)"
    )


def list_entry_status(node: str, today: str) -> str:
    """Cypher: the entry's state as of `today` — 已到期 (EXPIRED) once past ``effectiveUntil``,
    even before the expiry job has recorded it."""
    return (
        f"CASE WHEN {node}.status IN {_literals(OPEN_ENTRY_STATUSES)} "
        f"AND {node}.effectiveUntil < {today} THEN '{ListEntryStatus.EXPIRED.value}' "
        f"ELSE {node}.status END"
    )


def is_listed(status: str | None, effective_until: date | None, on: date) -> bool:
    """`list_entry_listed` for an entry already read: in force or announced on day ``on``."""
    return status in OPEN_ENTRY_STATUSES and (effective_until is None or on <= effective_until)
