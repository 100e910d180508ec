"""The Import page's forms: the upload, and the mapping of a file's columns with how to read them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django import forms

from projects.common.forms import DATE
from projects.importers.mapping import DATE_FORMATS, RAG_SCALES, TARGETS, UNITS, Mapping, MappingError
from projects.models import CURRENCY_CHOICES

SKIP = ""


def _target_choices() -> list[Any]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for target in TARGETS:
        groups.setdefault(target.group, []).append((target.key, target.label))
    return [(SKIP, "— skip this column —"), *groups.items()]


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Portfolio file",
        help_text="CSV (any delimiter and common encoding), tab-separated, or an Excel workbook (.xlsx, first sheet).",
    )
    mapping_file = forms.FileField(
        label="Mapping file (optional)",
        required=False,
        help_text="A mapping saved as JSON: downloaded here, or written by manage.py import_projects --export-mapping.",
    )

    def clean_mapping_file(self) -> Mapping | None:
        upload = self.cleaned_data.get("mapping_file")
        if upload is None:
            return None
        if upload.size > 256 * 1024:
            raise forms.ValidationError("A mapping file is a few kB of JSON; this one is too large.")
        try:
            return Mapping.from_json(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The mapping file is not UTF-8 text (JSON).") from exc
        except MappingError as exc:
            raise forms.ValidationError(f"The mapping file cannot be used: {exc}.") from exc


class MappingForm(forms.Form):
    """One select per column of the file (``column_0`` …), then how to read the cells."""

    name = forms.CharField(label="Mapping name", max_length=100)
    save_preset = forms.BooleanField(label="Save this mapping as a preset under its name", required=False)
    label = forms.CharField(
        label="Source label",
        max_length=40,
        required=False,
        help_text="Names the figures on each status update, e.g. “IT Dashboard 2026-06-30”. Blank: the mapping name.",
    )
    unit = forms.ChoiceField(label="Amounts are in", choices=[(k, v[0]) for k, v in UNITS.items()])
    currency = forms.ChoiceField(label="Currency", choices=CURRENCY_CHOICES)
    date_format = forms.ChoiceField(
        label="Dates are written",
        choices=[(k, "automatic (yyyy-mm-dd, dd.mm.yy, dd.mm.yyyy)" if k == "auto" else k) for k in DATE_FORMATS],
    )
    rag_scale = forms.ChoiceField(label="Rating scale", choices=[(k, v[0]) for k, v in RAG_SCALES.items()])
    as_of = forms.DateField(
        label="Figures stand at",
        required=False,
        widget=DATE,
        help_text="The date of the file's figures when no column holds it.",
    )
    client = forms.CharField(label="Client for every row", max_length=200, required=False)
    department = forms.CharField(label="Department for every row", max_length=200, required=False)

    def __init__(self, *args: Any, header: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header = header
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select")
            elif not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-control")
        self.fields["save_preset"].widget.attrs.setdefault("class", "form-check-input")
        for index, column in enumerate(header):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column or f"(column {index + 1} has no name)", choices=_target_choices(), required=False
            )

    @staticmethod
    def initial_from(mapping: Mapping, header: list[str]) -> dict[str, Any]:
        wanted = {" ".join(k.split()).casefold(): v for k, v in mapping.columns.items()}
        initial: dict[str, Any] = {
            f"column_{i}": wanted.get(" ".join(column.split()).casefold(), SKIP) for i, column in enumerate(header)
        }
        initial.update(
            name=mapping.name,
            label=mapping.label,
            unit=mapping.unit,
            currency=mapping.currency,
            date_format=mapping.date_format,
            rag_scale=mapping.rag_scale if mapping.rag_scale in RAG_SCALES else "red-amber-green",
            as_of=mapping.as_of,
            client=mapping.client,
            department=mapping.department,
        )
        return initial

    def column_fields(self) -> list[tuple[forms.BoundField, str]]:
        return [(self[f"column_{i}"], column) for i, column in enumerate(self.header)]

    def mapping(self, *, base: Mapping | None = None) -> Mapping:
        """The mapping the form says (valid form), keeping a base preset's own rules (the GMPP's)."""
        data = self.cleaned_data
        columns = {column: data.get(f"column_{i}") or SKIP for i, column in enumerate(self.header) if column.strip()}
        values: dict[str, Any] = {
            "name": data["name"],
            "columns": columns,
            "label": data["label"],
            "unit": data["unit"],
            "currency": data["currency"],
            "date_format": data["date_format"],
            "rag_scale": data["rag_scale"],
            "as_of": data["as_of"],
            "client": data["client"].strip(),
            "department": data["department"].strip(),
        }
        if base is not None:
            keep = {k: v for k, v in values.items() if k != "columns"}
            merged = dict(base.columns)
            merged.update(columns)
            return replace(base, columns=merged, **keep)
        return Mapping(**values)
