"""The GraphQL schema: Strawberry types, projection resolvers installed, errors masked."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from neo4j.exceptions import DatabaseUnavailable as Neo4jDatabaseUnavailable
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from strawberry import Schema
from strawberry.extensions import MaskErrors
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from authz.consent import ConsentError
from graph.lifecycle.base import LifecycleError, TooEarly
from hub.api.access import AccessReport
from hub.api.access_api import AccessQuery, Mutation
from hub.api.assessment_api import COMPUTED_TYPES as ASSESSMENT_TYPES
from hub.api.assessment_api import AssessmentQuery
from hub.api.associations_api import COMPUTED_TYPES as ASSOCIATION_TYPES
from hub.api.associations_api import AssociationsMutation
from hub.api.attachments_api import COMPUTED_TYPES as ATTACHMENT_TYPES
from hub.api.attachments_api import AttachmentsQuery
from hub.api.audit_trail import AuditTrail
from hub.api.commitments_api import COMPUTED_TYPES as COMMITMENT_TYPES
from hub.api.commitments_api import CommitmentsMutation, CommitmentsQuery
from hub.api.disclosure_api import DisclosureQuery
from hub.api.evaluation_api import COMPUTED_TYPES as EVALUATION_TYPES
from hub.api.evaluation_api import EvaluationMutation, EvaluationQuery
from hub.api.exchange_api import COMPUTED_TYPES as EXCHANGE_TYPES
from hub.api.exchange_api import ExchangeQuery
from hub.api.feeds_api import COMPUTED_TYPES as FEED_TYPES
from hub.api.feeds_api import FeedsMutation, FeedsQuery
from hub.api.field_policy import install_field_policy
from hub.api.history_api import COMPUTED_TYPES as HISTORY_TYPES
from hub.api.history_api import HistoryQuery
from hub.api.list_decisions_api import ListDecisionsQuery
from hub.api.lists_api import COMPUTED_TYPES as LIST_TYPES
from hub.api.lists_api import ListsMutation
from hub.api.measures_api import COMPUTED_TYPES as MEASURE_TYPES
from hub.api.measures_api import MeasuresMutation, MeasuresQuery
from hub.api.notices_api import COMPUTED_TYPES as NOTICE_TYPES
from hub.api.notices_api import NoticesMutation, NoticesQuery, NoticesSubscription
from hub.api.objections_api import COMPUTED_TYPES as OBJECTION_TYPES
from hub.api.objections_api import ObjectionsMutation, ObjectionsQuery
from hub.api.organisations_api import COMPUTED_TYPES as ORGANISATION_TYPES
from hub.api.organisations_api import OrganisationsMutation, OrganisationsQuery
from hub.api.ownership_api import COMPUTED_TYPES as OWNERSHIP_TYPES
from hub.api.ownership_api import OwnershipQuery
from hub.api.query import Query as GraphQuery
from hub.api.records_api import COMPUTED_TYPES as RECORD_TYPES
from hub.api.records_api import RecordsMutation
from hub.api.rectification_api import COMPUTED_TYPES as RECTIFICATION_TYPES
from hub.api.rectification_api import RectificationMutation, RectificationQuery
from hub.api.reports_api import COMPUTED_TYPES as REPORT_TYPES
from hub.api.reports_api import ReportsMutation, ReportsQuery
from hub.api.risk_api import COMPUTED_TYPES as RISK_TYPES
from hub.api.risk_api import RiskQuery
from hub.api.supervision_api import COMPUTED_TYPES as SUPERVISION_TYPES
from hub.api.supervision_api import SupervisionMutation, SupervisionQuery
from hub.api.types import CONNECTION_TYPES
from hub.errors import (
    BAD_USER_INPUT,
    ERROR_LABELS,
    INTERNAL_ERROR,
    INVALID_CURSOR,
    PARSE_FAILED,
    VALIDATION_FAILED,
    ClientError,
    DatabaseUnavailable,
)
from hub.guards import GuardConfig, guard_extensions
from hub.projection import GraphExecutionContext, InvalidCursor, install_resolvers

MASKED_MESSAGE = "内部错误 (internal error)"


def _original(error: GraphQLError) -> BaseException | None:
    return error.original_error


COMPUTED_TYPES: tuple[str, ...] = (
    "Consent",
    "AccessExplanation",
    "OperationExplanation",
    "AccessLogEntry",
    *FEED_TYPES,
    *LIST_TYPES,
    *MEASURE_TYPES,
    *OBJECTION_TYPES,
    *ORGANISATION_TYPES,
    *NOTICE_TYPES,
    *HISTORY_TYPES,
    *COMMITMENT_TYPES,
    *RECTIFICATION_TYPES,
    *RECORD_TYPES,
    *REPORT_TYPES,
    *OWNERSHIP_TYPES,
    *RISK_TYPES,
    *EVALUATION_TYPES,
    *SUPERVISION_TYPES,
    *ASSESSMENT_TYPES,
    *ASSOCIATION_TYPES,
    *EXCHANGE_TYPES,
    *ATTACHMENT_TYPES,
)
"""Types answered by hub code (operations.* in the catalogue say who may ask), not by the graph
projection: their fields are decided by the catalogue through hub/api/field_policy.py."""

QUERIES: tuple[type, ...] = (
    GraphQuery,
    AccessQuery,
    FeedsQuery,
    MeasuresQuery,
    ObjectionsQuery,
    OrganisationsQuery,
    NoticesQuery,
    HistoryQuery,
    CommitmentsQuery,
    RectificationQuery,
    ReportsQuery,
    DisclosureQuery,
    OwnershipQuery,
    RiskQuery,
    EvaluationQuery,
    SupervisionQuery,
    AssessmentQuery,
    ExchangeQuery,
    ListDecisionsQuery,
    AttachmentsQuery,
)
MUTATIONS: tuple[type, ...] = (
    Mutation,
    FeedsMutation,
    ListsMutation,
    MeasuresMutation,
    ObjectionsMutation,
    OrganisationsMutation,
    NoticesMutation,
    CommitmentsMutation,
    RectificationMutation,
    RecordsMutation,
    ReportsMutation,
    EvaluationMutation,
    SupervisionMutation,
    AssociationsMutation,
)

SAFE_ERRORS = (ClientError, InvalidCursor, ConsentError, LifecycleError)
"""Errors whose messages are written for the caller; everything else is masked."""


def _should_mask(error: GraphQLError) -> bool:
    original = _original(error)
    if original is None:
        return False  # validation and syntax errors: graphql-core's own, safe messages
    if error.path is None and isinstance(original, GraphQLError | ValueError | TypeError):
        # Coercing the request's variables (a misspelt enum value, a date that does not
        # parse) happens before any resolver runs: the message is about the caller's input.
        return False
    return not isinstance(original, SAFE_ERRORS)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _give_code(error: GraphQLError, code: str) -> None:
    """Set `code` on an error that has none, its message led by the code's Chinese words."""
    if (error.extensions or {}).get("code"):
        return
    error.extensions = {**(error.extensions or {}), "code": code}
    label = ERROR_LABELS.get(code)
    if label and not _has_chinese(error.message):
        error.message = f"{label} ({error.message})"


class Errors(MaskErrors):
    """Mask unexpected errors, make an unreachable Neo4j a clear retryable error, add codes.

    Every error leaves with ``extensions.code``: the hub's own errors carry theirs; graphql-core's
    get one by where they arose (parse, validation, variables), with Chinese words before its
    English message; a refusal for coming too early names the first possible day
    (``extensions.earliest``).
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=_should_mask, error_message=MASKED_MESSAGE)
        self._invalid: set[int] = set()

    def on_validate(self) -> Iterator[None]:
        yield
        # Errors of this stage are the document's misfit with the schema (guards have codes).
        self._invalid = {id(error) for error in self.execution_context.pre_execution_errors or ()}

    def on_operation(self) -> Iterator[None]:
        try:
            yield from super().on_operation()
        except GraphQLSyntaxError as error:
            # A guard parsing the document first (the token limit) raises it through here.
            _give_code(error, PARSE_FAILED)
            raise
        for reported in getattr(self.execution_context.result, "errors", None) or ():
            self._code(reported)

    def _code(self, error: GraphQLError) -> None:
        original = _original(error)
        if isinstance(error, GraphQLSyntaxError):
            _give_code(error, PARSE_FAILED)
        elif isinstance(original, InvalidCursor):
            _give_code(error, INVALID_CURSOR)
        elif id(error) in self._invalid:
            _give_code(error, VALIDATION_FAILED)
        elif error.message == MASKED_MESSAGE:
            _give_code(error, INTERNAL_ERROR)
        elif error.path is None:
            # Before any resolver ran and not the document: the request's variables.
            _give_code(error, BAD_USER_INPUT)
        else:
            _give_code(error, INTERNAL_ERROR)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        # A server that is gone (ServiceUnavailable, SessionExpired) or shutting down, or a
        # database not started yet (DatabaseUnavailable), once the driver's retries ran out.
        unreachable = ServiceUnavailable | SessionExpired | Neo4jDatabaseUnavailable
        if isinstance(_original(error), unreachable):
            unavailable = DatabaseUnavailable()
            return GraphQLError(
                str(unavailable),
                nodes=error.nodes,
                path=error.path,
                original_error=unavailable,
                extensions={"code": unavailable.code},
            )
        return super().anonymise_error(error)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            original = _original(error)
            if isinstance(original, ClientError | ConsentError | LifecycleError):
                error.extensions = {**(error.extensions or {}), "code": original.code}
            if isinstance(original, TooEarly) and original.earliest is not None:
                error.extensions = {**(error.extensions or {}), "earliest": str(original.earliest)}
        return processed


class HubSchema(Schema):
    """Logs only unexpected errors: a client's mistake is answered, not an incident."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            original = _original(error)
            if original is not None and not isinstance(original, SAFE_ERRORS):
                if not _should_mask(error):
                    continue  # a variable that does not fit its type: the caller's input
                StrawberryLogger.error(error, execution_context)


def build_schema(guards: GuardConfig | None = None) -> Schema:
    """The hub's schema, with every graph-backed field resolved from the compiled projection."""
    guards = guards or GuardConfig()
    schema = HubSchema(
        query=merge_types("Query", QUERIES),
        mutation=merge_types("Mutation", MUTATIONS),
        subscription=NoticesSubscription,
        config=StrawberryConfig(
            auto_camel_case=True,
            # hub/guards/http.py refuses longer arrays before Strawberry sees them.
            batching_config={"max_operations": guards.max_batch},
        ),
        # Guards first: they refuse a request before anything else runs, and they see the
        # errors last, after Errors has masked them.
        extensions=[*guard_extensions(guards), Errors, AccessReport, AuditTrail],
        # Graph-backed scalar fields completed without per-field resolver calls.
        execution_context_class=GraphExecutionContext,
    )
    install_resolvers(schema._schema, CONNECTION_TYPES)
    # Computed types: the same field decisions, applied as their values are resolved.
    install_field_policy(schema._schema)
    return schema


def schema_sdl() -> str:
    """The schema in SDL, as committed in schema.graphql."""
    return build_schema().as_str() + "\n"
