"""Change requests: a proposed change to cost, dates, scope or quality, its approvals and how it was applied.

Money (``cost_impact``) is Decimal in the project's currency, major units,
and internal: a client contact sees ``client_summary`` (the PM's words for
the client) and never the cost. ``schedule_impact_days`` moves the project's
finish and the due dates of ``affected_deliverables`` by that many days
when the change is approved. Every change is kept (``history``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from projects.models.budget import Baseline, CostCategory
from projects.models.delivery import Deliverable
from projects.models.portfolio import Project


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    IMPLEMENTED = "implemented", "Implemented"


class RaisedBy(models.TextChoices):
    TEAM = "team", "Team"
    CLIENT = "client", "Client"
    MANAGEMENT = "management", "Management"


class Approvers(models.TextChoices):
    HEAD = "head", "Department head"
    CLIENT = "client", "Client"
    BOTH = "both", "Department head and client"


class ApproverSide(models.TextChoices):
    HEAD = "head", "Department head"
    CLIENT = "client", "Client"


class ChangeFunding(models.TextChoices):
    """Where an approved cost impact comes from: the company side's choice, kept in ``ChangeRequest.applied``."""

    BUDGET = "budget", "New money: BAC rises by it"
    CONTINGENCY = "contingency", "From the contingency reserve: the reserve falls, BAC rises by it"
    REMAINDER = "remainder", "From the unallocated remainder: BAC stays"


#: What a change request says about its funding once applied (its page, its history entry).
FUNDING_STATEMENTS = {
    ChangeFunding.BUDGET: "the budget rises by it",
    ChangeFunding.CONTINGENCY: "funded from the contingency reserve",
    ChangeFunding.REMAINDER: "funded from the unallocated remainder",
}


class ChangeRequest(models.Model):
    """A change request (``CR-<number>`` within the project) and its workflow (``status``).

    ``approvers`` says whose approval it needs; approval by every required
    side applies it (``applied`` records what moved and how its cost was
    funded, a ``ChangeFunding`` the head side chose when it approved;
    ``baseline`` is the new baseline; the old one is kept).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_requests")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    description = models.TextField()
    reason = models.TextField()
    raised_by = models.CharField(max_length=12, choices=RaisedBy.choices, default=RaisedBy.TEAM)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    cost_impact = models.DecimalField(
        "cost impact (internal)",
        max_digits=18,
        decimal_places=2,
        default=Decimal("0"),
        help_text="Added to the budget on approval, in the project's currency. Never shown to the client.",
    )
    cost_category = models.CharField(max_length=20, choices=CostCategory.choices, default=CostCategory.LABOUR)
    schedule_impact_days = models.IntegerField(
        "schedule impact (days)", default=0, help_text="Days the finish and the affected deliverables move."
    )
    affected_deliverables = models.ManyToManyField(Deliverable, blank=True, related_name="change_requests")
    scope_impact = models.TextField(blank=True)
    quality_impact = models.TextField(blank=True)
    client_summary = models.TextField(
        "summary for the client",
        blank=True,
        help_text="What the client reads, in client words. The cost is shown to the client only if you write it here.",
    )
    approvers = models.CharField(max_length=10, choices=Approvers.choices, default=Approvers.HEAD)
    status = models.CharField(max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    implemented_at = models.DateTimeField(null=True, blank=True)
    baseline = models.ForeignKey(Baseline, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    applied = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[affected_deliverables])

    class Meta:
        ordering = ["project", "-number"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="change_request_number_unique")]
        indexes = [models.Index(fields=["project", "status"])]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def reference(self) -> str:
        return f"CR-{self.number}"

    @property
    def funding_statement(self) -> str:
        """How its cost impact was funded ("" before it is applied or without a cost impact)."""
        funding = self.applied.get("funding") if "baseline" in self.applied else None
        return FUNDING_STATEMENTS.get(ChangeFunding(funding), "") if funding in ChangeFunding.values else ""

    @property
    def required_sides(self) -> tuple[str, ...]:
        if self.approvers == Approvers.BOTH:
            return (ApproverSide.HEAD, ApproverSide.CLIENT)
        return (self.approvers,)


class ChangeApproval(models.Model):
    """One side's decision on a change request: who, which side, approve or reject, comment, when."""

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="approvals")
    side = models.CharField(max_length=10, choices=ApproverSide.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    approved = models.BooleanField()
    comment = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["change_request", "at"]
        constraints = [models.UniqueConstraint(fields=["change_request", "side"], name="one_decision_per_side")]

    def __str__(self) -> str:
        return f"{self.change_request.reference} {self.side}: {'approved' if self.approved else 'rejected'}"
