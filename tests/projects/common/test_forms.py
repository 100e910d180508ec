"""Every date picker in every form shows its value as an ISO date.

A browser's ``<input type=date>`` reads only ``YYYY-MM-DD``; Django would render the locale's format
(``06/12/2026`` in en-gb), which the browser drops, so editing a document or a letter lost its dates.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import pkgutil

from django import forms
from django.utils import translation

PACKAGES = ("apm", "teams", "projects", "reports")


def _form_classes() -> list[type[forms.BaseForm]]:
    found: dict[str, type[forms.BaseForm]] = {}
    for name in PACKAGES:
        package = importlib.import_module(name)
        for module_info in pkgutil.walk_packages(package.__path__, f"{name}."):
            if not module_info.name.endswith("forms") or "migrations" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for _, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def test_every_date_picker_renders_iso_dates() -> None:
    day = datetime.date(2026, 12, 6)
    pickers = 0
    wrong = []
    with translation.override("en-gb"):
        for form_class in _form_classes():
            for field_name, field in form_class.base_fields.items():
                widget = field.widget
                if getattr(widget, "input_type", None) != "date":
                    continue
                pickers += 1
                shown = widget.format_value(day)
                if shown != "2026-12-06":
                    wrong.append(f"{form_class.__module__}.{form_class.__name__}.{field_name}: {shown}")
    assert pickers >= 10, "the walk found the forms"
    assert wrong == []
