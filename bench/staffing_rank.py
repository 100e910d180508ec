"""Benchmark: rank candidates for one open role among 2,000 people with 30 skills each and a year
of allocations.

    .venv/bin/python bench/staffing_rank.py [--people 2000] [--repeat 5]

Always works on a temporary SQLite database (APM_VAR_DIR and DATABASE_URL
are pointed at a temporary folder before Django starts, unless
DATABASE_URL is already set: then that database is used and the rows
are left behind, so give it a scratch database). It makes 200 skills,
people with 30 skills each (levels 1-5), one 3-month allocation per
person per quarter (a year of allocations, ~3 in 4 confirmed) and a
week of leave each, then times ``projects.staffing.selectors.staffing_suggestions``
for a 12-week role needing 5 skills: seconds (first and median of
``--repeat``) and the number of queries. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="apm-bench-staffing-")
    os.environ.setdefault("APM_VAR_DIR", tmp.name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apm.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from projects.models import Allocation, OpenRole, OpenRoleSkill, Project
    from projects.staffing.selectors import staffing_suggestions
    from teams.models import Department, MemberSkill, Skill, SkillCategory, TeamMember, TimeOff

    rng = random.Random(3)
    started = time.perf_counter()
    dept = Department.objects.create(code="BENCH", name="Bench")
    category = SkillCategory.objects.create(name="Bench skills")
    skills = Skill.objects.bulk_create([Skill(name=f"Skill {i:03d}", category=category) for i in range(200)])
    members = TeamMember.objects.bulk_create(
        [TeamMember(name=f"Person {i:05d}", department=dept) for i in range(args.people)], batch_size=1000
    )
    MemberSkill.objects.bulk_create(
        [MemberSkill(member=m, skill=s, level=rng.randint(1, 5)) for m in members for s in rng.sample(skills, 30)],
        batch_size=5000,
    )
    projects = Project.objects.bulk_create([Project(code=f"B{i:03d}", name=f"Bench {i}") for i in range(50)])
    year = dt.date(2025, 1, 6)
    allocations = []
    for m in members:
        for quarter in range(4):
            start = year + dt.timedelta(weeks=13 * quarter + rng.randint(0, 3))
            allocations.append(
                Allocation(
                    project=rng.choice(projects),
                    member=m,
                    hours_per_week=Decimal(rng.choice([7.5, 15, 22.5, 30])),
                    start_date=start,
                    end_date=start + dt.timedelta(weeks=rng.randint(4, 12), days=-1),
                    status="confirmed" if rng.random() < 0.75 else "tentative",
                )
            )
    Allocation.objects.bulk_create(allocations, batch_size=5000)
    TimeOff.objects.bulk_create(
        [
            TimeOff(member=m, start=(d := year + dt.timedelta(weeks=rng.randint(0, 50))), end=d + dt.timedelta(days=4))
            for m in members
        ],
        batch_size=5000,
    )
    role = OpenRole.objects.create(
        project=projects[0],
        title="Bench role",
        hours_per_week=Decimal("20"),
        start_date=dt.date(2025, 4, 7),
        end_date=dt.date(2025, 6, 29),
    )
    OpenRoleSkill.objects.bulk_create(
        [OpenRoleSkill(role=role, skill=s, min_level=rng.randint(2, 5)) for s in skills[:5]]
    )
    print(
        f"data: {len(members)} people, {MemberSkill.objects.count()} levels, {len(allocations)} allocations, "
        f"set up in {time.perf_counter() - started:.1f} s ({connection.vendor})"
    )
    times = []
    for _ in range(max(1, args.repeat)):
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            ranked = staffing_suggestions(role=role, limit=20)
            times.append(time.perf_counter() - t0)
    print(f"candidates considered: people holding a required skill; top: {ranked[0].person.name} ({ranked[0].reason})")
    print(
        f"rank one role: first {times[0] * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms "
        f"over {len(times)} runs; {len(queries)} queries"
    )
    tmp.cleanup()


if __name__ == "__main__":
    main()
