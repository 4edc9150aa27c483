"""The credit graph's vocabulary: node labels, relationship types and enumerations.

Everything that names a part of the graph lives here, so Cypher elsewhere is written against
these names and a newcomer can read the whole model on one page. Enumeration members are
stored in the graph by their English name; the Chinese label is what people read.

Nodes (key property in brackets)::

    Enterprise (uscc)        market entity: legal persons and non-legal organisations
    Person (key)             keyed by a keyed hash of the resident ID, never by the ID itself
    Department (code)        the city's departments named in the implementation plan
    Bank / Association / CreditAgency (code)   sharing partners
    CreditOffice (code)      信用管理部门 (社会信用体系建设领导小组办公室); every organisation node
                             (these five labels) has name, shortName, aliases (short and former
                             names), formerCodes, revision, closedOn (absent while open); the
                             reference files of loaders/reference/ manage them
    OrganisationRevision     an organisation as it stood before a change (rename, code
                             correction, merge, closure): its fields, replacedAt, change
    Record (uid = key#vN)    licences, penalties, judgments … one node per version
    ListEntry (id)           red/black list decisions
    Measure (code)           the joint-punishment measures catalogue
    Sanction (id)            a measure applied to a subject under a list entry, or a ban
    Objection (id)           异议: a subject's challenge to a record or list entry
    RepairApplication (id)   信用修复 application and its decision
    CommitmentItem (code)    licensing item (or association programme) accepting a 信用承诺
    Commitment (id)          one applicant's commitment for an item, later kept or breached
    VoluntaryItem (id)       自愿注册 information, verified or not
    Rectification (id)       限期整改 order; a missed deadline leads to an interview (约谈)
    MeasureApplication (id)  a department's report that it applied a measure (反馈)
    Watch (id)               a bank's 贷后监测 of a borrower
    Notice (id)              an organisation's outbox entry (withdrawal, new adverse record …)
    Event (id)               one state change: who, when, from what to what, and why
    EnterpriseRevision       a registration as it stood before a change: its fields, the
                             legalRepresentatives (person keys), replacedAt, changedOn (date)
    RiskScan (id)            one run of the risk early-warning signals (风险预判预警)
    RiskAlert (id)           signal, score, status, evidence (JSON paths); kept across scans
    Inspector (id)           执法检查人员名录: masked name, 执法证号, active, its department
    InspectionTask (id)      双随机 inspection task: department, sectors, period, ratios, seed
    InspectionObject (id)    one enterprise drawn for a task (its stratum is never public)
    EvaluationRun (id)       公共信用综合评价 run: scope ALL (whole graph) or SUBJECT (a refresh,
                             with its reason), modelVersion, counts by grade, current
    Evaluation (id)          one enterprise's score, grade (never public), explanation (JSON:
                             indicators, values, points, sources), current
    Enterprise.annualReportYears / annualReportFiledOn   年报公示: parallel lists of the report
                             years filed and the day each was filed (no entry: not filed)
    Enterprise.provisional   待登记核实: created from a decision naming a valid USCC that the
                             registration feed has not sent yet (name, code and the batch that
                             created it kept); the registration feed clears it

Relationships::

    (Person)-[:LEGAL_REPRESENTATIVE_OF]->(Enterprise)
    (Person)-[:PRINCIPAL_OF {title}]->(Enterprise)
    (Person)-[:ACTUAL_CONTROLLER_OF]->(Enterprise)
    (Person|Enterprise)-[:SHAREHOLDER_OF {share}]->(Enterprise)     share in 0..1
    (Enterprise)-[:MEMBER_OF {since}]->(Association)
    (Record|ListEntry|Sanction)-[:HAS_SUBJECT]->(Enterprise|Person)
    (Record)-[:PROVIDED_BY]->(Department)
    (Record)-[:SUPERSEDES]->(Record)                               newer version → older
    (ListEntry)-[:DECIDED_BY]->(Department)
    (Record)-[:DECIDED_BY]->(Department|Association|Bank|CreditAgency)   the deciding
                             authority (处罚机关/许可机关); PROVIDED_BY is who sent it
    (ListEntry)-[:LINKED_PERSON {role}]->(Person)                  personal liability, 六(五)
    (Sanction)-[:APPLIES]->(Measure)
    (Sanction)-[:UNDER]->(ListEntry)
    (Sanction)-[:IMPOSED_BY]->(Department)
    (Objection|RepairApplication)-[:CONCERNS]->(Record|ListEntry)
    (Objection|RepairApplication)-[:FILED_BY]->(Enterprise|Person)
    (Commitment)-[:FOR_ITEM]->(CommitmentItem)-[:OFFERED_BY]->(Department|Association)
    (Commitment|VoluntaryItem|Rectification)-[:HAS_SUBJECT]->(Enterprise|Person)
    (Commitment|Rectification)-[:RESULTED_IN]->(Record)           breach → adverse record
    (Rectification)-[:FOLLOWS]->(Record)                           the finding it rectifies
    (MeasureApplication)-[:APPLIED]->(Measure), -[:TO]->(Enterprise|Person)
    (Event)-[:CONCERNS]->(any node)
    (Enterprise)-[:PREVIOUS_REVISION]->(EnterpriseRevision)        newest older state first,
    (EnterpriseRevision)-[:PREVIOUS_REVISION]->(EnterpriseRevision)  then the one before it
    (Department|Bank|…)-[:PREVIOUS_REVISION]->(OrganisationRevision)  likewise, chained
    (Department|Bank|…)-[:MERGED_INTO]->(Department|Bank|…)       a closed, merged organisation
    (RiskAlert)-[:HAS_SUBJECT]->(Enterprise), -[:SEEN_IN]->(RiskScan)  every scan that found it
    (Inspector)-[:SERVES_IN]->(Department)
    (InspectionTask)-[:ORGANISED_BY]->(Department)
    (InspectionObject)-[:PART_OF]->(InspectionTask), -[:HAS_SUBJECT]->(Enterprise)
    (Inspector)-[:INSPECTS]->(InspectionObject)                   assigned at the draw
    (InspectionObject)-[:RESULTED_IN]->(Record)                   its INSPECTION record
    (Evaluation)-[:EVALUATES]->(Enterprise), -[:IN_RUN]->(EvaluationRun)
    (ListEntry)-[:BASED_ON]->(Record)                              the records it rests on
    (MeasureApplication)-[:REPORTED_BY]->(Department)
    (Watch)-[:WATCHES]->(Enterprise)
    (Consent)-[:GRANTED_BY]->(Enterprise|Person), (AuditEntry)-[:ABOUT]->(subject)
    (Objection|RepairApplication|VoluntaryItem)-[:HAS_ATTACHMENT]->(Attachment {sha256,
                             fileName, mediaType, size, storedAt, uploadedBy})  证明材料; the
                             file itself is kept by content under CREDITHUB_HOME/attachments
    (Recipient {org, firstAt, lastAt})-[:RECEIVED_RECORDS_OF]->(Enterprise|Person)
                             an organisation was served the subject's records (noted with the
                             audit entry; who must hear of a withdrawal, graph/lifecycle/notices)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class Label(StrEnum):
    """Node labels."""

    ENTERPRISE = "Enterprise"
    PERSON = "Person"
    DEPARTMENT = "Department"
    BANK = "Bank"
    ASSOCIATION = "Association"
    CREDIT_AGENCY = "CreditAgency"
    CREDIT_OFFICE = "CreditOffice"
    ORGANISATION_REVISION = "OrganisationRevision"
    RECORD = "Record"
    LIST_ENTRY = "ListEntry"
    MEASURE = "Measure"
    SANCTION = "Sanction"
    OBJECTION = "Objection"
    REPAIR_APPLICATION = "RepairApplication"
    COMMITMENT_ITEM = "CommitmentItem"
    COMMITMENT = "Commitment"
    VOLUNTARY_ITEM = "VoluntaryItem"
    RECTIFICATION = "Rectification"
    MEASURE_APPLICATION = "MeasureApplication"
    WATCH = "Watch"
    NOTICE = "Notice"
    EVENT = "Event"
    ENTERPRISE_REVISION = "EnterpriseRevision"
    RISK_SCAN = "RiskScan"
    RISK_ALERT = "RiskAlert"
    INSPECTOR = "Inspector"
    INSPECTION_TASK = "InspectionTask"
    INSPECTION_OBJECT = "InspectionObject"
    EVALUATION_RUN = "EvaluationRun"
    EVALUATION = "Evaluation"
    RECIPIENT = "Recipient"  # an organisation served a subject's records, see RECEIVED_RECORDS_OF
    # Second labels and the nodes of the stores kept in the same database (audit, consent,
    # feed batches, reports, migrations, job locks): named here so no Cypher spells a label
    # the model does not know (tests/test_model_literals.py).
    BAN = "Ban"  # (:Sanction:Ban) an entry ban, 六(四)
    LIST_ENTRY_REVISION = "ListEntryRevision"
    CONSENT = "Consent"
    AUDIT_ENTRY = "AuditEntry"
    AUDIT_CHAIN = "AuditChain"
    AUDIT_WAL = "AuditWal"  # how far a hub's local audit log was shipped (authz/audit_wal.py)
    BATCH = "Batch"
    QUARANTINED_ROW = "QuarantinedRow"
    CREDIT_REPORT = "CreditReport"
    MIGRATION = "Migration"
    JOB_LOCK = "JobLock"
    ENDED_SESSION = "EndedSession"  # a signed-out site session, until it would expire (hub/signin)
    EXCHANGE_CURSOR = "ExchangeCursor"  # per target: how far its exports have gone (hub/exchange/)
    EXCHANGE_EXPORT = "ExchangeExport"  # one export written for a target (hub/exchange/)
    EXCHANGE_DELIVERY = "ExchangeDelivery"  # one attempt to deliver an export (hub/exchange/)
    PROVINCIAL_MEASURE_CATALOGUE = "ProvincialMeasureCatalogue"  # 全省联合奖惩措施清单, a version
    ATTACHMENT = "Attachment"  # 证明材料: one uploaded file of a submission (graph/attachments.py)


class Rel(StrEnum):
    """Relationship types."""

    LEGAL_REPRESENTATIVE_OF = "LEGAL_REPRESENTATIVE_OF"
    PRINCIPAL_OF = "PRINCIPAL_OF"
    ACTUAL_CONTROLLER_OF = "ACTUAL_CONTROLLER_OF"
    SHAREHOLDER_OF = "SHAREHOLDER_OF"
    MEMBER_OF = "MEMBER_OF"
    HAS_SUBJECT = "HAS_SUBJECT"
    PROVIDED_BY = "PROVIDED_BY"
    SUPERSEDES = "SUPERSEDES"
    DECIDED_BY = "DECIDED_BY"
    LINKED_PERSON = "LINKED_PERSON"
    APPLIES = "APPLIES"
    UNDER = "UNDER"
    IMPOSED_BY = "IMPOSED_BY"
    CONCERNS = "CONCERNS"
    FILED_BY = "FILED_BY"
    FOR_ITEM = "FOR_ITEM"
    OFFERED_BY = "OFFERED_BY"
    RESULTED_IN = "RESULTED_IN"
    FOLLOWS = "FOLLOWS"
    APPLIED = "APPLIED"
    TO = "TO"
    PREVIOUS_REVISION = "PREVIOUS_REVISION"
    SEEN_IN = "SEEN_IN"
    SERVES_IN = "SERVES_IN"
    ORGANISED_BY = "ORGANISED_BY"
    PART_OF = "PART_OF"
    INSPECTS = "INSPECTS"
    EVALUATES = "EVALUATES"
    IN_RUN = "IN_RUN"
    MERGED_INTO = "MERGED_INTO"
    BASED_ON = "BASED_ON"  # (ListEntry)-[:BASED_ON]->(Record) the records an entry rests on
    REPORTED_BY = "REPORTED_BY"  # (MeasureApplication)-[:REPORTED_BY]->(Department)
    WATCHES = "WATCHES"  # (Watch)-[:WATCHES]->(Enterprise) 贷后监测
    GRANTED_BY = "GRANTED_BY"  # (Consent)-[:GRANTED_BY]->(Enterprise|Person)
    ABOUT = "ABOUT"  # (AuditEntry)-[:ABOUT]->(subject)
    RECEIVED_RECORDS_OF = "RECEIVED_RECORDS_OF"  # (Recipient)-[:RECEIVED_RECORDS_OF]->(subject)
    ALSO_SENT_BY = "ALSO_SENT_BY"  # (ListEntry|Record)-[:ALSO_SENT_BY]->(upper system)
    HAS_ATTACHMENT = "HAS_ATTACHMENT"  # (Objection|RepairApplication|VoluntaryItem)->(Attachment)


class LabelledEnum(StrEnum):
    """A stored enumeration whose members carry a Chinese label for people."""

    label: str

    def __new__(cls, value: str, label: str) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def of(cls, value: str) -> Self:
        """The member stored as `value` (ValueError for anything else)."""
        return cls(value)  # type: ignore[call-arg]


class RoleKind(LabelledEnum):
    """How a person (or, for shareholding, an enterprise) stands behind an enterprise."""

    LEGAL_REPRESENTATIVE = ("LEGAL_REPRESENTATIVE", "法定代表人")
    PRINCIPAL = ("PRINCIPAL", "主要负责人")
    ACTUAL_CONTROLLER = ("ACTUAL_CONTROLLER", "实际控制人")
    SHAREHOLDER = ("SHAREHOLDER", "股东")

    @property
    def rel(self) -> Rel:
        """The relationship type that stores this role."""
        return Rel(f"{self.value}_OF")


class OrganisationKind(LabelledEnum):
    """Kinds of registered organisation (reference data, loaders/reference/)."""

    DEPARTMENT = ("DEPARTMENT", "部门")
    BANK = ("BANK", "银行")
    CREDIT_AGENCY = ("CREDIT_AGENCY", "信用服务机构")
    ASSOCIATION = ("ASSOCIATION", "行业协会")
    CREDIT_OFFICE = ("CREDIT_OFFICE", "信用管理部门")

    @property
    def node_label(self) -> Label:
        """The node label organisations of this kind carry."""
        return _ORGANISATION_LABELS[self.value]


_ORGANISATION_LABELS: dict[str, Label] = {
    "DEPARTMENT": Label.DEPARTMENT,
    "BANK": Label.BANK,
    "CREDIT_AGENCY": Label.CREDIT_AGENCY,
    "ASSOCIATION": Label.ASSOCIATION,
    "CREDIT_OFFICE": Label.CREDIT_OFFICE,
}


class EnterpriseStatus(LabelledEnum):
    """Registration status of a market entity."""

    ACTIVE = ("ACTIVE", "存续")
    REVOKED = ("REVOKED", "吊销")
    CANCELLED = ("CANCELLED", "注销")
    MOVED_OUT = ("MOVED_OUT", "迁出")


class RecordKind(LabelledEnum):
    """Kinds of credit record collected into the network (信用信息采集目录)."""

    LICENSE = ("LICENSE", "行政许可")
    PENALTY = ("PENALTY", "行政处罚")
    COMMITMENT = ("COMMITMENT", "信用承诺")
    JUDGMENT = ("JUDGMENT", "司法判决")
    ENFORCEMENT = ("ENFORCEMENT", "失信被执行人")
    INTERVIEW = ("INTERVIEW", "约谈")
    RECTIFICATION = ("RECTIFICATION", "限期整改")
    VOLUNTARY = ("VOLUNTARY", "自愿注册")
    HONOR = ("HONOR", "表彰奖励")
    ABNORMAL_OPERATION = ("ABNORMAL_OPERATION", "经营异常")
    TAX_GRADE = ("TAX_GRADE", "纳税信用等级")
    COMMITMENT_BREACH = ("COMMITMENT_BREACH", "违反信用承诺")
    LIABILITY = ("LIABILITY", "失信责任追究")
    INSPECTION = ("INSPECTION", "双随机抽查结果")
    COERCION = ("COERCION", "行政强制")
    CONFIRMATION = ("CONFIRMATION", "行政确认")
    LEVY = ("LEVY", "行政征收")
    BENEFIT = ("BENEFIT", "行政给付")
    ADJUDICATION = ("ADJUDICATION", "行政裁决")
    COMPENSATION = ("COMPENSATION", "行政补偿")
    REWARD = ("REWARD", "行政奖励")
    SUPERVISION_CHECK = ("SUPERVISION_CHECK", "行政监督检查")
    FALSE_LITIGATION = ("FALSE_LITIGATION", "虚假诉讼失信人")


class SeverityTier(LabelledEnum):
    """Severity of an adverse record; it fixes the publication period (NDRC Order 36)."""

    MINOR = ("MINOR", "轻微")
    GENERAL = ("GENERAL", "一般")
    SERIOUS = ("SERIOUS", "严重")


class RecordStatus(LabelledEnum):
    """Lifecycle state of one record version."""

    EFFECTIVE = ("EFFECTIVE", "有效")
    UNDER_OBJECTION = ("UNDER_OBJECTION", "异议中")
    REPAIRED = ("REPAIRED", "已修复")
    REVOKED = ("REVOKED", "已撤销")
    SUPERSEDED = ("SUPERSEDED", "已更正")


class ListType(LabelledEnum):
    """Red list (守信激励) or black list (失信惩戒)."""

    RED = ("RED", "红名单")
    BLACK = ("BLACK", "黑名单")


class ListEntryStatus(LabelledEnum):
    """State of a list entry: red-list candidates are announced before they take effect."""

    ANNOUNCED = ("ANNOUNCED", "公示中")
    ACTIVE = ("ACTIVE", "有效")
    REMOVED = ("REMOVED", "已移出")
    EXPIRED = ("EXPIRED", "已到期")  # past effectiveUntil: ended by itself, measures released


class SanctionStatus(LabelledEnum):
    """Whether a joint-punishment measure is still applied."""

    ACTIVE = ("ACTIVE", "执行中")
    LIFTED = ("LIFTED", "已解除")


class MeasureCategory(LabelledEnum):
    """Families of joint-punishment measures (国办发〔2020〕49号)."""

    ADMINISTRATIVE = ("ADMINISTRATIVE", "行政性惩戒")
    MARKET = ("MARKET", "市场性惩戒")
    INDUSTRY = ("INDUSTRY", "行业性惩戒")
    SOCIAL = ("SOCIAL", "社会性惩戒")


class ObjectionGround(LabelledEnum):
    """Why a subject objects to a record or list entry (异议事由)."""

    WRONG_DATA = ("WRONG_DATA", "信息错误")
    MISSING_DATA = ("MISSING_DATA", "信息遗漏")
    PAST_PERIOD = ("PAST_PERIOD", "超期公示")
    WRONGLY_LISTED = ("WRONGLY_LISTED", "错误列入名单")
    NOT_REMOVED = ("NOT_REMOVED", "应移出而未移出")


class ObjectionStatus(LabelledEnum):
    """An objection is pending until the providing department decides it."""

    PENDING = ("PENDING", "处理中")
    DECIDED = ("DECIDED", "已办结")


class ObjectionOutcome(LabelledEnum):
    """What the providing department decided (each change is a new version)."""

    CORRECT = ("CORRECT", "更正")
    SUPPLEMENT = ("SUPPLEMENT", "补充")
    STOP_PUBLICATION = ("STOP_PUBLICATION", "停止公示")
    REMOVE_FROM_LIST = ("REMOVE_FROM_LIST", "移出名单")
    REJECT = ("REJECT", "异议不成立，维持原记录")


class RepairStatus(LabelledEnum):
    """A credit-repair application's state (信用修复)."""

    PENDING = ("PENDING", "审核中")
    APPROVED = ("APPROVED", "已修复")
    REFUSED = ("REFUSED", "不予修复")


class CommitmentStatus(LabelledEnum):
    """Whether a credit commitment (信用承诺) was kept."""

    PENDING = ("PENDING", "履约中")
    KEPT = ("KEPT", "已履约")
    BREACHED = ("BREACHED", "已违诺")


class VoluntaryKind(LabelledEnum):
    """Kinds of voluntarily registered information (自愿注册)."""

    CERTIFICATE = ("CERTIFICATE", "资质证书")
    CONTRACT = ("CONTRACT", "合同履约")
    WELFARE = ("WELFARE", "公益活动")
    OTHER = ("OTHER", "其他")


class VerificationStatus(LabelledEnum):
    """Only verified voluntary information counts in evaluation and reports."""

    UNVERIFIED = ("UNVERIFIED", "未核实")
    VERIFIED = ("VERIFIED", "已核实")
    REJECTED = ("REJECTED", "核实未通过")


class RectificationStatus(LabelledEnum):
    """A rectification order (限期整改) and what became of it."""

    ORDERED = ("ORDERED", "整改中")
    COMPLETED = ("COMPLETED", "已整改")
    OVERDUE = ("OVERDUE", "逾期未整改，已约谈")


class NoticeKind(LabelledEnum):
    """What an organisation's outbox tells it."""

    WITHDRAWAL = ("WITHDRAWAL", "信息撤回通知")
    NEW_ADVERSE_RECORD = ("NEW_ADVERSE_RECORD", "新增失信记录")
    LIST_ENTRY = ("LIST_ENTRY", "列入名单")
    SANCTION = ("SANCTION", "惩戒措施")
    OBJECTION_FILED = ("OBJECTION_FILED", "收到异议申请")
    OBJECTION_DECIDED = ("OBJECTION_DECIDED", "异议处理结果")
    REPAIR_FILED = ("REPAIR_FILED", "收到信用修复申请")
    REPAIR_DECIDED = ("REPAIR_DECIDED", "信用修复结果")
    SUPERVISOR = ("SUPERVISOR", "国有企业失信责任追究通报")
    RECTIFICATION_OVERDUE = ("RECTIFICATION_OVERDUE", "逾期未整改")
    RISK_ALERT = ("RISK_ALERT", "风险预警")
    INSPECTION_RESULT = ("INSPECTION_RESULT", "双随机抽查结果")
    EVALUATION_RESULTS = ("EVALUATION_RESULTS", "公共信用综合评价结果")
    GRADE_CHANGED = ("GRADE_CHANGED", "信用评价等级变化")


class BanScope(LabelledEnum):
    """What an entry ban (禁入, 六(四)) keeps its subject out of: the market, or one industry."""

    MARKET = ("MARKET", "市场禁入")
    INDUSTRY = ("INDUSTRY", "行业禁入")


class RiskSignal(LabelledEnum):
    """The risk early-warning signals computed on the graph (风险预判预警, 四(四))."""

    CONTAGION = ("CONTAGION", "关联风险传导")
    CLUSTER = ("CLUSTER", "跨部门失信聚集")
    BURST = ("BURST", "处罚激增")
    REPRESENTATIVE_CHANGE = ("REPRESENTATIVE_CHANGE", "处罚后变更法定代表人")


class EvaluationScope(LabelledEnum):
    """What an evaluation run covers: the whole graph, or one subject refreshed."""

    ALL = ("ALL", "全量评价")
    SUBJECT = ("SUBJECT", "单户更新")


class BatchStatus(LabelledEnum):
    """A feed batch's state: running until its load completes (or fails)."""

    RUNNING = ("RUNNING", "加载中")
    COMPLETED = ("COMPLETED", "已完成")
    FAILED = ("FAILED", "失败")


class SubjectType(LabelledEnum):
    """Whether a feed row's subject (or shareholder) is an enterprise or a person."""

    ENTERPRISE = ("ENTERPRISE", "法人和非法人组织")
    PERSON = ("PERSON", "自然人")


class RiskAlertStatus(LabelledEnum):
    """An alert is active while the latest scan still finds it, resolved once one does not."""

    ACTIVE = ("ACTIVE", "预警中")
    RESOLVED = ("RESOLVED", "已解除")


class CreditGrade(LabelledEnum):
    """Public credit comprehensive evaluation grade (公共信用综合评价, 五(一)); A: lowest risk.

    The grade drives graded supervision (分级分类监管) and is never public (DOMAIN.md).
    """

    A = ("A", "优")
    B = ("B", "良")
    C = ("C", "中")
    D = ("D", "差")


class InspectionTaskStatus(LabelledEnum):
    """A 双随机 inspection task: planned, drawn, and done once every object has its result."""

    PLANNED = ("PLANNED", "待抽取")
    DRAWN = ("DRAWN", "已抽取")
    COMPLETED = ("COMPLETED", "已完成")


class InspectionOutcome(LabelledEnum):
    """The result of inspecting one drawn object (抽查结果), as 双随机一公开 publishes it."""

    NO_PROBLEM = ("NO_PROBLEM", "未发现问题")
    NOT_OPERATING = ("NOT_OPERATING", "未发现开展本次抽查涉及的经营活动")
    UNREACHABLE = ("UNREACHABLE", "通过登记的住所（经营场所）无法联系")
    RECTIFICATION_ORDERED = ("RECTIFICATION_ORDERED", "发现问题已责令整改")
    CASE_FILED = ("CASE_FILED", "发现问题已立案查处")
    REFERRED = ("REFERRED", "发现问题已移送有关部门")
    OBSTRUCTED = ("OBSTRUCTED", "不配合检查情节严重")


class DeliveryStatus(LabelledEnum):
    """One delivery attempt of an export to a connected system (hub/exchange/delivery.py)."""

    SENT = ("SENT", "已发送")
    ACKNOWLEDGED = ("ACKNOWLEDGED", "已确认接收")
    FAILED = ("FAILED", "发送失败")


class ExchangeLevel(LabelledEnum):
    """Which level of the network sent an imported list or result down (loaders/exchange/)."""

    PROVINCE = ("PROVINCE", "省级下发")
    NATIONAL = ("NATIONAL", "国家下发")
