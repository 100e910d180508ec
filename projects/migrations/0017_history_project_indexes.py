"""Indexes that let a project's activity feed read only the newest rows of each history table.

The feed (``projects.activity.selectors``) asks each history table for a
project's newest 51 rows. With only the tables' own indexes (``project_id``,
``history_date`` apart), PostgreSQL read every row of the project and sorted
them: 10 ms for a project with 6,000 task history rows, growing with its
history. An index on (project, newest first) hands over the 51 in order.

The history models are django-simple-history's, generated from the tracked
models, so the indexes are plain SQL here rather than ``Meta.indexes``.
"""

from __future__ import annotations

from django.db import migrations

TABLES = (
    "projects_historicaldeliverable",
    "projects_historicaltask",
    "projects_historicalchangerequest",
    "projects_historicalraiditem",
    "projects_historicaldocument",
    "projects_historicalclause",
    "projects_historicalcorrespondence",
    "projects_historicalcomment",
)


def _index(table: str) -> str:
    return f"{table.removeprefix('projects_')}_project_newest"


class Migration(migrations.Migration):
    dependencies = [("projects", "0016_conversation")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX {_index(table)} ON {table} (project_id, history_date DESC, history_id DESC)",
            reverse_sql=f"DROP INDEX {_index(table)}",
        )
        for table in TABLES
    ]
