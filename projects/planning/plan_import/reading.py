"""Reading a supplier's plan, an MS Project XML file or a plain task list (CSV or XLSX), into a :class:`Plan`.

Nothing here touches the database: the plan read is what the preview shows
and what ``projects.planning.plan_import.services.plan_import`` creates.

The file's kind is told by its content: XML (``ms_project``), an Excel
workbook by its ZIP signature, else a CSV or tab-separated task list
(``task_list``); ``outline`` makes the plan of either.
"""

from __future__ import annotations

from apm.errors import Refused
from projects.planning.plan_import.ms_project import read_ms_project
from projects.planning.plan_import.outline import Plan
from projects.planning.plan_import.task_list import read_task_list

#: The largest plan file read (an MS Project XML of a thousand tasks is about 2 MB).
MAX_PLAN_BYTES = 5 * 1024 * 1024


def read_plan(data: bytes, *, name: str) -> Plan:
    """The plan in ``data`` (a file called ``name``): MS Project XML when it starts like XML, an Excel workbook
    by its ZIP signature, else a CSV or tab-separated task list. Raises ``Refused`` with a sentence saying why
    nothing of the file can be imported."""
    if len(data) > MAX_PLAN_BYTES:
        raise Refused(
            f"The file “{name}” is {len(data) / 1048576:.1f} MB; a plan may be {MAX_PLAN_BYTES // 1048576} MB at most. "
            "Nothing was imported."
        )
    if not data.strip():
        raise Refused(f"The file “{name}” is empty. Nothing was imported.")
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") or head.startswith((b"\xff\xfe<", b"\xfe\xff\x00<")):
        return read_ms_project(data, name=name)
    return read_task_list(data, name=name)
