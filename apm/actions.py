"""How a view answers a form and a service's refusal: the shape every action of the apps shares.

An action validates a form, calls a service and tells the user what happened.
A form that does not validate and a service that refuses (``apm.errors.Refused``)
both change nothing and say why; the view goes on to its redirect or page::

    form = forms.StatusForm(request.POST)
    if form_valid_or_shown(request, form):
        with refusal_shown(request, failed="Nothing changed."):
            services.document_set_status(document=document, user=request.user, **form.cleaned_data)
            messages.success(request, "Status saved.")
    return redirect(...)

A page that shows the form again puts the refusal on the form instead
(:func:`refusal_on_form`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.contrib import messages

from apm.errors import Refused
from apm.forms import form_errors
from apm.uploads import UploadRefused

if TYPE_CHECKING:
    from django import forms
    from django.http import HttpRequest


def _said(failed: str, why: str) -> str:
    return f"{failed} {why}" if failed else why


def form_valid_or_shown(request: HttpRequest, form: forms.BaseForm, *, failed: str = "Nothing changed.") -> bool:
    """Whether ``form`` is valid; if not, its errors are shown as one error message after ``failed``."""
    if form.is_valid():
        return True
    messages.error(request, _said(failed, form_errors(form)))
    return False


@contextmanager
def refusal_shown(request: HttpRequest, *, failed: str = "") -> Iterator[None]:
    """Run the block; a :class:`Refused` raised in it ends the block and is shown as an error message
    after ``failed`` ("The report was not queued:"). Anything else propagates."""
    try:
        yield
    except Refused as exc:
        messages.error(request, _said(failed, exc.message))


@contextmanager
def refusal_on_form(form: forms.BaseForm, *, upload_field: str | None = None) -> Iterator[None]:
    """Run the block; a :class:`Refused` raised in it ends the block and becomes an error of ``form``
    (of its ``upload_field`` for a refused upload, else of the whole form), for the page to show again."""
    try:
        yield
    except Refused as exc:
        form.add_error(upload_field if isinstance(exc, UploadRefused) else None, exc.message)
