"""Models of the projects app, one module per area.

Each area module's models are re-exported here so that
``from projects.models import Project`` keeps working.
"""

from projects.models.portfolio import (
    CURRENCY_CHOICES,
    Client,
    ClientContact,
    Milestone,
    Project,
    ProjectStatus,
    StatusUpdate,
)

__all__ = [
    "CURRENCY_CHOICES",
    "Client",
    "ClientContact",
    "Milestone",
    "Project",
    "ProjectStatus",
    "StatusUpdate",
]

from projects.models.budget import (
    Approval,
    Baseline,
    BudgetAlert,
    BudgetEvent,
    BudgetLine,
    ContingencyRequest,
    ContingencyState,
    CostBasis,
    CostCategory,
    ExceptionPlan,
    ExceptionState,
    Expense,
    PlanState,
    ProjectBudget,
    ProjectFigures,
    RateSource,
    TimeEntry,
    ToleranceException,
    ToleranceKind,
)

__all__ += [
    "Approval",
    "Baseline",
    "BudgetAlert",
    "BudgetEvent",
    "BudgetLine",
    "ContingencyRequest",
    "ContingencyState",
    "CostBasis",
    "CostCategory",
    "ExceptionPlan",
    "ExceptionState",
    "Expense",
    "PlanState",
    "ProjectBudget",
    "ProjectFigures",
    "RateSource",
    "TimeEntry",
    "ToleranceException",
    "ToleranceKind",
]

from projects.models.staffing import (  # noqa: E402
    Allocation,
    AllocationStatus,
    OpenRole,
    OpenRoleSkill,
    OpenRoleStatus,
)

__all__ += ["Allocation", "AllocationStatus", "OpenRole", "OpenRoleSkill", "OpenRoleStatus"]

from projects.models.changes import (  # noqa: E402
    Approvers,
    ApproverSide,
    ChangeApproval,
    ChangeFunding,
    ChangeRequest,
    ChangeStatus,
    RaisedBy,
)
from projects.models.delivery import (  # noqa: E402
    Deliverable,
    DeliverableBaseline,
    DeliverableStatus,
    SignOffOverride,
)
from projects.models.quality import (  # noqa: E402
    CheckResult,
    NonConformance,
    NonConformanceStatus,
    QualityCriterion,
    QualityReview,
    QualityStandard,
    ReviewCheck,
    ReviewOutcome,
)
from projects.models.raid import RaidItem, RaidKind, RaidSettings, RaidStatus, Severity  # noqa: E402

__all__ += [
    "ApproverSide",
    "Approvers",
    "ChangeApproval",
    "ChangeFunding",
    "ChangeRequest",
    "ChangeStatus",
    "CheckResult",
    "Deliverable",
    "DeliverableBaseline",
    "DeliverableStatus",
    "NonConformance",
    "NonConformanceStatus",
    "QualityCriterion",
    "QualityReview",
    "QualityStandard",
    "RaidItem",
    "RaidKind",
    "RaidSettings",
    "RaidStatus",
    "RaisedBy",
    "ReviewCheck",
    "ReviewOutcome",
    "Severity",
    "SignOffOverride",
]

from projects.models.documents import (  # noqa: E402
    Channel,
    Clause,
    ClauseChangeProposal,
    ClauseKind,
    Correspondence,
    CorrespondenceAttachment,
    CorrespondenceStatus,
    Counterpart,
    Direction,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    EvidenceKind,
    LetterTemplate,
    ObligationOccurrence,
    OccurrenceOutcome,
    ProposalStatus,
    ReminderKind,
    ReminderSent,
    Visibility,
)

__all__ += [
    "Channel",
    "Clause",
    "ClauseChangeProposal",
    "ClauseKind",
    "Correspondence",
    "CorrespondenceAttachment",
    "CorrespondenceStatus",
    "Counterpart",
    "Direction",
    "Document",
    "DocumentKind",
    "DocumentStatus",
    "DocumentVersion",
    "EvidenceKind",
    "LetterTemplate",
    "ObligationOccurrence",
    "OccurrenceOutcome",
    "ProposalStatus",
    "ReminderKind",
    "ReminderSent",
    "Visibility",
]

from projects.models.imports import ImportJob, ImportJobStatus, ImportMapping, ImportPhase  # noqa: E402

__all__ += ["ImportJob", "ImportJobStatus", "ImportMapping", "ImportPhase"]

from projects.models.billing import (  # noqa: E402
    BillingMilestone,
    BillingModel,
    BillRate,
    ExchangeRate,
    MarginAlert,
    ProjectBilling,
    Recognition,
    TimesheetReminder,
    TimesheetReminderKind,
    TimeTimer,
)

__all__ += [
    "BillRate",
    "BillingMilestone",
    "BillingModel",
    "ExchangeRate",
    "MarginAlert",
    "ProjectBilling",
    "Recognition",
    "TimeTimer",
    "TimesheetReminder",
    "TimesheetReminderKind",
]

from projects.models.invoices import (  # noqa: E402
    NUMBER_PREFIXES,
    Grouping,
    Invoice,
    InvoiceDelivery,
    InvoiceItem,
    InvoiceKind,
    InvoiceLine,
    InvoiceSequence,
    InvoiceState,
    LineKind,
    RetainerPart,
)

__all__ += [
    "NUMBER_PREFIXES",
    "Grouping",
    "Invoice",
    "InvoiceDelivery",
    "InvoiceItem",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceSequence",
    "InvoiceState",
    "LineKind",
    "RetainerPart",
]

from projects.models.tasks import OPEN_TASK_STATES, Task, TaskChecklistItem, TaskPriority, TaskStatus  # noqa: E402

__all__ += ["OPEN_TASK_STATES", "Task", "TaskChecklistItem", "TaskPriority", "TaskStatus"]

from projects.models.templates import ProjectTemplate  # noqa: E402

__all__ += ["ProjectTemplate"]

from projects.models.conversation import (  # noqa: E402
    ANCHORS,
    ChatEvent,
    ChatHook,
    ChatService,
    Comment,
    CommentAttachment,
    CommentVisibility,
    DigestRun,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
)

__all__ += [
    "ANCHORS",
    "ChatEvent",
    "ChatHook",
    "ChatService",
    "Comment",
    "CommentAttachment",
    "CommentVisibility",
    "DigestRun",
    "Notification",
    "NotificationChannel",
    "NotificationKind",
    "NotificationPreference",
]
