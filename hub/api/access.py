"""What the response tells the caller about need-to-share: withheld values and filtered rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from hub.api.query import RequestContext


class AccessReport(SchemaExtension):
    """Adds ``extensions.access`` to a response whenever something was withheld.

    Unlike libraries that drop a whole node or fail the request when one field is denied, the
    hub serves what the consumer may see and lists each withheld path with its reason, and each
    list whose rows a row rule limited, citing the catalogue entry.
    """

    def on_execute(self) -> Iterator[None]:
        yield
        # Refuse the request as a whole only when the consumer may see nothing of it: every
        # field it asked the graph for was withheld (the withheld list still says why).
        context = self.execution_context.context
        result = self.execution_context.result
        if (
            isinstance(context, RequestContext)
            and result is not None
            and not context.released
            and (context.withheld_fields or context.withheld)
            and not getattr(result, "errors", None)
        ):
            result.data = None
            result.errors = [
                GraphQLError(
                    "所请求的信息均不在您的共享范围内 (nothing you asked for is shared with you; "
                    "see extensions.access for each field and why)",
                    extensions={"code": "NOTHING_SHARED"},
                )
            ]

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if not isinstance(context, RequestContext):
            return {}
        if not context.withheld and not context.filtered:
            return {}  # nothing to explain; the request id is in the X-Request-ID header
        report: dict[str, Any] = {"requestId": context.request_id}
        if context.withheld:
            report["withheld"] = context.withheld
        if context.filtered:
            report["rowsFiltered"] = list(context.filtered.values())
        report["consumer"] = context.consumer.org_kind.value
        return {"access": report}
