"""Report schedules, reports (with their data snapshot and PDF) and deliveries."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apm.outbox.models import OutboundEmail
from apm.reporting import ReportKind
from projects.models import Project
from teams.models import Department


class Audience(models.TextChoices):
    INTERNAL = "internal", "Internal (costs, rates, margins)"
    CLIENT = "client", "Client (no internal figures)"


class Scope(models.TextChoices):
    PROJECT = "project", "One project"
    DEPARTMENT = "department", "A department"
    PM_PORTFOLIO = "pm_portfolio", "A project manager's portfolio"
    COMPANY = "company", "The whole company"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


#: Monthly days: 1-28, then the two named ones (values fixed in reports.schedule).
DAY_OF_MONTH_CHOICES = [
    *((day, f"Day {day}") for day in range(1, 29)),
    (0, "Last day of the month"),
    (29, "Last working day of the month (Mon-Fri)"),
]


def validate_time_zone(value: str) -> None:
    """Raise ValidationError unless ``value`` is an IANA time zone name."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/London).") from exc


class ReportSchedule(models.Model):
    """When a report of a kind, scope and audience goes out, and to whom.

    Weekly: on ``weekdays`` (list of ISO weekday numbers, 1 = Monday).
    Monthly: on ``day_of_month`` (1-28), the last day (0) or the last working
    day, Monday to Friday (29); see ``reports.schedule``.
    At ``local_time`` in ``time_zone``. ``next_run_at`` (UTC) is the next
    occurrence; the dispatcher claims it with a conditional UPDATE.

    ``created_by`` is the schedule's owner: whoever last saved or resumed it.
    At every dispatch the owner, as they are then, must still be allowed to
    send its audience about its scope (``apm.access.may_send``), and every
    extra address of an internal schedule must still be allowed to receive it
    (``apm.access.may_receive_internal``); otherwise the schedule is paused
    (``active`` false) with ``paused_reason`` saying why.
    """

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    scope = models.CharField(max_length=20, choices=Scope.choices)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    project_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    weekdays = models.JSONField(default=list, blank=True, help_text="ISO weekdays, 1 = Monday … 7 = Sunday.")
    day_of_month = models.PositiveSmallIntegerField(
        "day of the month",
        default=1,
        choices=DAY_OF_MONTH_CHOICES,
        validators=[MinValueValidator(0), MaxValueValidator(29)],
        help_text="For monthly schedules.",
    )
    local_time = models.TimeField()
    time_zone = models.CharField(max_length=64, default="Europe/London", validators=[validate_time_zone])
    send_to_reporting_heads = models.BooleanField(default=True)
    send_to_client_contacts = models.BooleanField(default=False)
    extra_recipients = models.TextField(blank=True, help_text="Extra addresses, one per line.")
    full_commentary = models.BooleanField(
        "full commentary",
        default=False,
        help_text=(
            "Portfolio reports: the commentary of every project. Otherwise only of those that need attention "
            "(red, a broken tolerance, or a RAG changed since the last report); the table lists every project."
        ),
    )
    active = models.BooleanField(default=True)
    paused_reason = models.TextField(blank=True, help_text="Why the dispatcher paused it, shown on the schedules page.")
    paused_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="owner",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Whoever last saved or resumed the schedule; it sends only while they may.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PausedRecipient(models.Model):
    """A recipient who stopped one schedule's reports with the one-click link of its email (RFC 8058).

    ``email_address`` is lower-cased. The schedule goes on for everyone else;
    those who may edit it can undo the pause on the schedules page.
    """

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="paused_recipients")
    email_address = models.EmailField()
    paused_at = models.DateTimeField()

    class Meta:
        ordering = ["schedule", "email_address"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "email_address"], name="one_pause_per_schedule_recipient")
        ]

    def __str__(self) -> str:
        return f"{self.email_address} paused on {self.schedule}"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    # A large report: laid out in parts (ReportChunk) by the workers, then assembled into one PDF.
    CHUNKING = "chunking", "Rendering in parts"
    ASSEMBLING = "assembling", "Assembling"
    RENDERED = "rendered", "Rendered"
    FAILED = "failed", "Failed"


class Report(models.Model):
    """One report: a kind, audience and scope for a period, its snapshot and its PDF.

    ``snapshot`` is the data the PDF was rendered from (JSON; money as
    strings), kept so that a PDF can always be explained and re-rendered.
    One report per (schedule, scheduled_for): a second dispatch is a no-op.
    """

    schedule = models.ForeignKey(
        ReportSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    scope = models.CharField(max_length=20, choices=Scope.choices)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    project_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=300)
    scheduled_for = models.DateTimeField(help_text="The schedule occurrence (UTC), or the request time.")
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    tries = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    queued_at = models.DateTimeField(help_text="When the render task was last handed to the broker.")
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="After a failed render: not tried again before this (backoff)."
    )
    render_started_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    snapshot = models.JSONField(null=True, blank=True)
    pdf = models.FileField(upload_to="reports/%Y/%m/", max_length=500, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    extra_recipients = models.TextField(blank=True, help_text="For on-demand reports: addresses, one per line.")
    # Exception reports: the tolerance breach the report is about.
    tolerance_exception = models.ForeignKey(
        "projects.ToleranceException", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_for", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "scheduled_for"],
                condition=models.Q(schedule__isnull=False),
                name="one_report_per_schedule_occurrence",
            )
        ]
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """A report sent to one recipient: one outbox email per (report, address)."""

    class RecipientKind(models.TextChoices):
        REPORTING_HEAD = "reporting_head", "Reporting head"
        CLIENT_CONTACT = "client_contact", "Client contact"
        EXTRA = "extra", "Extra address"
        REQUESTER = "requester", "Requested by"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deliveries")
    email_address = models.EmailField()
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_kind = models.CharField(max_length=20, choices=RecipientKind.choices)
    email = models.OneToOneField(
        OutboundEmail, null=True, blank=True, on_delete=models.SET_NULL, related_name="delivery"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "email_address"]
        constraints = [models.UniqueConstraint(fields=["report", "email_address"], name="one_delivery_per_recipient")]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.report} -> {self.email_address}"


class ChunkStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ReportChunk(models.Model):
    """One part of a large report, laid out by whichever worker claims it (``reports.services.chunking``).

    ``sections``: the part's sections, each ``{"id", "template", "context", "starts_page", "anchors",
    "weight"}`` (``reports.sections.Section`` as JSON): with ``title`` and the report's kind and audience,
    the only input of its layout. ``key``: the SHA-256
    its layout is cached under (:class:`RenderedChunk`), computed from the sections and everything else
    that can change its pages (``reports.chunk_cache.chunk_key``). Claimed like a report: queued ->
    rendering by a conditional UPDATE (``started_at``, ``tries``), done once its layout is in the cache.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    key = models.CharField(max_length=64)
    title = models.CharField(max_length=300, blank=True, help_text="The report's title, on the first part only.")
    sections = models.JSONField(default=list)
    weight = models.FloatField(
        default=1.0, help_text="Its rough layout cost (its sections' weights): the heaviest queued part goes first."
    )
    status = models.CharField(max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.QUEUED)
    tries = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    queued_at = models.DateTimeField(help_text="When its task was last handed to the broker.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    cached = models.BooleanField(default=False, help_text="Its layout was found in the cache, not laid out again.")

    class Meta:
        ordering = ["report", "index"]
        constraints = [models.UniqueConstraint(fields=["report", "index"], name="one_chunk_per_report_index")]
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.report_id} part {self.index + 1}"


class RenderedChunk(models.Model):
    """A laid-out part of a report, kept under its key (``reports.chunk_cache``): the chunk cache.

    Every worker on every machine reads it (it is in the database). ``pdf``: tagged PDF bytes without page
    furniture; ``sha256`` of them, checked on every read (a corrupt entry is dropped and laid out again);
    ``pages``, ``anchors`` and ``bookmarks``: what the merge needs (``apm.pdf.Chunk``). Written in one
    INSERT (atomic); pruned by ``used_at`` beyond ``settings.APM_REPORT_CHUNK_CACHE_MB``.
    """

    key = models.CharField(max_length=64, unique=True)
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    pages = models.PositiveIntegerField()
    anchors = models.JSONField(default=dict)
    bookmarks = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"chunk {self.key[:12]} ({self.pages} pages)"
