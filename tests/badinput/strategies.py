"""Hypothesis strategies for hostile form input: one strategy per Django form field, mixing valid-ish and junk.

:func:`value_for` maps a form field (from a form class's ``base_fields``) to a
strategy of what a browser (or an attacker) might post for it: a string, a
list of strings (a scalar field posted twice), an uploaded file, or
:data:`MISSING` (the field left out). Ids of related objects are drawn from
every row of the model, so objects the user may not see are posted too.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st

#: A field left out of the POST.
MISSING = object()

#: Text no form expects: NUL and control characters, right-to-left marks, astral and combining characters.
NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\r\n\r\n",
    "\u202eevil\u202c",
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "\U0001f4a9\U0001d54f\U00010348",
    "e\u0301\u0301\u0301",
    "\ufeff\ufffe\uffff",
    "\ud7ff",
    "<script>alert(1)</script>",
    "'; DROP TABLE projects_project; --",
    "{{ 7*7 }}{% now 'Y' %}",
    "../../etc/passwd",
    "%s%n%x",
    "A" * 300,
    "Ω" * 5000,
]
NASTY_NUMBERS = [
    "0",
    "-1",
    "-0",
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "sNaN",
    "1e-400",
    "99999999999999999999999999999999999999",
    str(2**63),
    str(2**63 - 1),
    str(-(2**63)),
    "1_000",
    "0x10",
    "1,5",
    "١٢٣",
    "12.345678901234567890",
    "0.001",
    "1E+2",
    "  7  ",
]
NASTY_DATES = [
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "2025-02-29",
    "2024-02-29",
    "1900-01-01",
    "2200-12-31",
    "10000-01-01",
    "31/12/2025",
    "2025-13-01",
    "2025-1-1",
    "-2025-01-01",
    "2025-W01",
    "today",
]


def texts(max_size: int = 400) -> st.SearchStrategy[str]:
    """Hostile and ordinary text, including characters from every Unicode plane and surrogate-free junk."""
    return st.one_of(
        st.sampled_from(NASTY_TEXT),
        st.text(max_size=max_size),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40),
        st.text(alphabet="abc XYZ 123-_.", min_size=1, max_size=30),
    )


def numbers() -> st.SearchStrategy[str]:
    """Numbers as posted text: ordinary, huge, negative, NaN, Infinity, 1e309, locale digits."""
    return st.one_of(
        st.sampled_from(NASTY_NUMBERS),
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
        st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(min_value=0, max_value=200).map(str),
    )


def dates() -> st.SearchStrategy[str]:
    """Dates as posted text: impossible, far past and future, wrong formats, and real ones."""
    return st.one_of(
        st.sampled_from(NASTY_DATES),
        st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat),
        st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31)).map(dt.date.isoformat),
        texts(20),
    )


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


#: Content that claims to be one thing and is another, or is nothing at all.
FILE_CONTENTS = [
    b"",
    b"%PDF-1.4\n%apm\n",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
    b"\xff\xd8\xff\xe0" + b"\x00" * 32,
    b"GIF89a" + b"\x00" * 16,
    b"PK\x03\x04garbage-not-a-zip",
    _zip({"[Content_Types].xml": b"<Types/>"}),
    _zip({"a.txt": b"x"}),
    b"MZ\x90\x00\x03",
    b"<html><script>alert(1)</script></html>",
    b"\x00" * 64,
]
FILE_NAMES = [
    "receipt.pdf",
    "scan.png",
    "photo.jpg",
    "contract.docx",
    "noextension",
    ".pdf",
    "../../../etc/passwd.pdf",
    "a\x00b.pdf",
    "\u202efdp.exe",
    "Ω" * 300 + ".pdf",
    "",
]


@st.composite
def uploads(draw) -> SimpleUploadedFile:
    """An uploaded file: empty, wrong type for its name, a name with NUL or path parts, or a tiny real PDF."""
    content = draw(st.one_of(st.sampled_from(FILE_CONTENTS), st.binary(max_size=512)))
    name = draw(st.one_of(st.sampled_from(FILE_NAMES), texts(40).map(lambda t: t + ".pdf")))
    content_type = draw(st.sampled_from(["application/pdf", "image/png", "application/octet-stream", "text/html"]))
    # The test client needs a non-empty name to send the part as a file at all.
    return SimpleUploadedFile(name.replace("\x00", "") or "x", content, content_type=content_type)


def model_ids(model) -> st.SearchStrategy[str]:
    """Ids of ``model``'s rows (any user's: the form must refuse what the user may not see) and junk ids."""
    ids = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)[:50]]
    junk = st.sampled_from(["0", "-1", str(2**63), str(2**64), "1e3", "abc", "", "1.5", "\x00"])
    return st.one_of(st.sampled_from(ids), junk) if ids else junk


def _choices(field: forms.ChoiceField) -> list[str]:
    values = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):  # an optgroup
            values += [str(v) for v, _ in label]
        else:
            values.append(str(value))
    return [v for v in values if v] or ["x"]


def scalar_for(field: forms.Field) -> st.SearchStrategy:
    """One posted value for ``field``: mostly of the field's kind, sometimes hostile text of any kind."""
    if isinstance(field, forms.FileField):
        return uploads()
    if isinstance(field, forms.ModelChoiceField):
        model = field.queryset.model
        to_field = getattr(field, "to_field_name", None)
        if to_field:
            values = [str(v) for v in model._default_manager.values_list(to_field, flat=True)[:50]]
            kind = st.sampled_from(values) if values else texts(20)
        else:
            kind = model_ids(model)
    elif isinstance(field, forms.BooleanField | forms.NullBooleanField):
        kind = st.sampled_from(["on", "1", "true", "false", "0", "", "None", "unknown"])
    elif isinstance(field, forms.TypedChoiceField | forms.ChoiceField):
        kind = st.sampled_from(_choices(field))
    elif isinstance(field, forms.DateTimeField):
        kind = st.one_of(dates(), dates().map(lambda d: d + " 25:61:00"), dates().map(lambda d: d + "T10:00"))
    elif isinstance(field, forms.DateField):
        kind = dates()
    elif isinstance(field, forms.TimeField):
        kind = st.sampled_from(["00:00", "23:59", "24:00", "12:60", "noon", "-1:00", "09:30:00.000001"])
    elif isinstance(field, forms.DecimalField | forms.FloatField | forms.IntegerField):
        kind = numbers()
    elif isinstance(field, forms.EmailField):
        kind = st.one_of(st.emails().map(str), texts(60))
    elif isinstance(field, forms.URLField):
        kind = st.sampled_from(["https://example.com/x", "javascript:alert(1)", "http://[::1", "file:///etc/passwd"])
    else:
        max_length = getattr(field, "max_length", None) or 400
        kind = st.one_of(
            texts(),
            st.text(alphabet="abcdefghij ", min_size=1, max_size=min(max_length, 60)),
            st.just("x" * (max_length + 1)),
        )
    return st.one_of(kind, kind, kind, texts(30))


def value_for(field: forms.Field) -> st.SearchStrategy:
    """What is posted for ``field``: a value, a list of values (a scalar posted twice), or :data:`MISSING`."""
    if isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        one = scalar_for(field)
        return st.one_of(st.lists(one, max_size=4), st.just(MISSING))
    one = scalar_for(field)
    return st.one_of(one, one, one, one, st.lists(one, min_size=2, max_size=3), st.just(MISSING))


def post_data(fields: dict[str, forms.Field], extra: dict[str, st.SearchStrategy] | None = None):
    """A strategy of POST dicts for the named fields (missing ones left out) plus ``extra`` strategies."""
    strategies = {name: value_for(field) for name, field in fields.items()}
    strategies.update(extra or {})
    return st.fixed_dictionaries(strategies).map(lambda d: {k: v for k, v in d.items() if v is not MISSING})
