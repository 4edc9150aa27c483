"""重错码治理: duplicate and erroneous unified social credit codes, against the 1/10,000 target.

Two kinds of problem, as the plan names them:

- **Erroneous codes (错码).** A code whose check characters fail (GB 32100 / GB 11714), whose
  category (positions 1-2) is unknown, whose region (positions 3-8) is not a region code at all,
  or whose category contradicts what the entity is (a 个体工商户 registered under 91, a company
  under 92). Codes the loaders refused at the gate are counted from the quarantine; codes in the
  graph (reviewed overrides, data loaded before the checks) from the graph.
- **Duplicate codes (重码).** One code standing for different entities: records whose subject
  name under a code matches neither the registered name nor any earlier registered name of that
  code, registration feeds that sent one code with two different names, and provisional subjects
  (待登记核实, created from a decision or a shareholding before the registration feed named them)
  whose name as fed disagrees with the name the registration feed then gave.

The rate is the number of problem codes over the number of distinct codes seen.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Final

from graph.database import Database
from graph.identifiers import validate_uscc
from graph.model import Label
from graph.publication import current_version
from loaders.feed_kinds import FEED_KINDS, FeedKind

__all__ = ["TARGET_RATE", "CodeProblem", "UsccReport", "render", "uscc_report"]

TARGET_RATE: Final = 1 / 10_000
"""The plan's target: fewer than one duplicate or erroneous code in ten thousand."""

# GB/T 2260 province-level prefixes (and 71 台湾, 81 香港, 82 澳门). A region whose first two
# digits are not among them cannot be a real registering authority.
_PROVINCES: Final = frozenset(
    ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
     "65", "71", "81", "82")
)  # fmt: skip


@dataclass(frozen=True)
class CodeProblem:
    """One problem code with where it was seen."""

    code: str
    kind: str  # "ERRONEOUS" or "DUPLICATE"
    reason: str
    where: tuple[str, ...]


@dataclass
class UsccReport:
    """The governance figures."""

    codes_seen: int = 0
    problems: list[CodeProblem] = field(default_factory=list)
    awaiting_registration: int = 0
    """Provisional subjects (待登记核实) the registration feed has not completed yet."""

    @property
    def problem_codes(self) -> int:
        """Distinct codes with at least one problem."""
        return len({p.code for p in self.problems})

    @property
    def rate(self) -> float:
        """Problem codes per code seen."""
        return self.problem_codes / self.codes_seen if self.codes_seen else 0.0

    @property
    def meets_target(self) -> bool:
        """Whether the rate is below the plan's 1/10,000."""
        return self.rate < TARGET_RATE


def _name_key(name: str | None) -> str:
    folded = unicodedata.normalize("NFKC", name or "")
    return re.sub(r"\s+", "", folded)


def _category_mismatch(code: str, entity_type: str | None) -> str | None:
    category = code[:2]
    kind = entity_type or ""
    if "个体" in kind and category != "92":
        return f"市场主体类型为个体工商户，机构类别码应为92，实为{category}"
    if "合作社" in kind and category != "93":
        return f"市场主体类型为农民专业合作社，机构类别码应为93，实为{category}"
    if category == "92" and kind and "个体" not in kind:
        return f"机构类别码92(个体工商户)与市场主体类型“{kind}”不符"
    return None


def _erroneous(code: str, entity_type: str | None) -> list[str]:
    reasons = [p.reason for p in validate_uscc(code)]
    if len(code) == 18 and code[2:4] not in _PROVINCES:
        reasons.append(f"行政区划码{code[2:8]}不是有效的区划代码 (no such region)")
    mismatch = _category_mismatch(code, entity_type) if len(code) == 18 else None
    if mismatch:
        reasons.append(mismatch + " (category contradicts the entity type)")
    return reasons


async def uscc_report(db: Database) -> UsccReport:
    """Scan the graph and the quarantine for duplicate and erroneous codes."""
    report = UsccReport()
    seen: set[str] = set()

    entities = await db.read(
        "MATCH (e:Enterprise) "
        "OPTIONAL MATCH (e)-[:PREVIOUS_REVISION*]->(rev:EnterpriseRevision) "
        "RETURN e.uscc AS code, e.name AS name, e.entityType AS type, "
        "collect(rev.name) AS formerNames, coalesce(e.provisional, false) AS provisional, "
        "e.provisionalName AS fedName, e.provisionalBatch AS fedBatch"
    )
    names: dict[str, set[str]] = {}
    for row in entities:
        code = row["code"]
        seen.add(code)
        if row["provisional"]:
            report.awaiting_registration += 1
        elif row["fedName"] and _name_key(row["fedName"]) != _name_key(row["name"]):
            report.problems.append(
                CodeProblem(
                    code,
                    "DUPLICATE",
                    f"待登记核实主体报送名称“{row['fedName']}”与登记名称“{row['name']}”不一致 "
                    "(the name a decision gave differs from the registered one)",
                    (f"{row['fedBatch']}",),
                )
            )
        names[code] = {_name_key(row["name"]), *(_name_key(n) for n in row["formerNames"])}
        reasons = _erroneous(code, row["type"])
        if reasons:
            report.problems.append(
                CodeProblem(code, "ERRONEOUS", "; ".join(reasons), (f"Enterprise {row['name']}",))
            )

    subjects = await db.read(
        f"MATCH (r:{Label.RECORD}) WHERE {current_version('r')} AND r.subjectCode IS NOT NULL "
        "RETURN r.subjectCode AS code, r.subjectName AS name, "
        "collect(r.key)[..5] AS keys"
    )
    foreign: dict[str, list[str]] = defaultdict(list)
    for row in subjects:
        code = row["code"]
        seen.add(code)
        if row["name"] and code in names and _name_key(row["name"]) not in names[code]:
            foreign[code].append(f"{row['name']} ({', '.join(row['keys'])})")
    for code, where in foreign.items():
        report.problems.append(
            CodeProblem(
                code,
                "DUPLICATE",
                "同一代码对应不同主体名称 (one code, different entities)",
                tuple(where),
            )
        )

    quarantined = await db.read(
        "MATCH (q:QuarantinedRow) "
        "WITH q, [i IN range(0, size(q.codes) - 1) WHERE q.codes[i] STARTS WITH $uscc "
        "  OR (q.codes[i] = $duplicate AND q.batchId STARTS WITH 'registration-')] AS hits "
        "WHERE size(hits) > 0 "
        "RETURN q.batchId AS batch, q.rowNumber AS row, q.cells AS cells, "
        "[i IN hits | q.codes[i]] AS codes, [i IN hits | q.reasons[i]] AS reasons, "
        "[i IN hits | q.fields[i]] AS fields",
        # Quarantine codes (loaders/fields.py, pipeline.py) are parameters, not Cypher text.
        {"uscc": "USCC_", "duplicate": "DUPLICATE_KEY"},
    )
    for row in quarantined:
        cells = json.loads(row["cells"])
        kind = FEED_KINDS.get(row["batch"].split("-", 1)[0])
        for code_name, reason, column in zip(
            row["codes"], row["reasons"], row["fields"], strict=True
        ):
            value = _cell_for(cells, kind, column) or f"{row['batch']}#{row['row']}"
            seen.add(value)
            problem = "DUPLICATE" if code_name == "DUPLICATE_KEY" else "ERRONEOUS"
            report.problems.append(
                CodeProblem(value, problem, reason, (f"{row['batch']} 第{row['row']}行",))
            )
    report.codes_seen = len(seen)
    return report


def _cell_for(cells: dict[str, object], kind: FeedKind | None, column: str) -> str | None:
    """The code as sent, found under any header of the problem's column."""
    if kind is None:
        return None
    # A whole-row problem (a duplicate registration) is about the entity's own code.
    name = column or ("uscc" if kind.code == "registration" else "subjectUscc")
    try:
        headers = kind.column(name).headers
    except KeyError:
        return None
    for header in headers:
        value = cells.get(header)
        if value:
            return str(value).strip()
    return None


def render(report: UsccReport) -> str:
    """The report as text, offending codes listed."""
    verdict = "达标" if report.meets_target else "未达标"
    lines = [
        "统一社会信用代码重错码治理报告",
        f"代码总数 (codes seen)        {report.codes_seen}",
        f"问题代码 (problem codes)     {report.problem_codes}",
        f"重错码率 (rate)              {report.rate:.6f}  目标 < {TARGET_RATE:.4f}  {verdict}",
        f"待登记核实 (provisional)     {report.awaiting_registration}",
        "",
    ]
    for problem in sorted(report.problems, key=lambda p: (p.kind, p.code)):
        label = "重码" if problem.kind == "DUPLICATE" else "错码"
        lines.append(f"[{label}] {problem.code}  {problem.reason}")
        lines.extend(f"        {where}" for where in problem.where)
    return "\n".join(lines)
