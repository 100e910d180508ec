"""Names of the reports app's Celery tasks: services publish by name (``apm.queueing``), never importing the tasks.

Beat runs the dispatcher and the sweeper under these names too
(``CELERY_BEAT_SCHEDULE`` in ``apm/settings.py``).
"""

from __future__ import annotations

DISPATCH_DUE_REPORTS = "reports.tasks.dispatch_due_reports"
RENDER_REPORT = "reports.tasks.render_report"
SWEEP_STUCK_REPORTS = "reports.tasks.sweep_stuck_reports"
# The parts of a large report (reports/services/chunking.py, on the bulk queue) and their assembly (default queue).
RENDER_REPORT_CHUNK = "reports.tasks.render_report_chunk"
ASSEMBLE_REPORT = "reports.tasks.assemble_report"
