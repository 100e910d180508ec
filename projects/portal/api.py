"""The portal's API endpoints for client contacts (registered by ``projects/api.py``): the client view as JSON.

``portal/projects/`` (the cards of the portal's home) and ``portal/projects/<code>/`` (a status page:
:class:`~projects.common.client_view.ClientStatus`), ``portal/invoices/`` (issued invoices and credit notes of
their client, never a draft) and ``portal/comments/`` (client-visible comments on what the client side shows).
Every value is built by the client view's builders and the portal's selectors, and each serializer is made
from the client view's declaration (:func:`declared`), so it has exactly the declared keys: nothing
undeclared can reach a client. The team gets a 403 here (:class:`apm.api.viewsets.PortalViewSet`).
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, TypedDict, Union, get_args, get_origin, get_type_hints, is_typeddict

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from apm import access
from apm.api.filters import IdFilter
from apm.api.viewsets import PortalViewSet, token_projects
from projects.common import client_view
from projects.models import Comment, CommentAttachment, Invoice, InvoiceLine, Project
from projects.portal import selectors

# --- Serializers made from the client view's declaration ------------------------------------------

_SCALARS: dict[Any, Callable[..., serializers.Field]] = {
    str: serializers.CharField,
    int: serializers.IntegerField,
    bool: serializers.BooleanField,
    dt.date: serializers.DateField,
    Decimal: lambda **kw: serializers.DecimalField(max_digits=None, decimal_places=None, **kw),
}
_MADE: dict[Any, type[serializers.Serializer]] = {}


def _choice_field(choices: tuple[str, ...], **kwargs: Any) -> serializers.Field:
    """A string field whose schema lists ``choices`` inline: wrapped in ``allOf``, so the schema's enum naming
    leaves it alone (another endpoint's ``rag`` or ``state`` with other choices would collide with it)."""

    @extend_schema_field({"allOf": [{"type": "string", "enum": list(choices)}]})
    class Choice(serializers.CharField):
        pass

    return Choice(allow_blank="" in choices, **kwargs)


def _field(hint: Any, *, many: bool = False, **kwargs: Any) -> serializers.Field:
    """The read-only field for one declared type (a TypedDict, a list, a Literal, ``X | None`` or a scalar)."""
    kwargs.setdefault("read_only", True)
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        arms = [arm for arm in get_args(hint) if arm is not type(None)]
        (arm,) = arms
        return _field(arm, allow_null=True, **kwargs)
    if origin is list:
        (item,) = get_args(hint)
        if is_typeddict(item):
            return declared(item)(many=True, **kwargs)
        return serializers.ListField(child=_field(item, read_only=False), **kwargs)
    if origin is Literal:
        return _choice_field(get_args(hint), **kwargs)
    if is_typeddict(hint):
        return declared(hint)(**kwargs)
    if hint is str:
        kwargs.setdefault("allow_blank", True)
    return _SCALARS[hint](**kwargs)


def declared(declaration: Any) -> type[serializers.Serializer]:
    """A read-only serializer of a client view value: one field per declared key, of the declared type.

    Its schema component is the declaration's name; it serialises a built value (a dict), never a model.
    """
    if declaration not in _MADE:
        fields = {key: _field(hint) for key, hint in get_type_hints(declaration).items()}
        fields["__doc__"] = declaration.__doc__
        _MADE[declaration] = type(f"{declaration.__name__}Serializer", (serializers.Serializer,), fields)
    return _MADE[declaration]


class ClientProjectComment(TypedDict):
    """A client-visible comment with where it is: the project and what it is on."""

    #: The project's code.
    project: str
    #: What it is on.
    anchor: Literal["deliverable", "change_request", "document"]
    #: The id of what it is on (a deliverable's or change request's is in the status page's lists).
    anchor_id: int
    #: The comment as the client reads it.
    comment: client_view.ClientComment


# --- Projects -------------------------------------------------------------------------------------


class _Built:
    """A serializer of a model row through a builder: the row becomes the client value, then JSON."""

    def to_representation(self, instance: Any) -> Any:
        return super().to_representation(self.build(instance))  # type: ignore[misc]

    def build(self, instance: Any) -> Any:
        raise NotImplementedError


class PortalProjectSerializer(_Built, declared(client_view.ClientProjectCard)):  # type: ignore[misc]
    """A project in the client's list (the portal's home)."""

    def build(self, instance: Project) -> client_view.ClientProjectCard:
        return client_view.client_project_card(instance)


class PortalProjectStatusSerializer(_Built, declared(client_view.ClientStatus)):  # type: ignore[misc]
    """Everything the client's status page shows of one project."""

    def build(self, instance: Project) -> client_view.ClientStatus:
        return selectors.portal_status(project=instance, user=self.context["request"].user)


class PortalProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PortalViewSet):
    """The client's projects, by code (list: their cards; one: its status page)."""

    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    project_path = ""
    ordering_fields = ["code", "name", "start_date", "end_date"]
    ordering = ["code"]

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return PortalProjectStatusSerializer if self.action == "retrieve" else PortalProjectSerializer

    def visible(self, user: Any) -> QuerySet[Project]:
        return selectors.portal_projects(user=user)


# --- Invoices -------------------------------------------------------------------------------------


class PortalInvoiceSerializer(_Built, declared(client_view.ClientInvoiceCard)):  # type: ignore[misc]
    """An issued invoice or credit note in the client's list."""

    def build(self, instance: Invoice) -> client_view.ClientInvoiceCard:
        return client_view.client_invoice_card(instance, today=timezone.localdate())


class PortalInvoiceDetailSerializer(_Built, declared(client_view.ClientInvoice)):  # type: ignore[misc]
    """An issued invoice or credit note with its lines."""

    def build(self, instance: Invoice) -> client_view.ClientInvoice:
        return selectors.portal_invoice_view(invoice=instance, today=timezone.localdate())


class PortalInvoiceFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(method="of_project", label="Project code: invoices with a line billing it.")

    class Meta:
        model = Invoice
        fields: list[str] = []

    def of_project(self, queryset: QuerySet[Invoice], name: str, value: str) -> QuerySet[Invoice]:
        return queryset.filter(pk__in=InvoiceLine.objects.filter(project__code=value).values("invoice"))


class PortalInvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PortalViewSet):
    """The client's issued invoices and credit notes (paid and void ones too, never a draft), newest first."""

    filterset_class = PortalInvoiceFilter
    ordering_fields = ["issue_date", "due_date", "number"]

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return PortalInvoiceDetailSerializer if self.action == "retrieve" else PortalInvoiceSerializer

    def visible(self, user: Any) -> QuerySet[Invoice]:
        return selectors.portal_invoices(user=user)

    def get_queryset(self) -> QuerySet[Invoice]:
        # An invoice is the client's, not a project's: a token limited to projects sees those billing them.
        invoices = self.visible(self.request.user)
        limit = token_projects(self.request)
        if limit is not None:
            invoices = invoices.filter(pk__in=InvoiceLine.objects.filter(project__in=limit).values("invoice"))
        return invoices


# --- Comments -------------------------------------------------------------------------------------


def _anchor(comment: Comment) -> tuple[str, int]:
    for name in access.CLIENT_SIDE_ANCHORS:
        anchor_id = getattr(comment, f"{name}_id")
        if anchor_id is not None:
            return name, anchor_id
    raise ValueError("A client-visible comment is on a deliverable, a change request or a document.")


class PortalCommentSerializer(_Built, declared(ClientProjectComment)):  # type: ignore[misc]
    """A client-visible comment, with its project and what it is on."""

    def build(self, instance: Comment) -> ClientProjectComment:
        anchor, anchor_id = _anchor(instance)
        return {
            "project": instance.project.code,
            "anchor": anchor,  # type: ignore[typeddict-item]
            "anchor_id": anchor_id,
            "comment": client_view.client_comment(instance),
        }


class PortalCommentFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label="Project code.")
    deliverable = IdFilter(field_name="deliverable_id", label="Deliverable id.")
    change_request = IdFilter(field_name="change_request_id", label="Change request id.")
    document = IdFilter(field_name="document_id", label="Document id.")

    class Meta:
        model = Comment
        fields: list[str] = []


class PortalCommentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PortalViewSet):
    """Comments visible to the client on deliverables, change requests they decide and documents shared with
    them, in the client's projects; deleted ones as tombstones."""

    serializer_class = PortalCommentSerializer
    filterset_class = PortalCommentFilter
    ordering_fields = ["created_at"]
    ordering = ["created_at", "pk"]

    def visible(self, user: Any) -> QuerySet[Comment]:
        return (
            access.see_comment.queryset(user)
            .filter(visibility=access.CLIENT)
            .select_related("project", "author", "deleted_by")
            .prefetch_related(Prefetch("attachments", queryset=CommentAttachment.objects.order_by("pk")))
        )


#: (URL prefix under /api/v1/, viewset, basename) for each endpoint of this domain.
ROUTES: list[tuple[str, Any, str]] = [
    ("portal/projects", PortalProjectViewSet, "api-portal-project"),
    ("portal/invoices", PortalInvoiceViewSet, "api-portal-invoice"),
    ("portal/comments", PortalCommentViewSet, "api-portal-comment"),
]
