"""The documents endpoint: ``/api/v1/documents/`` (the register's metadata, never a file).

Rows are those of the documents page: the documents (``access.see_document``) of the projects whose internal
documents the person sees (``access.see_internal_documents``). ``download_url`` is the browser's protected
download of the current version, which checks the same capability again.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from apm import access
from apm.api.viewsets import ApiViewSet
from projects.models import Document, DocumentKind, DocumentStatus, DocumentVersion, Visibility


def _current(document: Document) -> DocumentVersion | None:
    versions: list[DocumentVersion] = document.current_versions  # type: ignore[attr-defined]
    return versions[0] if versions else None


class DocumentSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    owner = serializers.CharField(source="owner.username", default=None, allow_null=True)
    shared_with_client = serializers.BooleanField(source="is_shared")
    version = serializers.SerializerMethodField()
    file_name = serializers.SerializerMethodField()
    size = serializers.SerializerMethodField()
    content_type = serializers.SerializerMethodField()
    uploaded_at = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "project",
            "kind",
            "title",
            "status",
            "owner",
            "signed_on",
            "effective_on",
            "expires_on",
            "shared_with_client",
            "version",
            "file_name",
            "size",
            "content_type",
            "uploaded_at",
            "download_url",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True, help_text="The current version's number."))
    def get_version(self, document: Document) -> int | None:
        current = _current(document)
        return None if current is None else current.number

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_file_name(self, document: Document) -> str | None:
        current = _current(document)
        return None if current is None else current.original_name

    @extend_schema_field(serializers.IntegerField(allow_null=True, help_text="Bytes of the current version."))
    def get_size(self, document: Document) -> int | None:
        current = _current(document)
        return None if current is None else current.size

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_content_type(self, document: Document) -> str | None:
        current = _current(document)
        return None if current is None else current.content_type

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_uploaded_at(self, document: Document) -> str | None:
        current = _current(document)
        return None if current is None else serializers.DateTimeField().to_representation(current.uploaded_at)

    @extend_schema_field(
        serializers.CharField(allow_null=True, help_text="The browser's download of the current version (signed in).")
    )
    def get_download_url(self, document: Document) -> str | None:
        if _current(document) is None:
            return None
        return reverse("projects:document_download", args=[document.project.code, document.pk])


class DocumentFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices)
    status = django_filters.ChoiceFilter(choices=DocumentStatus.choices)
    shared_with_client = django_filters.BooleanFilter(method="shared", label="Shared with the client.")

    class Meta:
        model = Document
        fields: list[str] = []

    def shared(self, queryset: QuerySet[Document], name: str, value: bool) -> QuerySet[Document]:
        if value:
            return queryset.filter(visibility=Visibility.CLIENT)
        return queryset.exclude(visibility=Visibility.CLIENT)


class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The documents of the registers the person sees: metadata and a link to the browser's download."""

    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter
    ordering_fields = ["title", "kind", "status", "expires_on", "updated_at"]
    ordering = ["project__code", "kind", "title", "pk"]

    def visible(self, user: Any) -> QuerySet[Document]:
        current = Prefetch(
            "versions", queryset=DocumentVersion.objects.filter(is_current=True), to_attr="current_versions"
        )
        return (
            access.see_document.queryset(user)
            .filter(project__in=access.see_internal_documents.queryset(user))
            .select_related("project", "owner")
            .prefetch_related(current)
        )


ROUTES: list[tuple[str, Any, str]] = [("documents", DocumentViewSet, "api-document")]
