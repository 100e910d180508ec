"""Small helpers shared by the apps' forms and views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model, QuerySet

from apm.dates import parse_id_param


def form_errors(form: forms.BaseForm) -> str:
    """A form's errors as one line for a flash message: ``"amount: Enter a number. end_date: …"``."""
    return " ".join(
        f"{'' if name == '__all__' else name + ': '}{' '.join(str(err) for err in errs)}"
        for name, errs in form.errors.items()
    )


class IdChoiceField(forms.ModelChoiceField):
    """A model choice whose value must be an id in 1..2**63-1 (a huge id would overflow SQLite)."""

    def to_python(self, value: Any) -> Model | None:
        if value not in self.empty_values and parse_id_param(str(value)) is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several ids, each in 1..2**63-1, else a validation error instead of a database overflow.

    Django's own field checks each value one by one (where an out-of-range id
    finds nothing) but then filters with ``pk__in``, which SQLite refuses with
    an OverflowError for an id of 2**63 or more.
    """

    def _check_values(self, value: Any) -> QuerySet[Any]:
        for pk in value if isinstance(value, list | tuple | set | frozenset) else ():
            if parse_id_param(str(pk)) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        # django-stubs leave out this private hook of ModelMultipleChoiceField (Django 5.2 has it).
        return super()._check_values(value)  # type: ignore[misc]
