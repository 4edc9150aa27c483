"""The hub's kernel: what every surface of one hub process shares, built once at start-up.

`create_app` (hub/app.py) builds one `Kernel` — the database, the schema with all its
extensions, the sharing catalogue, the audit writer, the lifecycle rules, the settings and the
clock — and hands it to every surface: the GraphQL endpoint, the disclosure site (hub/site),
the credit reports (hub/reports) and the file downloads (hub/exports.py). One function,
`request_context`, turns (kernel, consumer, request) into the per-request `RequestContext`,
and `Kernel.execute` runs a document in-process through the same schema, so a page of the site
or the data of a report is served, enforced and audited exactly as a ``/graphql`` request.

This module sits below ``hub.api``, ``hub.reports`` and ``hub.site``: it imports none of them
(tests/test_architecture.py), which is what lets each of them use it.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from strawberry.schema.base import BaseSchema
from strawberry.types import Info

from authz.audit import AuditSink
from authz.catalogue import Catalogue, Reason
from authz.enforcement import Enforcer
from authz.identity import PUBLIC, Consumer
from graph.database import Database
from graph.lifecycle.base import china_today
from graph.lifecycle.rules import LifecycleRules
from hub.projection import Projection
from hub.settings import Settings


@dataclass(frozen=True)
class Kernel:
    """The shared parts of one hub process. Immutable: a request never changes them."""

    db: Database
    schema: BaseSchema
    settings: Settings
    person_secret: bytes
    catalogue: Catalogue
    rules: LifecycleRules
    audit: AuditSink | None = None
    clock: Callable[[], datetime.date] = china_today
    """The city's date (Beijing): deadlines, periods and publication windows count from it."""

    async def execute(
        self,
        consumer: Consumer,
        document: str,
        variables: Mapping[str, Any],
        *,
        action: str = "query",
        detail: str | None = None,
    ) -> Execution:
        """Run `document` in-process as `consumer`, as if it had been posted to ``/graphql``.

        The same schema and extensions serve it (guards, error masking, the catalogue compiled
        into the Cypher, the audit entry, whose action and detail are `action` and `detail`).
        """
        context = request_context(self, consumer)
        context.audit_action(action, subjects=set(), detail=detail)
        result = await self.schema.execute(
            document, variable_values=dict(variables), context_value=context
        )
        return Execution(data=result.data, errors=list(result.errors or ()), context=context)


@dataclass(frozen=True)
class Execution:
    """The outcome of `Kernel.execute`: the data, the errors, and the request's context (what
    was released and withheld)."""

    data: dict[str, Any] | None
    errors: list[GraphQLError]
    context: RequestContext


@dataclass
class RequestContext:
    """What every resolver of one request may use, and what it learns for the audit.

    Made by `request_context` only. `enforce` is off only in the benchmark that measures what
    enforcement costs.
    """

    kernel: Kernel
    consumer: Consumer = PUBLIC
    enforce: bool = True
    # The client accepts a multipart stream: subscriptions are served only then.
    streaming: bool = False
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    released: set[str] = field(default_factory=set)
    # Graph fields are judged by what leaves, not by what was compiled (a conditional field
    # compiles for every row but may be withheld on each): the coordinates compiled, and those
    # a value of which the response carried. See `released_fields`.
    projected: set[str] = field(default_factory=set)
    left: set[str] = field(default_factory=set)
    withheld_fields: set[tuple[str, str]] = field(default_factory=set)
    withheld: list[dict[str, Any]] = field(default_factory=list)
    filtered: dict[str, dict[str, str]] = field(default_factory=dict)
    subjects: set[str] = field(default_factory=set)
    action: str = "query"
    detail: str | None = None

    @property
    def db(self) -> Database:
        """The database (the kernel's)."""
        return self.kernel.db

    @property
    def person_secret(self) -> bytes:
        """The HMAC key turning resident IDs into person keys (the kernel's)."""
        return self.kernel.person_secret

    @property
    def audit(self) -> AuditSink | None:
        """The audit writer of this process (the kernel's)."""
        return self.kernel.audit

    @property
    def catalogue(self) -> Catalogue:
        """The sharing catalogue (the kernel's)."""
        return self.kernel.catalogue

    @property
    def rules(self) -> LifecycleRules:
        """The lifecycle rules (the kernel's)."""
        return self.kernel.rules

    def audit_action(self, action: str, *, subjects: set[str], detail: str | None) -> None:
        """Name what a mutation did, for this request's audit entry."""
        self.action = action
        self.subjects |= subjects
        self.detail = detail

    def today(self) -> datetime.date:
        """The city's date for this request: deadlines and periods count from it."""
        return self.kernel.clock()

    def enforcer(self) -> Enforcer | None:
        """An enforcer for one root field, recording into this request's access log."""
        if not self.enforce:
            return None
        return Enforcer(
            self.catalogue,
            self.consumer,
            today=self.today(),
            released=self.released,
            withheld=self.withheld_fields,
            filtered=self.filtered,
        )

    def released_fields(self) -> set[str]:
        """The field coordinates whose values this response released, for the audit entry.

        A graph field counts only when at least one of its values left (a value withheld on
        every row is not released); fields computed in Python count as their resolvers noted.
        """
        return (self.released - self.projected) | self.left

    def note_withheld(self, path: list[str | int], coordinate: str, reason: str) -> None:
        """A value withheld from the response (called as the response is assembled), with the
        catalogue entries behind the decision."""
        type_name, _, field_name = coordinate.partition(".")
        self.withheld.append(
            {
                "path": path,
                "field": coordinate,
                "reason": reason,
                "message": Reason.of(reason).label,
                "citation": self.catalogue.field(self.consumer, type_name, field_name).citation,
            }
        )

    def projection(self, info: GraphInfo) -> Projection:
        """A compiler for one root field of this request."""
        return Projection(info._raw_info, self.enforcer())


GraphInfo = Info[RequestContext, None]


def asker(request: Request) -> Consumer:
    """Who asks: the consumer the authentication middleware (a bearer token, hub/auth.py, or a
    signed-in session, hub/signin) put on the request; the public when there is none."""
    consumer: Consumer = request.scope.get("state", {}).get("consumer", PUBLIC)
    return consumer


def request_context(
    kernel: Kernel, consumer: Consumer, request: Request | None = None
) -> RequestContext:
    """The context of one request of `consumer`: the one way every surface makes one.

    `request` is the HTTP request when there is one (a client accepting ``multipart/mixed``
    may subscribe); in-process executions (site pages, report data) have none.
    """
    streaming = request is not None and "multipart/mixed" in request.headers.get("accept", "")
    return RequestContext(kernel=kernel, consumer=consumer, streaming=streaming)
