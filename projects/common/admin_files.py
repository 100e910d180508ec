"""Private files in the admin: read-only, linked to the view that checks access.

A FileField on ``private_storage`` has no URL (``PrivateStorage.url``
raises), and Django's admin, editable or read-only, links a file to its URL:
the page would answer 500. An admin that shows a model with such a field
derives from :class:`PrivateFilesAdminMixin` and names, per field, the
access-checked view that serves it (:class:`ProtectedDownload`); the admin
then shows the file's name linked to that view, or as plain text where a
field has none. The file cannot be replaced here: an upload through the
admin would skip the check by content that APM's own pages make.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django import forms
from django.contrib.admin.options import BaseModelAdmin
from django.db import models
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from projects.models.budget import PrivateStorage


@dataclass(frozen=True)
class ProtectedDownload:
    """A view serving a private file to those who may see its project (or the row itself).

    ``url_name`` takes (project code, pk of the row holding the file);
    ``project`` is the attribute path from that row to its project
    (``"review.deliverable.project"``). A row of no project (an import job's
    upload): ``project`` is ``""`` and ``url_name`` takes the row's pk alone.
    """

    url_name: str
    project: str

    def url(self, obj: models.Model) -> str:
        if not self.project:
            return reverse(self.url_name, args=[obj.pk])
        return reverse(self.url_name, args=[attrgetter(self.project)(obj).code, obj.pk])


def private_file_fields(model: type[models.Model]) -> list[str]:
    """Names of ``model``'s file fields kept in private storage."""
    return [
        field.name
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField) and isinstance(field.storage, PrivateStorage)
    ]


class PrivateFileWidget(forms.Widget):
    """The stored file's name, linked to ``download`` when there is one; "—" when there is no file."""

    def __init__(self, download: ProtectedDownload | None = None, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.download = download

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        if not value:
            return format_html("{}", "—")
        label = os.path.basename(value.name)
        row = value.instance if isinstance(value, FieldFile) else None
        if self.download is None or row is None or row.pk is None:
            return format_html("{}", label)
        return format_html('<a href="{}">{}</a>', self.download.url(row), label)


class PrivateFileField(forms.Field):
    """A private file in an admin form: shown by :class:`PrivateFileWidget`, never changed (disabled)."""

    def __init__(self, *, download: ProtectedDownload | None, **kwargs: Any) -> None:
        super().__init__(required=False, disabled=True, widget=PrivateFileWidget(download), **kwargs)


class PrivateFilesAdminMixin(BaseModelAdmin):
    """For a ModelAdmin or an inline whose model has private files: see the module docstring.

    ``private_file_downloads`` maps a field name to its :class:`ProtectedDownload`
    (a field left out is shown as plain text). A private file listed in
    ``readonly_fields`` is shown the same way, not through Django's display,
    which asks for its URL.
    """

    private_file_downloads: dict[str, ProtectedDownload] = {}

    def formfield_for_dbfield(self, db_field: models.Field, request: Any, **kwargs: Any) -> forms.Field | None:
        if db_field.name in private_file_fields(self.model):
            return PrivateFileField(
                download=self.private_file_downloads.get(db_field.name),
                label=capfirst(db_field.verbose_name),
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request: Any, obj: models.Model | None = None) -> list[Any]:
        private = private_file_fields(self.model)
        return [name for name in super().get_readonly_fields(request, obj) if name not in private]

    def get_queryset(self, request: Any) -> models.QuerySet:
        # Each link names its project: fetch the rows on the way there with the files, not once per file.
        queryset = super().get_queryset(request)
        paths = sorted(
            {
                download.project.replace(".", "__")
                for download in self.private_file_downloads.values()
                if download.project
            }
        )
        return queryset.select_related(*paths) if paths else queryset
