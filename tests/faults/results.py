"""The fault-test results table: each fault test records one row; pytest prints them all.

Rows go to a JSON-lines file under var/test-results/, one per pytest run
(named after the controller's process id, handed to pytest-xdist workers in
the environment variable below), so that rows recorded in workers reach the
controller, which prints the table at the end of the run (see
``pytest_terminal_summary`` in tests/conftest.py), and two runs at the same
time do not mix their rows.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parents[2] / "var" / "test-results"
#: Set by the controller for itself and its xdist workers: this run's results file.
RESULTS_ENV = "APM_FAULT_RESULTS_FILE"
COLUMNS = ("fault", "trials", "expected", "delivered", "duplicates", "lost", "note")


@dataclass(frozen=True)
class FaultResult:
    """One row: a fault injected ``trials`` times.

    ``expected`` is the number of reports (or emails, say which in ``note``)
    that should have gone out, ``delivered`` how many distinct ones did,
    ``duplicates`` how many were sent more than once (each with the same
    Message-ID), ``lost`` how many never arrived. An item that is meant to
    fail (a permanent bounce, a report that kills every worker) is not
    expected: such a row reads expected 0, delivered 0, lost 0, and its
    ``note`` says how many failed as they should and where that is visible.
    """

    fault: str
    trials: int
    expected: int
    delivered: int
    duplicates: int
    lost: int
    note: str = ""


def results_file() -> Path:
    """This run's results file: from the environment (set by ``start_results``), else one per process."""
    return Path(os.environ.get(RESULTS_ENV) or RESULTS_DIR / f"faults-{os.getpid()}.jsonl")


def record_fault(result: FaultResult) -> None:
    """Append one row to this run's results file (safe across xdist workers: one short append)."""
    path = results_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(result)) + "\n")


def start_results() -> None:
    """Name this run's results file and hand it to the xdist workers (the controller, at session start).

    Sets the environment variable that the workers inherit; a file left by
    an earlier run with the same process id is removed.
    """
    path = RESULTS_DIR / f"faults-{os.getpid()}.jsonl"
    path.unlink(missing_ok=True)
    os.environ[RESULTS_ENV] = str(path)


def results_table() -> str:
    """The recorded rows as a fixed-width text table, or "" when none were recorded (removes the file)."""
    path = results_file()
    if not path.exists():
        return ""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    path.unlink(missing_ok=True)
    if not rows:
        return ""
    cells = [COLUMNS] + [tuple(str(row.get(column, "")) for column in COLUMNS) for row in rows]
    widths = [max(len(cell[i]) for cell in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(value.ljust(widths[i]) for i, value in enumerate(cell)).rstrip() for cell in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
