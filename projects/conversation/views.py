"""Comment actions: write one on an anchor (an internal page, or the client portal), edit, delete, download a file.

Plain forms that post and redirect back to the anchor's page at the comment
(``#comment-<pk>``), so they work without JavaScript. The internal pages'
anchors are looked up inside ``apm.access.see_internal`` (a client contact
gets a 404 there and comments through the portal); a comment is looked up
inside ``apm.access.see_comment``; anything else is a 404. What a service
refuses is shown in its words and nothing changes (``apm.actions``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import form_valid_or_shown, refusal_shown
from apm.http import AuthenticatedHttpRequest
from projects.common.lookups import child_or_404, project_or_404
from projects.conversation import forms, services
from projects.models import Comment, CommentAttachment, CommentVisibility, Project

#: The anchors the client comments on in the portal: what the portal lists for them.
PORTAL_ANCHORS = ("deliverable", "change_request")


def _anchor_or_404(project: Project, anchor: str, pk: int) -> services.Anchor:
    model = services.ANCHOR_MODELS.get(anchor)
    if model is None:
        raise Http404("Nothing is commented on there.")
    return child_or_404(model, project=project, pk=pk)  # type: ignore[return-value]


def _posted_message(request: AuthenticatedHttpRequest, posted: services.Posted, *, done: str) -> None:
    """``done``, then who was not notified and why, in the writer's words."""
    parts = [done]
    what = services.ANCHOR_WORDS[services.anchor_name(posted.comment.anchor)]  # type: ignore[arg-type]
    for user in posted.not_notified:
        parts.append(f"@{user.username} was not notified: they cannot see this comment on this {what}.")
    if posted.unknown:
        names = ", ".join(f"@{name}" for name in posted.unknown)
        parts.append(f"Nobody is called {names}: nobody was notified of that mention.")
    (messages.warning if len(parts) > 1 else messages.success)(request, " ".join(parts))


def _write(request: AuthenticatedHttpRequest, anchor: services.Anchor, *, client: bool) -> HttpResponse:
    form = forms.CommentForm(request.POST, request.FILES)
    back = services.anchor_url(anchor, client=client)
    if form_valid_or_shown(request, form, failed="The comment was not posted."):
        data = form.cleaned_data
        with refusal_shown(request, failed="The comment was not posted:"):
            posted = services.comment_create(
                anchor=anchor,
                author=request.user,
                body=data["body"],
                # Everything written on the portal is for the client to read.
                visibility=CommentVisibility.CLIENT if client or data["to_client"] else CommentVisibility.INTERNAL,
                files=data["attachments"],
            )
            _posted_message(request, posted, done="Comment posted.")
            return redirect(services.comment_url(posted.comment, client=client))
    return redirect(back.split("#", 1)[0] + "#comments" if not client else back)


@require_POST
@login_required
def comment_add(request: AuthenticatedHttpRequest, code: str, anchor: str, pk: int) -> HttpResponse:
    """Write a comment on a deliverable, task, change request, RAID item, document or correspondence entry."""
    project = project_or_404(request, code, access.see_internal)
    return _write(request, _anchor_or_404(project, anchor, pk), client=False)


@require_POST
@login_required
def portal_comment_add(request: AuthenticatedHttpRequest, code: str, anchor: str, pk: int) -> HttpResponse:
    """The client (or a PM previewing the portal) writes a comment visible to the client on a deliverable or
    change request of the portal page."""
    project = project_or_404(request, code)
    if anchor not in PORTAL_ANCHORS:
        raise Http404("Nothing is commented on there.")
    return _write(request, _anchor_or_404(project, anchor, pk), client=True)


def _comment_or_404(request: AuthenticatedHttpRequest, code: str, pk: int) -> Comment:
    project = project_or_404(request, code)
    queryset = Comment.objects.select_related(
        "project", "deliverable__project", "task__project", "change_request__project", "raid_item__project"
    ).select_related("document__project", "correspondence__project")
    return access.object_or_404(request.user, access.see_comment, queryset=queryset, project=project, pk=pk)


def _client(request: AuthenticatedHttpRequest) -> bool:
    return access.audience_for(request.user) == access.CLIENT


@require_POST
@login_required
def comment_edit(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """The author changes their comment's text (the earlier text stays in its history)."""
    comment = _comment_or_404(request, code, pk)
    form = forms.CommentEditForm(request.POST)
    if form_valid_or_shown(request, form):
        with refusal_shown(request, failed="Nothing changed:"):
            posted = services.comment_edit(comment=comment, user=request.user, body=form.cleaned_data["body"])
            _posted_message(request, posted, done="Comment saved.")
    return redirect(services.comment_url(comment, client=_client(request)))


@require_POST
@login_required
def comment_delete(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """Delete a comment (its author, or whoever edits the project): it stays in the thread as deleted."""
    comment = _comment_or_404(request, code, pk)
    with refusal_shown(request, failed="Nothing changed:"):
        services.comment_delete(comment=comment, user=request.user)
        messages.success(request, "Comment deleted.")
    return redirect(services.comment_url(comment, client=_client(request)))


@login_required
def comment_file(request: AuthenticatedHttpRequest, code: str, pk: int) -> FileResponse:
    """A file attached to a comment the user sees, as an attachment; none of a deleted comment (404)."""
    project = project_or_404(request, code)
    attachment = child_or_404(
        CommentAttachment.objects.filter(
            comment__in=access.see_comment.queryset(request.user), comment__deleted_at__isnull=True
        ),
        project=project,
        field="comment__project",
        pk=pk,
    )
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("The file is missing from storage.") from exc
    return FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
