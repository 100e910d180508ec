"""A department whose portfolio report is laid out in parts, and a broker that runs the published tasks in-process.

Shared by ``tests/reports/test_chunk_cache.py`` and ``tests/reports/services/test_chunking.py``. The department
has :data:`PROJECTS` projects and the tests set ``APM_REPORT_CHUNK_ABOVE`` below that, so its report is
chunked; with every project's commentary (the schedule's ``full_commentary``), and cut as a large report is
(the tests set ``APM_REPORT_MIN_PARTS`` to 1: a report this small is otherwise cut finer), it is cut into
:data:`PART_SECTIONS` (``reports.sections.plan_chunks``: the summary alone, the projects table with the compliance
appendix, the revenue and margin table, then the commentary of five projects, then of the last eight in two
sections); the client's into :data:`CLIENT_PART_SECTIONS` (no compliance appendix, no margin). Internal money is
planted on every project (the sentinels of ``tests/access_world.py``) so that a client report can be searched
for it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from pypdf import PdfReader

from reports import rendering
from reports.models import Report, ReportSchedule, ReportStatus
from reports.services import chunking, report_assemble, report_chunk_render, report_render
from reports.task_names import ASSEMBLE_REPORT, RENDER_REPORT, RENDER_REPORT_CHUNK
from tests import factories
from tests.access_world import SENTINELS
from tests.reports.scheduled import NOW

PROJECTS = 13
PERIOD_START = dt.date(2025, 3, 1)
PERIOD_END = dt.date(2025, 3, 31)
TITLE = "Big Department: portfolio report"
RAGS = ("red", "amber", "green")
#: The section ids of each part of the department's report, in order.
PART_SECTIONS = [
    ["summary"], ["projects-0", "compliance"], ["margins-0"], ["commentary-0"], ["commentary-1", "commentary-2"]
]  # fmt: skip
#: Those of the client's version of the report.
CLIENT_PART_SECTIONS = [["summary"], ["projects-0"], ["commentary-0"], ["commentary-1", "commentary-2"]]
#: The order the parts are laid out in: the heaviest first (``reports.services.chunking.HEAVIEST_FIRST``): eight
#: projects' commentary, the table of 13 rows with the compliance appendix, the margin table of 13 rows, five
#: projects' commentary, the summary.
BY_WEIGHT = [PART_SECTIONS[4], PART_SECTIONS[1], PART_SECTIONS[2], PART_SECTIONS[3], PART_SECTIONS[0]]
LONG = "Supplier deliveries slipped a week; the team re-planned the integration tests around the new dates. "


def add_projects(
    department: Any,
    client: Any,
    count: int,
    *,
    code_width: int = 2,
    long_names: bool = False,
    lengths: int = 3,
    percent_step: int = 5,
) -> list[Any]:
    """``count`` projects ``BIG-00``... of ``department`` for ``client``, rated as of 28 March 2025, each with the
    internal money sentinels and commentary of ``1`` to ``lengths`` paragraphs (sections end at different
    heights); ``long_names``: names of varying length too; ``percent_step``: percent complete ``n * step % 100``."""
    projects = []
    for n in range(count):
        project = factories.ProjectFactory(
            code=f"BIG-{n:0{code_width}d}",
            name=f"Programme {n} " + "long name " * (n % 4) if long_names else f"Programme {n}",
            client=client,
            departments=[department],
            bac=SENTINELS["bac"],
            rag=RAGS[n % 3],
        )
        factories.StatusUpdateFactory(
            project=project,
            as_of=dt.date(2025, 3, 28),
            rag=RAGS[n % 3],
            rating_published=RAGS[n % 3].title(),
            commentary_overall=LONG * (1 + n % lengths),
            commentary_schedule="Design review moved to April." if n % 2 else "",
            budget_period=SENTINELS["budget_period"],
            forecast_period=SENTINELS["forecast_period"],
            whole_life_cost=SENTINELS["whole_life_cost"],
            percent_complete=Decimal(percent_step * n % 100),
        )
        projects.append(project)
    return projects


def big_department() -> dict[str, Any]:
    """The department BIG (head ``big_head``), its client Globex (contact ``gil@globex.example``) and
    :data:`PROJECTS` projects ``BIG-00``... rated as of 28 March 2025, with internal money and commentary of
    varying length."""
    department = factories.DepartmentFactory(code="BIG", name="Big Department")
    head = factories.UserFactory(username="big_head", email="big.head@example.com")
    department.heads.add(head)
    client = factories.ClientFactory(name="Globex")
    factories.ClientContactFactory(client=client, name="Gil Client", email="gil@globex.example")
    projects = add_projects(department, client, PROJECTS)
    return {"department": department, "head": head, "client": client, "projects": projects}


def big_schedule(department: Any, *, audience: str = "internal") -> ReportSchedule:
    """A schedule of the department's portfolio report with every project's commentary; the client one sends to
    the client's contacts."""
    return factories.ReportScheduleFactory(
        name=f"Big {audience}",
        department=department,
        audience=audience,
        full_commentary=True,
        send_to_reporting_heads=audience == "internal",
        send_to_client_contacts=audience == "client",
    )


def big_report(schedule: ReportSchedule, *, week: int = 0) -> Report:
    """A queued report of ``schedule`` for March 2025 (the same title and period every ``week``: only the
    occurrence differs, so a later one compares itself with the earlier ones)."""
    return Report.objects.create(
        schedule=schedule,
        kind=schedule.kind,
        audience=schedule.audience,
        scope=schedule.scope,
        department=schedule.department,
        title=TITLE,
        scheduled_for=NOW - dt.timedelta(days=7 * (10 - week)),
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        status=ReportStatus.QUEUED,
        queued_at=NOW,
    )


class Broker:
    """The tasks published (``published``, the conftest fixture), run in-process in the order published.

    ``capture``: pytest-django's ``django_capture_on_commit_callbacks``, so that what a task publishes after
    commit is published when its transaction would commit.
    """

    def __init__(self, published: list[tuple[str, tuple]], capture: Callable[..., Any]) -> None:
        self.published = published
        self.capture = capture
        self.done = 0

    def call(self, function: Callable[..., Any], **kwargs: Any) -> Any:
        with self.capture(execute=True):
            return function(**kwargs)

    def pending(self, name: str | None = None) -> list[tuple[str, tuple]]:
        """Published but not run yet (of task ``name``)."""
        return [(task, args) for task, args in self.published[self.done :] if name in (None, task)]

    def run(self) -> None:
        """Run every report task published and not yet run, and those they publish, until none is left."""
        services = {
            RENDER_REPORT: ("report_id", report_render),
            RENDER_REPORT_CHUNK: ("chunk_id", report_chunk_render),
            ASSEMBLE_REPORT: ("report_id", report_assemble),
        }
        while self.done < len(self.published):
            name, args = self.published[self.done]
            self.done += 1
            if name in services:
                argument, service = services[name]
                self.call(service, **{argument: args[0]})

    def render(self, report: Report) -> Report:
        """``report`` rendered as the workers would: its render task, then every task published after."""
        self.call(report_render, report_id=report.pk)
        self.run()
        return Report.objects.get(pk=report.pk)


def pdf_of(report: Report) -> bytes:
    with default_storage.open(report.pdf.name, "rb") as handle:
        return handle.read()


def texts(pdf: bytes) -> list[str]:
    """The text of every page."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


class Layouts:
    """Every chunk laid out (``lay_out_chunk``, as ``reports.services.chunking`` calls it for the parts and
    ``reports.rendering`` for the contents): the plans, in order."""

    def __init__(self, monkeypatch: Any, fail: Callable[[Any], bool] | None = None) -> None:
        self.plans: list[Any] = []
        self.fail = fail
        real = chunking.lay_out_chunk

        def counted(plan: Any) -> Any:
            self.plans.append(plan)
            if self.fail is not None and self.fail(plan):
                raise RuntimeError("Pango ran out of glyphs")
            return real(plan)

        monkeypatch.setattr(chunking, "lay_out_chunk", counted)
        monkeypatch.setattr(rendering, "lay_out_chunk", counted)

    def sections(self) -> list[list[str]]:
        """The section ids of each chunk laid out ("contents" for the contents)."""
        return [[section["id"] for section in plan.sections] for plan in self.plans]

    def clear(self) -> None:
        self.plans.clear()
