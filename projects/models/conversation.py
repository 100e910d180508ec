"""Conversation on the record: comments, the notifications they and other events raise, chat hooks.

A :class:`Comment` hangs on exactly one anchor of a project (a deliverable,
task, change request, RAID item, document or correspondence entry; a check
constraint holds that). It is internal unless ``visibility`` is client, and
the client side sees only client-visible comments on what it may see itself
(``apm.access``). Edits keep history (django-simple-history); deletion keeps
the row as a tombstone (``deleted_at``, the body emptied), so a thread never
loses its shape.

A :class:`Notification` is one thing waiting for one person. ``key`` makes
it idempotent: a producer that runs twice (a beat task, a retried job) names
the same event the same way, and the unique constraint on (recipient, key)
lets the second one create nothing. How a person hears of each kind is their
:class:`NotificationPreference`; with none, the kind's default applies
(``projects.notifications``).

A :class:`ChatHook` is a project's incoming webhook of Slack or Microsoft
Teams (Workflows); what it sends goes through the one outbound HTTP delivery
(``apm.outbound``).
"""

from __future__ import annotations

from collections.abc import Collection

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from apm.validators import inside_path, web_url
from projects.models.budget import private_storage
from projects.models.changes import ChangeRequest
from projects.models.delivery import Deliverable
from projects.models.documents import Correspondence, Document
from projects.models.portfolio import Project
from projects.models.raid import RaidItem
from projects.models.tasks import Task

#: The anchor fields of a comment, in the order pages list them.
ANCHORS = ("deliverable", "task", "change_request", "raid_item", "document", "correspondence")


def _one_anchor() -> Q:
    """Exactly one of :data:`ANCHORS` is set."""
    one = Q()
    for name in ANCHORS:
        one |= Q(**{f"{name}__isnull": False}, **{other: None for other in ANCHORS if other != name})
    return one


class CommentVisibility(models.TextChoices):
    INTERNAL = "internal", "Internal"
    CLIENT = "client", "Visible to the client"


class Comment(models.Model):
    """One comment on one anchor of ``project``; ``mentions`` are the people it names with ``@``.

    ``author`` may be an internal user or a client contact. ``edited_at`` is
    set by every edit after the first save; ``deleted_at`` (with
    ``deleted_by``) makes it a tombstone: the body is emptied, the history
    keeps what it said.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="comments")
    deliverable = models.ForeignKey(
        Deliverable, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    change_request = models.ForeignKey(
        ChangeRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    raid_item = models.ForeignKey(RaidItem, null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    correspondence = models.ForeignKey(
        Correspondence, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=10_000)
    visibility = models.CharField(max_length=10, choices=CommentVisibility.choices, default=CommentVisibility.INTERNAL)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["edited_at"])

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["project", "created_at"])]
        constraints = [models.CheckConstraint(name="comment_has_one_anchor", condition=_one_anchor())]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.project}"

    @property
    def anchor(self) -> models.Model | None:
        """The one object the comment is on."""
        for name in ANCHORS:
            if getattr(self, f"{name}_id") is not None:
                return getattr(self, name)
        return None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        """A tombstone's body is empty by design: validate it only while the comment stands."""
        if self.is_deleted:
            exclude = {*(exclude or ()), "body"}
        super().clean_fields(exclude=exclude)


class CommentAttachment(models.Model):
    """A file attached to a comment, checked by content as every upload is (``apm.uploads``)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to="comments/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["comment", "pk"]

    def __str__(self) -> str:
        return self.original_name


class NotificationKind(models.TextChoices):
    MENTION = "mention", "Mentions of me"
    COMMENT = "comment", "Comments on what I own or follow"
    ASSIGNMENT = "assignment", "Work assigned to me"
    DECISION = "decision", "Decisions waiting for me"
    ESCALATION = "escalation", "Escalations"
    DUE = "due", "Due soon"
    OVERDUE = "overdue", "Overdue"


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", "In APM only"
    EMAIL = "email", "Email at once"
    DIGEST = "digest", "Daily digest"
    OFF = "off", "Off"


class Notification(models.Model):
    """One thing waiting for ``recipient``: ``text`` says what, ``url`` where (a path inside APM).

    ``key`` names the event (``"mention:comment:41"``, ``"overdue:task:7:2026-12-08"``);
    (recipient, key) is unique, so a producer that runs twice creates one
    notification. ``emailed_at`` is set when it went out by email at once,
    ``digested_at`` when a daily digest carried it.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=500, blank=True, validators=[inside_path])
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_event")]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.text}"


class NotificationPreference(models.Model):
    """How ``user`` hears of notifications of ``kind``; a kind without a row takes its default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    channel = models.CharField(max_length=8, choices=NotificationChannel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} -> {self.channel}"


class DigestRun(models.Model):
    """The daily digest of ``user`` for ``day`` (their local date): unique, so a day's digest goes once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    notification_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_day")]

    def __str__(self) -> str:
        return f"Digest of {self.user} for {self.day}"


class ChatService(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams (Workflows)"


class ChatEvent(models.TextChoices):
    CRITICAL_ISSUE = "critical_issue", "A critical issue is raised"
    ESCALATION = "escalation", "A critical issue escalates"
    DECISION = "decision", "A change request or sign-off is decided"
    CLIENT_COMMENT = "client_comment", "The client comments"
    BUDGET_ALERT = "budget_alert", "A budget tolerance is broken"


class ChatHook(models.Model):
    """An incoming webhook of a project's team channel in Slack or Microsoft Teams.

    ``url`` is a secret of the channel (pages show only its host); ``events``
    is the list of :class:`ChatEvent` values it receives.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="chat_hooks")
    service = models.CharField(max_length=8, choices=ChatService.choices)
    name = models.CharField(max_length=100, help_text="The channel, as the team calls it (#launch-team).")
    url = models.URLField(max_length=500, validators=[web_url])
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.get_service_display()} {self.name} ({self.project})"
