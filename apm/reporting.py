"""The kinds of report APM sends: one list, read by every app.

It lives in ``apm`` because ``projects`` may not import ``reports``
(DESIGN.md: reports -> projects -> teams -> apm) and still needs the kinds,
for example to name the report a contract clause is evidenced by. What each
kind covers, whom it may go to and how it is built is declared by its module
in ``reports/kinds/``; a new kind is a value here, one module there and one
print template.
"""

from __future__ import annotations

from django.db import models


class ReportKind(models.TextChoices):
    HIGHLIGHT = "highlight", "Project highlight report"
    PORTFOLIO = "portfolio", "Department portfolio report"
    EXCEPTION = "exception", "Exception report"
    QUALITY = "quality", "Quality report"
