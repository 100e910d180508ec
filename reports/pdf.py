"""The HTML->PDF renderer under its historical name: the same module object as :mod:`apm.pdf`.

The renderer moved to ``apm`` so that ``projects`` can render letters
without importing ``reports`` (DESIGN.md: reports -> projects -> teams ->
apm). Aliasing the module (rather than re-exporting names) keeps
``reports.pdf.html_to_pdf``, ``StaticOnlyURLFetcher`` and the rest working,
and a test that patches ``reports.pdf.<name>`` patches the function the
renderer really calls.
"""

from __future__ import annotations

import sys

from apm import pdf as _pdf

sys.modules[__name__] = _pdf
