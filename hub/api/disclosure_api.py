"""双公示: the administrative licences and penalties the city publishes, newest first (四(三)).

`disclosedRecords` is the listing the disclosure site (信用舞钢) shows: current versions of
licence and penalty records inside their publication window — effective or under objection,
between ``publishFrom`` and ``publishUntil`` — optionally of one deciding department (决定机关)
and a range of decision dates. Repaired, revoked, superseded and expired records are never in
it, whoever asks: that is what "disclosed" means. The sharing catalogue's row rule for the
consumer is compiled into the same ``MATCH`` on top (like every graph-backed list), so totals
count only rows the consumer may see, and its field rules decide every field of the records.

The records are listed without their subject: rows of every subject are matched at once, so
fields shared per subject (consent, membership, own data) are withheld here and served only
through the subject's own ``records``.

Both listings search, as 信用中国's 双公示 pages do: ``documentNumber`` finds a decision by (part
of) its 文号 whatever brackets and widths were typed (〔2026〕, [2026], （2026）, full-width
digits), and ``keyword`` matches every one of its words against the record's title, 文号,
content and deciding authority and the name or code of the enterprise it is about — never a
person's name, which the public sees only de-identified. `publishedCommitments` is the same
listing of published 信用承诺 (四(二)): what enterprises committed to, with whom, and whether
they kept it.
"""

from __future__ import annotations

import datetime
import unicodedata

import strawberry

from graph.database import Row
from graph.lifecycle.base import china_today
from graph.model import Label, RecordKind, Rel
from graph.publication import current_version
from hub.api.query import GraphInfo
from hub.api.types import IN_WINDOW, RecordConnection
from hub.errors import InvalidArgument
from hub.projection import Projection, connection_value, subjects_of

DISCLOSED_KINDS = (RecordKind.LICENSE, RecordKind.PENALTY)
"""The kinds 双公示 publishes: administrative licences and administrative penalties."""

COMMITMENT_KINDS = (RecordKind.COMMITMENT,)
"""What `publishedCommitments` lists: the 信用承诺 made (a breach is an adverse record)."""

DISCLOSURE_ORDER = "r.decisionDate DESC, r.uid"

MAX_SEARCH_LENGTH = 100
"""Longest ``keyword`` or ``documentNumber`` accepted (as long as the site's search box)."""

MAX_KEYWORDS = 5
"""Words of a ``keyword`` search; each must match, so more would only narrow to nothing."""

_OPENING = "〔【（([{〖［"
_CLOSING = "〕】）)]}〗］"
_BRACKETS = str.maketrans(_OPENING + _CLOSING, "[" * len(_OPENING) + "]" * len(_CLOSING))


def normalised_document_number(text: str) -> str:
    """A 文号 as compared: NFKC (full-width digits and brackets), every kind of bracket one
    square bracket, no spaces — so ``舞市监罚[2026]31号`` finds ``舞市监罚〔2026〕31号``."""
    return "".join(unicodedata.normalize("NFKC", text).translate(_BRACKETS).split())


def _normalised_cypher(expression: str) -> str:
    """`normalised_document_number` of a Cypher string `expression`, in Cypher."""
    folded = f"normalize({expression}, NFKC)"
    for bracket in sorted(set(unicodedata.normalize("NFKC", _OPENING + _CLOSING))):
        target = "[" if bracket in unicodedata.normalize("NFKC", _OPENING) else "]"
        if bracket != target:
            folded = f"replace({folded}, '{bracket}', '{target}')"
    # NFKC made the ideographic space (U+3000) a plain one.
    return f"replace({folded}, ' ', '')"


def _search_text(argument: str, value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    if len(text) > MAX_SEARCH_LENGTH:
        raise InvalidArgument(
            argument, f"不超过 {MAX_SEARCH_LENGTH} 个字符 (at most {MAX_SEARCH_LENGTH} characters)"
        )
    return text or None


def _kind_names(kinds: list[RecordKind] | None) -> list[str]:
    if kinds is None:
        return [kind.value for kind in DISCLOSED_KINDS]
    if not kinds:
        raise InvalidArgument("kinds", "must not be empty (omit it for licences and penalties)")
    others = sorted({kind.value for kind in kinds} - {kind.value for kind in DISCLOSED_KINDS})
    if others:
        raise InvalidArgument(
            "kinds",
            "双公示只公示行政许可和行政处罚 (only LICENSE and PENALTY are disclosed here); "
            f"not {', '.join(others)}",
        )
    return sorted({kind.value for kind in kinds})


def _department_code(department: str | None) -> str | None:
    if department is None:
        return None
    code = department.strip().upper()
    return code or None


def _search_conditions(
    p: Projection, keyword: str | None, document_number: str | None
) -> list[str]:
    """Cypher conditions on `r` for a keyword and a 文号 search (public fields only)."""
    conditions: list[str] = []
    number = _search_text("documentNumber", document_number)
    if number is not None:
        wanted = normalised_document_number(number)
        conditions.append(
            f"r.documentNumber IS NOT NULL AND "
            f"{_normalised_cypher('r.documentNumber')} CONTAINS {p.param(wanted)}"
        )
    words = _search_text("keyword", keyword)
    if words is not None:
        terms = words.split()
        if len(terms) > MAX_KEYWORDS:
            raise InvalidArgument(
                "keyword", f"最多 {MAX_KEYWORDS} 个词 (at most {MAX_KEYWORDS} words)"
            )
        for term in terms:
            t = p.param(term)
            number_term = p.param(normalised_document_number(term))
            code = p.param(term.upper())
            # The subject only when an enterprise: a person's name is not public (masked).
            conditions.append(
                f"(r.title CONTAINS {t} OR r.content CONTAINS {t} "
                f"OR r.issuingAuthority CONTAINS {t} "
                f"OR (r.documentNumber IS NOT NULL AND "
                f"{_normalised_cypher('r.documentNumber')} CONTAINS {number_term}) "
                f"OR EXISTS {{ MATCH (r)-[:{Rel.HAS_SUBJECT}]->(kw:{Label.ENTERPRISE}) "
                f"WHERE kw.name CONTAINS {t} OR kw.uscc = {code} }})"
            )
    return conditions


async def _published_listing(
    info: GraphInfo,
    kinds: list[str],
    *,
    department: str | None,
    decided_from: datetime.date | None,
    decided_to: datetime.date | None,
    keyword: str | None,
    document_number: str | None,
) -> Row:
    """Current, published records of `kinds` as the consumer may see them, newest first."""
    if decided_from is not None and decided_to is not None and decided_from > decided_to:
        raise InvalidArgument("decidedFrom", "must not be after decidedTo")
    context = info.context
    p = context.projection(info)
    selection = p.root_selection()
    conditions = [
        f"r.kind IN {p.param(kinds)}",
        # With the kind, this lets the planner seek the (kind, decisionDate) index
        # (migration 0002) instead of scanning every record; a 双公示 record has a date.
        "r.decisionDate IS NOT NULL",
        current_version("r"),
        # Judged on the request's Beijing date, a parameter (Cypher's date() is UTC).
        IN_WINDOW.format(
            node="r", today=p.param(p.enforcer.today if p.enforcer else china_today())
        ),
    ]
    code = _department_code(department)
    if code is not None:
        conditions.append(f"r.issuingAuthorityCode = {p.param(code)}")
    if decided_from is not None:
        conditions.append(f"r.decisionDate >= {p.param(decided_from)}")
    if decided_to is not None:
        conditions.append(f"r.decisionDate <= {p.param(decided_to)}")
    conditions += _search_conditions(p, keyword, document_number)
    scope = {"node": "r"}
    conditions += p.row_conditions(selection, scope)
    match = "MATCH (r:Record) WHERE " + " AND ".join(conditions)
    value = connection_value(
        p,
        selection,
        "r",
        scope=scope,
        source=match,
        order=DISCLOSURE_ORDER,
    )
    rows = await context.db.read(
        f"RETURN {value} AS data", p.params, metadata={"requestId": context.request_id}
    )
    subjects_of(rows, context.subjects)
    data: Row = rows[0]["data"]
    return data


@strawberry.type
class DisclosureQuery:
    @strawberry.field(
        description="双公示: current licence and penalty records inside their publication "
        "window, newest decision first; optionally of one deciding department (决定机关, by its "
        "统一社会信用代码), decided within a date range (both ends inclusive), with a 文号 "
        "containing `documentNumber` (brackets and widths as typed) and matching every word of "
        "`keyword` (title, 文号, content, authority, or the enterprise's name or code)",
        graphql_type=RecordConnection,
    )
    async def disclosed_records(
        self,
        info: GraphInfo,
        kinds: list[RecordKind] | None = None,
        department: str | None = None,
        decided_from: datetime.date | None = None,
        decided_to: datetime.date | None = None,
        first: int | None = 20,
        after: str | None = None,
        keyword: str | None = None,
        document_number: str | None = None,
    ) -> Row:
        return await _published_listing(
            info,
            _kind_names(kinds),
            department=department,
            decided_from=decided_from,
            decided_to=decided_to,
            keyword=keyword,
            document_number=document_number,
        )

    @strawberry.field(
        description="信用承诺: published credit commitments (current versions inside their "
        "publication window), newest first; optionally accepted by one organisation (by its "
        "统一社会信用代码) and matching every word of `keyword` (item, text, number, the "
        "accepting organisation, or the enterprise's name or code)",
        graphql_type=RecordConnection,
    )
    async def published_commitments(
        self,
        info: GraphInfo,
        keyword: str | None = None,
        department: str | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Row:
        return await _published_listing(
            info,
            [kind.value for kind in COMMITMENT_KINDS],
            department=department,
            decided_from=None,
            decided_to=None,
            keyword=keyword,
            document_number=None,
        )
