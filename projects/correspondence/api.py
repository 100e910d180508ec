"""The correspondence endpoint: ``/api/v1/correspondence/`` (the log of letters, emails and calls).

Rows are those of the correspondence page: the entries of the projects whose internal documents the person
sees (``access.see_internal_documents``; never a client contact). ``awaiting_reply`` keeps the entries the page's
"awaiting reply" shows: a reply due and the entry still open or awaiting it.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from rest_framework import mixins, serializers

from apm import access
from apm.api.viewsets import ApiViewSet
from projects.models import Channel, Correspondence, CorrespondenceStatus, Counterpart, Direction

#: An entry whose reply is still awaited (``Correspondence.reply_pending`` as a condition).
AWAITING = Q(reply_due_on__isnull=False, status__in=[CorrespondenceStatus.OPEN, CorrespondenceStatus.AWAITING_REPLY])


class CorrespondenceSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    awaiting_reply = serializers.BooleanField(source="reply_pending")
    documents: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    clauses: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Correspondence
        fields = [
            "id",
            "project",
            "direction",
            "channel",
            "date",
            "counterpart_kind",
            "counterpart_organisation",
            "counterpart_person",
            "subject",
            "summary",
            "their_reference",
            "our_reference",
            "reply_due_on",
            "replied_on",
            "status",
            "awaiting_reply",
            "documents",
            "clauses",
            "created_at",
            "updated_at",
        ]


class CorrespondenceFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    counterpart_kind = django_filters.ChoiceFilter(choices=Counterpart.choices)
    status = django_filters.ChoiceFilter(choices=CorrespondenceStatus.choices)
    awaiting_reply = django_filters.BooleanFilter(method="awaiting", label="A reply is due and not yet in.")

    class Meta:
        model = Correspondence
        fields: list[str] = []

    def awaiting(self, queryset: QuerySet[Correspondence], name: str, value: bool) -> QuerySet[Correspondence]:
        return queryset.filter(AWAITING) if value else queryset.exclude(AWAITING)


class CorrespondenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The correspondence of the projects the person sees internally, newest first."""

    serializer_class = CorrespondenceSerializer
    filterset_class = CorrespondenceFilter
    ordering_fields = ["date", "reply_due_on", "updated_at"]
    ordering = ["-date", "-pk"]

    def visible(self, user: Any) -> QuerySet[Correspondence]:
        return (
            Correspondence.objects.filter(project__in=access.see_internal_documents.queryset(user))
            .select_related("project")
            .prefetch_related("documents", "clauses")
        )


ROUTES: list[tuple[str, Any, str]] = [("correspondence", CorrespondenceViewSet, "api-correspondence")]
