"""The chat channels page of a project (/projects/<code>/chat/): its Slack and Teams hooks, add, change, remove,
send a test message, and the last deliveries with their state, error and a Retry for a failed one.

Only ``apm.access.manage_chat_hooks`` opens these pages (a 404 for anyone else: a hook's URL is a secret of the
channel, and the page shows only its host). The services write and refuse (``apm.actions``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import refusal_on_form, refusal_shown
from apm.http import AuthenticatedHttpRequest
from projects.chat import forms, selectors, services
from projects.common.lookups import child_or_404, project_or_404
from projects.models import ChatHook, Project


def _page(request: AuthenticatedHttpRequest, project: Project, form: forms.ChatHookForm) -> HttpResponse:
    hooks = selectors.chat_hooks(project=project)
    return render(
        request,
        "projects/chat/chat.html",
        {
            "project": project,
            "hooks": hooks,
            "deliveries": selectors.chat_deliveries(project=project, hooks=hooks),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def chat_hooks(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The project's channels and their last deliveries; a POST adds a channel."""
    project = project_or_404(request, code, access.manage_chat_hooks)
    form = forms.ChatHookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            hook = services.chat_hook_create(project=project, user=request.user, **form.cleaned_data)
            messages.success(request, f"Channel {hook.name} added. Send it a test message to check it.")
            return redirect("projects:chat", code=project.code)
    return _page(request, project, form)


@login_required
def chat_hook_edit(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """Change a channel (its URL only when a new one is pasted)."""
    project = project_or_404(request, code, access.manage_chat_hooks)
    hook = child_or_404(ChatHook, project=project, pk=pk)
    host = selectors.url_host(hook.url)
    initial = {"service": hook.service, "name": hook.name, "events": hook.events, "active": hook.active}
    form = forms.ChatHookForm(request.POST or None, initial=initial, editing=True, host=host)
    if request.method == "POST" and form.is_valid():
        with refusal_on_form(form):
            services.chat_hook_update(hook=hook, user=request.user, **form.cleaned_data)
            messages.success(request, f"Channel {hook.name} saved.")
            return redirect("projects:chat", code=project.code)
    return render(
        request,
        "projects/chat/hook.html",
        {"project": project, "hook": hook, "host": host, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def chat_hook_remove(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.manage_chat_hooks)
    hook = child_or_404(ChatHook, project=project, pk=pk)
    with refusal_shown(request):
        services.chat_hook_remove(hook=hook, user=request.user)
        messages.success(request, f"Channel {hook.name} removed: it hears of nothing more.")
    return redirect("projects:chat", code=project.code)


@require_POST
@login_required
def chat_hook_test(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.manage_chat_hooks)
    hook = child_or_404(ChatHook, project=project, pk=pk)
    with refusal_shown(request, failed="No test message was sent."):
        services.chat_hook_test(hook=hook, user=request.user)
        messages.success(request, f"Test message to {hook.name} queued: its state shows under Last deliveries.")
    return redirect("projects:chat", code=project.code)


@require_POST
@login_required
def chat_delivery_retry(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    project = project_or_404(request, code, access.manage_chat_hooks)
    delivery = selectors.chat_delivery(project=project, pk=pk)
    if delivery is None:
        raise Http404("No such delivery.")
    with refusal_shown(request, failed="Nothing was sent again."):
        if services.chat_delivery_retry(project=project, request=delivery, user=request.user):
            messages.success(request, "Queued again, to the channel's address as it is now.")
        else:
            messages.info(request, "That delivery has not failed: nothing to retry.")
    return redirect("projects:chat", code=project.code)
