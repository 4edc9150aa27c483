"""The GraphQL side of credit reports: issue one, verify a number.

`issueCreditReport` reads the enterprise through this same schema *as the caller* (see
hub/reports/data.py), so the sharing catalogue decides whether the caller gets the public or
the full edition; `verifyCreditReport` is public and tells only that a report with that number
was issued, for which enterprise, when, in which edition, with which content hash. Who may
issue is the catalogue's ``operations.issueCreditReport``; the content itself is read at
``/reports/{number}.html`` or ``.pdf``.
"""

from __future__ import annotations

import datetime
from urllib.parse import quote

import strawberry

from hub.api.query import GraphInfo
from hub.errors import InvalidArgument
from hub.reports.edition import ReportEdition
from hub.reports.issuing import issue_report
from hub.reports.numbering import NUMBER_FORMAT, normalise_number
from hub.reports.store import StoredReport, load

COMPUTED_TYPES = ("IssuedCreditReport", "CreditReportVerification")
"""Types of this module: answered by hub/reports, not by the graph projection."""


@strawberry.type(
    description="A credit report just issued (公共信用信息报告), with where to read it"
)
class IssuedCreditReport:
    number: str = strawberry.field(description="报告编号, e.g. WG-20261129-7K3M9Q2XAB")
    uscc: str = strawberry.field(description="统一社会信用代码 of the enterprise")
    enterprise_name: str = strawberry.field(description="Name of the enterprise")
    generated_at: datetime.datetime = strawberry.field(description="生成时间 (Beijing time)")
    cutoff: datetime.date = strawberry.field(description="数据截止日期")
    edition: ReportEdition = strawberry.field(
        description="PUBLIC, or FULL when the catalogue served the conditional data"
    )
    content_hash: str = strawberry.field(description="SHA-256 of the canonical JSON content")
    html_url: str = strawberry.field(description="The report as HTML (path on this hub)")
    pdf_url: str = strawberry.field(description="The report as PDF (path on this hub)")
    verify_url: str = strawberry.field(description="The public verification page of the number")

    @classmethod
    def of(cls, report: StoredReport) -> IssuedCreditReport:
        """From the stored report."""
        return cls(
            number=report.number,
            uscc=report.uscc,
            enterprise_name=report.enterprise_name,
            generated_at=report.generated_at,
            cutoff=report.cutoff,
            edition=report.edition,
            content_hash=report.content_hash,
            html_url=f"/reports/{report.number}.html",
            pdf_url=f"/reports/{report.number}.pdf",
            verify_url=f"/reports/verify?number={quote(report.number)}",
        )


@strawberry.type(
    description="What verifying a report number proves: that the network issued it, about "
    "whom, when and with which content hash (no content)"
)
class CreditReportVerification:
    number: str = strawberry.field(description="报告编号")
    uscc: str = strawberry.field(description="统一社会信用代码 of the enterprise")
    enterprise_name: str = strawberry.field(description="Name of the enterprise at issue")
    generated_at: datetime.datetime = strawberry.field(description="生成时间 (Beijing time)")
    cutoff: datetime.date = strawberry.field(description="数据截止日期")
    edition: ReportEdition = strawberry.field(description="Public or full edition")
    content_hash: str = strawberry.field(
        description="SHA-256 of the canonical JSON content: compare with the printed report"
    )

    @classmethod
    def of(cls, report: StoredReport) -> CreditReportVerification:
        """From the stored report."""
        return cls(
            number=report.number,
            uscc=report.uscc,
            enterprise_name=report.enterprise_name,
            generated_at=report.generated_at,
            cutoff=report.cutoff,
            edition=report.edition,
            content_hash=report.content_hash,
        )


@strawberry.type
class ReportsQuery:
    @strawberry.field(
        description="Verify a credit report number (public): null when no such report was issued"
    )
    async def verify_credit_report(
        self, info: GraphInfo, number: str
    ) -> CreditReportVerification | None:
        normalised = normalise_number(number)
        if normalised is None:
            raise InvalidArgument(
                "number", f"报告编号格式应为 {NUMBER_FORMAT} (not a report number)"
            )
        report = await load(info.context.db, normalised)
        if report is None:
            return None
        info.context.audit_action("verify_credit_report", subjects={report.uscc}, detail=normalised)
        return CreditReportVerification.of(report)


@strawberry.type
class ReportsMutation:
    @strawberry.mutation(
        description="Issue the credit report (公共信用信息报告) of an enterprise to the caller: "
        "the public edition, or the full edition when the sharing catalogue serves the caller "
        "the enterprise's conditional data (itself, a bank with its consent …)"
    )
    async def issue_credit_report(self, info: GraphInfo, uscc: str) -> IssuedCreditReport:
        context = info.context
        report = await issue_report(
            context.kernel, context.consumer, uscc, request_id=context.request_id
        )
        context.audit_action("issue_credit_report", subjects={report.uscc}, detail=report.number)
        return IssuedCreditReport.of(report)
