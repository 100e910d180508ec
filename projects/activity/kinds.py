"""The kinds of object the activity feed reads the history of, and how each names its objects.

A :class:`Kind` is one history table of django-simple-history (``<Model>.history``): the filter value a page
offers, how a history row finds its project (``project`` itself, or through the deliverable or clause it
belongs to), the fields that are money (never shown without ``see_money``) or noise (a task's place in its
board column), the verbs of its entries, and what the history row is annotated with in its one query (the
names of what it hangs on: a comment's anchor, a proposal's clause). :func:`describe` turns one history row
into ``(noun and reference, title, URL name and arguments)``.

Budget and billing objects keep no history, so they have no kind: nothing of them reaches the feed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, OuterRef, Subquery

from projects.changes.selectors import MONEY_FIELDS
from projects.models import (
    ChangeRequest,
    Clause,
    ClauseChangeProposal,
    Comment,
    Correspondence,
    Deliverable,
    Document,
    NonConformance,
    QualityReview,
    RaidItem,
    RaidKind,
    Task,
)


def _value_of(model: type[Model], field_name: str, outer: str) -> Subquery:
    """``field_name`` of the ``model`` row whose pk is the history row's ``outer`` (None when gone)."""
    return Subquery(model._default_manager.filter(pk=OuterRef(outer)).order_by().values(field_name)[:1])


@dataclass(frozen=True)
class Kind:
    """One history table the feed reads.

        ``key`` is the page's filter value, ``label`` its words; ``project`` the lookup from a history row to
        its project's id (through the deliverable or clause it belongs to: their page is the one it links,
    ``links_self`` false); ``money`` the fields shown only with ``see_money``; ``quiet`` fields whose changes
        alone make no entry; ``created``/``deleted`` the verbs; ``annotations`` what the row's query adds.
    """

    key: str
    label: str
    model: type[Model]
    project: str = "project_id"
    money: frozenset[str] = frozenset()
    quiet: frozenset[str] = frozenset()
    links_self: bool = True
    created: str = "created"
    deleted: str = "deleted"
    annotations: Callable[[], dict[str, Any]] = field(default=dict)


#: The anchors of a comment: (field, noun, URL name, the anchor's words annotated on the history row).
COMMENT_ANCHORS: tuple[tuple[str, str, str], ...] = (
    ("deliverable", "deliverable", "projects:deliverable"),
    ("task", "task", "projects:task"),
    ("change_request", "change request", "projects:change"),
    ("raid_item", "RAID item", "projects:raid_item"),
    ("document", "document", "projects:document"),
    ("correspondence", "correspondence", "projects:correspondence_entry"),
)


def _comment_anchors() -> dict[str, Any]:
    return {
        "anchor_deliverable": _value_of(Deliverable, "name", "deliverable_id"),
        "anchor_task": _value_of(Task, "title", "task_id"),
        "anchor_change_request": _value_of(ChangeRequest, "number", "change_request_id"),
        "anchor_change_request_title": _value_of(ChangeRequest, "title", "change_request_id"),
        "anchor_raid_item": _value_of(RaidItem, "kind", "raid_item_id"),
        "anchor_document": _value_of(Document, "title", "document_id"),
        "anchor_correspondence": _value_of(Correspondence, "subject", "correspondence_id"),
    }


KINDS: tuple[Kind, ...] = (
    Kind("deliverable", "Deliverables", Deliverable),
    Kind("task", "Tasks", Task, quiet=frozenset({"position"})),
    Kind("change", "Change requests", ChangeRequest, money=MONEY_FIELDS, created="raised"),
    Kind("raid", "RAID items", RaidItem, created="raised"),
    Kind(
        "review",
        "Quality reviews",
        QualityReview,
        project="deliverable__project_id",
        links_self=False,
        created="recorded",
        annotations=lambda: {"deliverable_name": _value_of(Deliverable, "name", "deliverable_id")},
    ),
    Kind(
        "nc",
        "Non-conformances",
        NonConformance,
        project="deliverable__project_id",
        links_self=False,
        created="opened",
    ),
    Kind("document", "Documents", Document, created="added"),
    Kind("clause", "Clauses", Clause, created="added"),
    Kind(
        "proposal",
        "Clause proposals",
        ClauseChangeProposal,
        project="clause__project_id",
        links_self=False,
        created="proposed",
        annotations=lambda: {"clause_number": _value_of(Clause, "number", "clause_id")},
    ),
    Kind("correspondence", "Correspondence", Correspondence, created="logged"),
    Kind("comment", "Comments", Comment, annotations=_comment_anchors),
)
KIND_BY_KEY = {kind.key: kind for kind in KINDS}


def _raid_reference(kind: str | None, pk: int) -> str:
    return f"{(kind or '?')[:1].upper()}-{pk}"


def describe(kind: Kind, record: Any) -> tuple[str, str, str, dict[str, Any]]:
    """``(noun and reference, title, URL name, URL arguments)`` of the object of history row ``record``
    (``"task T-12"``, ``"Draft brief"``, ``"projects:task"``, ``{"pk": 12}``); the page links the object
    only while it still exists."""
    if kind.model is Deliverable:
        return f"deliverable D-{record.id}", record.name, "projects:deliverable", {"pk": record.id}
    if kind.model is Task:
        return f"task T-{record.id}", record.title, "projects:task", {"pk": record.id}
    if kind.model is ChangeRequest:
        return f"change request CR-{record.number}", record.title, "projects:change", {"number": record.number}
    if kind.model is RaidItem:
        noun = RaidKind(record.kind).label.lower() if record.kind in RaidKind.values else "RAID item"
        reference = _raid_reference(record.kind, record.id)
        return f"{noun} {reference}", record.title, "projects:raid_item", {"pk": record.id}
    if kind.model is QualityReview:
        noun = f"a quality review of deliverable D-{record.deliverable_id}"
        return noun, record.deliverable_name or "", "projects:deliverable", {"pk": record.deliverable_id}
    if kind.model is NonConformance:
        noun = f"non-conformance NC-{record.id}"
        return noun, record.title, "projects:deliverable", {"pk": record.deliverable_id}
    if kind.model is Document:
        return "document", record.title, "projects:document", {"pk": record.id}
    if kind.model is Clause:
        return f"clause {record.number}", record.title, "projects:clause", {"pk": record.id}
    if kind.model is ClauseChangeProposal:
        return f"a change to clause {record.clause_number or '?'}", "", "projects:clause", {"pk": record.clause_id}
    if kind.model is Correspondence:
        return "correspondence", record.subject, "projects:correspondence_entry", {"pk": record.id}
    raise ValueError(f"No words for {kind.key}.")


def comment_anchor(record: Any) -> tuple[str, str, str, dict[str, Any]] | None:
    """``(noun and reference, title, URL name, URL arguments)`` of what comment history row ``record`` is on;
    None when that object is gone (the comment went with it)."""
    for name, noun, url_name in COMMENT_ANCHORS:
        anchor_id = getattr(record, f"{name}_id")
        if anchor_id is None:
            continue
        words = getattr(record, f"anchor_{name}")
        if words is None:
            return None
        if name == "change_request":
            return f"{noun} CR-{words}", record.anchor_change_request_title, url_name, {"number": words}
        if name == "raid_item":
            return f"{noun} {_raid_reference(words, anchor_id)}", "", url_name, {"pk": anchor_id}
        if name in ("deliverable", "task"):
            return f"{noun} {name[:1].upper()}-{anchor_id}", words, url_name, {"pk": anchor_id}
        return noun, words, url_name, {"pk": anchor_id}
    return None
