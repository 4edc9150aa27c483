"""Every stored enumeration the API exposes, registered once, each value described by its
Chinese label (graph/model.py). Importing this module is what makes them GraphQL enums."""

from __future__ import annotations

import strawberry

from graph.model import (
    BanScope,
    CommitmentStatus,
    CreditGrade,
    DeliveryStatus,
    EnterpriseStatus,
    InspectionOutcome,
    InspectionTaskStatus,
    LabelledEnum,
    ListEntryStatus,
    ListType,
    MeasureCategory,
    NoticeKind,
    ObjectionGround,
    ObjectionOutcome,
    ObjectionStatus,
    RecordKind,
    RecordStatus,
    RectificationStatus,
    RepairStatus,
    RiskAlertStatus,
    RiskSignal,
    RoleKind,
    SanctionStatus,
    SeverityTier,
    VerificationStatus,
    VoluntaryKind,
)
from hub.reports.edition import ReportEdition


def _labelled(enum_cls: type[LabelledEnum], description: str) -> None:
    strawberry.enum(enum_cls, description=description)
    for value in enum_cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = enum_cls.of(value.value).label


_labelled(RoleKind, "How a person stands behind an enterprise (人员角色)")
_labelled(EnterpriseStatus, "Registration status (登记状态)")
_labelled(RecordKind, "Kind of credit record (信用信息类别)")
_labelled(SeverityTier, "Severity tier of an adverse record (失信程度)")
_labelled(RecordStatus, "State of a record version (记录状态)")
_labelled(ListType, "Red or black list (名单类型)")
_labelled(ListEntryStatus, "State of a list entry (名单状态)")
_labelled(SanctionStatus, "State of an applied measure (惩戒措施状态)")
_labelled(MeasureCategory, "Family of measures (惩戒措施类别)")
_labelled(ObjectionGround, "Grounds of an objection (异议事由)")
_labelled(ObjectionStatus, "State of an objection (异议状态)")
_labelled(ObjectionOutcome, "Outcome of an objection (异议处理结果)")
_labelled(RepairStatus, "State of a repair application (信用修复状态)")
_labelled(NoticeKind, "What a notice is about (通知类别)")
_labelled(BanScope, "What an entry ban keeps its subject out of (禁入范围)")
_labelled(CommitmentStatus, "Whether a credit commitment was kept (承诺履行状态)")
_labelled(VoluntaryKind, "Kind of voluntarily registered information (自愿注册类别)")
_labelled(VerificationStatus, "Verification of voluntary information (核实状态)")
_labelled(RectificationStatus, "State of a rectification order (整改状态)")
_labelled(ReportEdition, "Edition of a credit report (报告版本)")
_labelled(RiskSignal, "Risk early-warning signal (风险预警信号)")
_labelled(RiskAlertStatus, "State of a risk alert (预警状态)")
_labelled(InspectionTaskStatus, "State of a 双随机 inspection task (抽查任务状态)")
_labelled(InspectionOutcome, "Result of inspecting a drawn enterprise (抽查结果)")
_labelled(CreditGrade, "Public credit evaluation grade, A lowest risk (公共信用综合评价等级)")
_labelled(DeliveryStatus, "State of an export's delivery to a connected system (投递状态)")
