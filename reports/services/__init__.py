"""Writes of the reports app, one module per job; every caller imports them from here.

The main job (DESIGN.md, "The main job, end to end"):

1. :mod:`~reports.services.schedules`: the dispatcher claims each due
   schedule and writes one queued Report per occurrence;
   :mod:`~reports.services.requests`: "Send now" and the exception report of
   a broken tolerance write one too. Both publish the render task after commit.
2. :mod:`~reports.services.delivery`: ``report_render`` claims the report,
   builds the snapshot, renders the PDF, stores it, and writes one Delivery
   and one outbox email per recipient.
   A large report is laid out in parts by all the workers and assembled
   (:mod:`~reports.services.chunking`: ``report_chunk_render``,
   ``report_assemble``); both finish through :mod:`~reports.services.finishing`.
3. :mod:`~reports.services.sweeping`: ``reports_sweep`` re-publishes reports,
   parts and assemblies a lost broker message or a dead worker left behind,
   and prunes the chunk cache.

:mod:`~reports.services.unsubscribing`: the one-click unsubscribe link of a
scheduled report's emails, pausing and resuming one recipient of a schedule.

Services publish tasks by name (``apm.queueing`` with ``reports.task_names``)
and never import ``reports.tasks``, which imports them. Nothing here waits
on the broker: a failed publish is logged and the sweeper publishes again.
"""

from __future__ import annotations

from reports.services.chunking import report_assemble, report_chunk_render
from reports.services.delivery import report_render
from reports.services.requests import (
    Subject,
    check_recipients,
    check_sender,
    check_subject,
    clean_addresses,
    exception_report_queue,
    report_request,
    subject_of,
)
from reports.services.schedules import (
    reports_dispatch_due,
    schedule_activate,
    schedule_claim_occurrence,
    schedule_pause,
    schedule_refusal,
    schedule_rule,
    schedule_save,
    schedule_toggle,
)
from reports.services.sweeping import reports_sweep
from reports.services.unsubscribing import (
    schedule_recipient_pause,
    schedule_recipient_resume,
    unsubscribe_headers,
    unsubscribe_read,
    unsubscribe_token,
)

__all__ = [
    "Subject",
    "check_recipients",
    "check_sender",
    "check_subject",
    "clean_addresses",
    "exception_report_queue",
    "report_assemble",
    "report_chunk_render",
    "report_render",
    "report_request",
    "reports_dispatch_due",
    "reports_sweep",
    "schedule_activate",
    "schedule_claim_occurrence",
    "schedule_pause",
    "schedule_recipient_pause",
    "schedule_recipient_resume",
    "schedule_refusal",
    "schedule_rule",
    "schedule_save",
    "schedule_toggle",
    "subject_of",
    "unsubscribe_headers",
    "unsubscribe_read",
    "unsubscribe_token",
]
