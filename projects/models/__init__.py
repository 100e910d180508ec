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
    Baseline,
    BudgetAlert,
    BudgetEvent,
    BudgetLine,
    ContingencyRequest,
    ContingencyState,
    CostCategory,
    ExceptionState,
    Expense,
    ProjectBudget,
    TimeEntry,
    ToleranceException,
    ToleranceKind,
)

__all__ += [
    "Baseline",
    "BudgetAlert",
    "BudgetEvent",
    "BudgetLine",
    "ContingencyRequest",
    "ContingencyState",
    "CostCategory",
    "ExceptionState",
    "Expense",
    "ProjectBudget",
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
