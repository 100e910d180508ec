"""The notifications endpoint: ``/api/v1/notifications/``, the caller's own notifications only (client contacts'
too), with marking one or all read through the notification services. Another person's notification is a 404,
as in the browser's centre."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apm.api.viewsets import SignedInViewSet
from projects.models import Notification, NotificationKind
from projects.notifications import selectors, services

if TYPE_CHECKING:
    from apm.accounts.models import User


class NotificationSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", default=None, allow_null=True)
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "url", "project", "created_at", "read_at", "unread"]

    def get_unread(self, notification: Notification) -> bool:
        return notification.read_at is None


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="Unread only (or read).")
    kind = django_filters.ChoiceFilter(choices=NotificationKind.choices)

    class Meta:
        model = Notification
        fields: list[str] = []


def _me(request: Request) -> User:
    """The signed-in person (``SignedIn`` let only them through)."""
    return cast("User", request.user)


MarkedAll = inline_serializer("NotificationsMarkedRead", fields={"marked": serializers.IntegerField()})


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SignedInViewSet):
    """The caller's notifications, newest first; ``read`` marks one, ``read-all`` every unread one."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-pk"]

    def visible(self, user: Any) -> QuerySet[Notification]:
        if not getattr(user, "is_authenticated", False):  # the schema's generator asks with nobody signed in
            return Notification.objects.none()
        return selectors.notifications_of(user=user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        """Mark this notification read (a second time keeps the first time)."""
        notification = self.get_object()
        marked = services.notification_mark_read(user=_me(request), notification_id=notification.pk)
        marked.project = notification.project
        return Response(self.get_serializer(marked).data)

    @extend_schema(request=None, responses={status.HTTP_200_OK: MarkedAll})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark every unread notification of the caller read; says how many."""
        return Response({"marked": services.notifications_mark_all_read(user=_me(request))})


ROUTES: list[tuple[str, Any, str]] = [("notifications", NotificationViewSet, "api-notification")]
