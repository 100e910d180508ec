"""Each load-test page alone: milliseconds, queries and SQL milliseconds for one request (best of 3).

    .venv/bin/python bench/load/pages.py   (run.py runs it after the load, with the same environment)

Uses Django's test client in-process against the seeded database
(``DATABASE_URL``) and the logins of ``bench/out/load-users.json``. On a
shared two-core machine the latency under load measures the machine as much
as the app; this is the page's own cost. Prints one line per page and
returns the rows as dicts (``page``, ``user``, ``status``, ``ms``,
``queries``, ``sql_ms``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
OUT = BASE_DIR / "bench" / "out"


def pages(users: dict) -> list[tuple[str, str, str]]:
    """(label, username, path) for one user of each role and every page the locustfile loads."""
    pm, head, client = users["pms"][1], users["heads"][0], users["clients"][0]
    code, dept, portal = pm["projects"][0], head["department"], client["projects"][0]
    return [
        ("desk", pm["username"], "/projects/desk/"),
        ("project list", pm["username"], "/projects/"),
        ("project list, page 5", pm["username"], "/projects/?page=5"),
        ("project list, search", pm["username"], "/projects/?q=digital"),
        ("project page", pm["username"], f"/projects/{code}/"),
        ("budget", pm["username"], f"/projects/{code}/budget/"),
        ("team", pm["username"], f"/projects/{code}/team/"),
        ("deliverables", pm["username"], f"/projects/{code}/deliverables/"),
        ("raid log", pm["username"], f"/projects/{code}/raid/"),
        ("weekly update form", pm["username"], f"/projects/{code}/update/"),
        ("department table", head["username"], f"/projects/departments/{dept}/budget/"),
        ("department compliance", head["username"], f"/projects/departments/{dept}/compliance/"),
        ("project list, department", head["username"], f"/projects/?department={head['department_id']}&rag=red"),
        ("portal home", client["username"], "/portal/"),
        ("portal project", client["username"], f"/portal/{portal}/"),
    ]


def measure() -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apm.accounts.models import User

    users = json.loads((OUT / "load-users.json").read_text())
    rows = []
    clients: dict[str, Client] = {}
    for label, username, path in pages(users):
        if username not in clients:
            clients[username] = Client(HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
            clients[username].force_login(User.objects.get(username=username))
        best = None
        for _ in range(3):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = clients[username].get(path)
                ms = (time.perf_counter() - started) * 1000
            sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
            if best is None or ms < best["ms"]:
                best = {"page": label, "user": username, "status": response.status_code, "ms": ms,
                        "queries": len(queries.captured_queries), "sql_ms": sql_ms}  # fmt: skip
        rows.append(best)
    return rows


def report(rows: list[dict]) -> list[str]:
    lines = [f"{'each page alone (best of 3)':30} {'status':>6} {'ms':>6} {'queries':>8} {'SQL ms':>7}"]
    for r in rows:
        lines.append(f"{r['page']:30} {r['status']:6d} {r['ms']:6.0f} {r['queries']:8d} {r['sql_ms']:7.0f}")
    return lines


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apm.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    print("\n".join(report(measure())))
