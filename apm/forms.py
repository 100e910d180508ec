"""Small helpers shared by the apps' forms and views."""

from __future__ import annotations

from django import forms


def form_errors(form: forms.BaseForm) -> str:
    """A form's errors as one line for a flash message: ``"amount: Enter a number. end_date: …"``."""
    return " ".join(f"{'' if name == '__all__' else name + ': '}{' '.join(errs)}" for name, errs in form.errors.items())
