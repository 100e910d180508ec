"""The fault-test results table: each fault test records one row; pytest prints them all.

Rows go to a JSON-lines file under var/test-results/ so that rows recorded in
pytest-xdist workers reach the controller, which prints the table at the end
of the run (see ``pytest_terminal_summary`` in tests/conftest.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS_FILE = Path(__file__).resolve().parents[2] / "var" / "test-results" / "faults.jsonl"
COLUMNS = ("fault", "trials", "expected", "delivered", "duplicates", "lost", "note")


@dataclass(frozen=True)
class FaultResult:
    """One row: a fault injected ``trials`` times.

    ``expected`` is the number of reports (or emails, say which in ``note``)
    that should have gone out, ``delivered`` how many distinct ones did,
    ``duplicates`` how many were sent more than once (each with the same
    Message-ID), ``lost`` how many never arrived.
    """

    fault: str
    trials: int
    expected: int
    delivered: int
    duplicates: int
    lost: int
    note: str = ""


def record_fault(result: FaultResult) -> None:
    """Append one row to the results file (safe across xdist workers: one short append)."""
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS_FILE.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(result)) + "\n")


def reset_results() -> None:
    """Forget the rows of an earlier run (called once, by the controller, at session start)."""
    RESULTS_FILE.unlink(missing_ok=True)


def results_table() -> str:
    """The recorded rows as a fixed-width text table, or "" when none were recorded."""
    if not RESULTS_FILE.exists():
        return ""
    rows = [json.loads(line) for line in RESULTS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        return ""
    cells = [COLUMNS] + [tuple(str(row.get(column, "")) for column in COLUMNS) for row in rows]
    widths = [max(len(cell[i]) for cell in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(value.ljust(widths[i]) for i, value in enumerate(cell)).rstrip() for cell in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
