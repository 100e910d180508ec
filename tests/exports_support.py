"""Reading back a register's export in tests: the CSV parsed with ``csv``, the XLSX with openpyxl."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
from django.db import connection
from django.test.utils import CaptureQueriesContext


def body(response: Any) -> bytes:
    """The bytes of a streamed or plain response."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response: Any) -> list[list[str]]:
    """The rows of a CSV export, header first (the byte order mark checked and dropped)."""
    assert response.status_code == 200, response.status_code
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(response: Any) -> list[list[Any]]:
    """The rows of an XLSX export's one sheet, header first."""
    assert response.status_code == 200, response.status_code
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def export_queries(client: Any, url: str) -> int:
    """How many queries opening ``url`` and reading the whole file takes."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        body(response)
    assert response.status_code == 200
    return len(queries)
