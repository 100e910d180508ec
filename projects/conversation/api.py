"""The comments endpoint: ``/api/v1/comments/`` (the team's; the portal's endpoints give the client theirs).

Who sees a comment is ``access.see_comment``; lists filter by ``project`` (code) and by an anchor (``deliverable``,
``task``, ``change_request``, ``raid_item``, ``document``, ``correspondence``: its id). Writing one is the
browser's form: the anchor is looked up inside the project's internal pages (``access.see_internal``, else a
404) and ``comment_create`` decides the rest (``access.comment``, who may make it visible to the client, the
body, @mentions and their notifications), its refusal a 400 problem. Attachments are the browser's only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apm import access
from apm.api.viewsets import ApiViewSet, token_projects
from apm.dates import MAX_ID
from projects.conversation import services
from projects.models import ANCHORS, Comment, CommentVisibility
from teams.api import id_filter

if TYPE_CHECKING:
    from apm.accounts.models import User


def _anchor_of(comment: Comment) -> tuple[str, int]:
    for name in ANCHORS:
        pk = getattr(comment, f"{name}_id")
        if pk is not None:
            return name, pk
    raise ValueError(f"Comment {comment.pk} has no anchor.")  # a check constraint says it never happens


class CommentSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    anchor = serializers.SerializerMethodField()
    anchor_id = serializers.SerializerMethodField()
    author = serializers.CharField(source="author.username", default=None, allow_null=True)
    mentions: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="username"
    )
    deleted = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id",
            "project",
            "anchor",
            "anchor_id",
            "author",
            "body",
            "visibility",
            "mentions",
            "created_at",
            "edited_at",
            "deleted",
            "deleted_at",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=ANCHORS, help_text="What the comment is on."))
    def get_anchor(self, comment: Comment) -> str:
        return _anchor_of(comment)[0]

    def get_anchor_id(self, comment: Comment) -> int:
        return _anchor_of(comment)[1]

    def get_deleted(self, comment: Comment) -> bool:
        return comment.is_deleted


class CommentCreateSerializer(serializers.Serializer):
    project = serializers.CharField(help_text="The project's code.")
    anchor = serializers.ChoiceField(choices=ANCHORS, help_text="What the comment is on.")
    anchor_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    body = serializers.CharField(max_length=services.MAX_BODY, help_text="The text; @username mentions a person.")
    visible_to_client = serializers.BooleanField(
        default=False, help_text="Visible to the client (the PM or a head, on what the client side shows)."
    )


class CommentPostedSerializer(CommentSerializer):
    not_notified = serializers.ListField(
        child=serializers.CharField(), help_text="Mentioned people not notified: they may not see the comment."
    )
    unknown_mentions = serializers.ListField(child=serializers.CharField(), help_text="Mentions of nobody.")

    class Meta(CommentSerializer.Meta):
        fields = [*CommentSerializer.Meta.fields, "not_notified", "unknown_mentions"]


class CommentFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    deliverable = id_filter("deliverable_id", "Comments on this deliverable (its id).")
    task = id_filter("task_id", "Comments on this task (its id).")
    change_request = id_filter("change_request_id", "Comments on this change request (its id).")
    raid_item = id_filter("raid_item_id", "Comments on this raid item (its id).")
    document = id_filter("document_id", "Comments on this document (its id).")
    correspondence = id_filter("correspondence_id", "Comments on this correspondence (its id).")
    visibility = django_filters.ChoiceFilter(choices=CommentVisibility.choices)

    class Meta:
        model = Comment
        fields: list[str] = []


class CommentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Comments the person sees, oldest first; writing one as the anchor's comment form does."""

    serializer_class = CommentSerializer
    filterset_class = CommentFilter
    ordering_fields = ["created_at"]
    ordering = ["created_at", "pk"]

    def visible(self, user: Any) -> QuerySet[Comment]:
        return access.see_comment.queryset(user).select_related("project", "author").prefetch_related("mentions")

    @extend_schema(
        request=CommentCreateSerializer,
        responses={status.HTTP_201_CREATED: CommentPostedSerializer},
        examples=[
            OpenApiExample(
                "A comment on a deliverable",
                value={"project": "ALPHA-1", "anchor": "deliverable", "anchor_id": 1, "body": "Looks good, @pm."},
                request_only=True,
            )
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Write a comment on a deliverable, task, change request, RAID item, document or correspondence entry."""
        given = CommentCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        projects = access.see_internal.queryset(request.user)
        limit = token_projects(request)
        if limit is not None:
            projects = projects.filter(pk__in=limit)
        project = projects.filter(code=data["project"]).first()
        if project is None:
            raise exceptions.NotFound("No such project, or not yours to see.")
        model = services.ANCHOR_MODELS[data["anchor"]]
        anchor = model._default_manager.filter(project=project, pk=data["anchor_id"]).first()
        if anchor is None:
            raise exceptions.NotFound(f"No such {services.ANCHOR_WORDS[data['anchor']]} in {project.code}.")
        posted = services.comment_create(
            anchor=anchor,
            author=cast("User", request.user),
            body=data["body"],
            visibility=CommentVisibility.CLIENT if data["visible_to_client"] else CommentVisibility.INTERNAL,
        )
        comment = self.visible(request.user).get(pk=posted.comment.pk)
        body = dict(CommentSerializer(comment, context=self.get_serializer_context()).data)
        body["not_notified"] = [user.username for user in posted.not_notified]
        body["unknown_mentions"] = list(posted.unknown)
        return Response(body, status=status.HTTP_201_CREATED)


ROUTES: list[tuple[str, Any, str]] = [("comments", CommentViewSet, "api-comment")]
