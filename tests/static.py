"""The static files the tests serve: collected into STATIC_ROOT, as in production, whenever a source is newer.

The tests run with DEBUG off and the manifest storage, so every page names its
static files through ``STATIC_ROOT/staticfiles.json`` and a missing file fails
the page, as it would in production. ``make test`` runs ``collectstatic``
first; this covers a bare ``pytest`` after a stylesheet was added or changed.
A file lock keeps two test runs from collecting into the same folder at once.
"""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import django


def _stale(manifest: Path) -> bool:
    from django.contrib.staticfiles import finders

    if not manifest.is_file():
        return True
    try:
        collected = set(json.loads(manifest.read_text("utf-8"))["paths"])
    except (ValueError, KeyError):
        return True
    since = manifest.stat().st_mtime
    ignore = ["CVS", ".*", "*~"]  # collectstatic's default ignore patterns
    for finder in finders.get_finders():
        for name, storage in finder.list(ignore):
            if name not in collected or Path(storage.path(name)).stat().st_mtime > since:
                return True
    return False


def collect_static_when_stale() -> None:
    """Run ``collectstatic --noinput`` when a static source file is missing from the manifest or newer than it."""
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with (root.parent / ".static.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _stale(root / "staticfiles.json"):
            call_command("collectstatic", interactive=False, verbosity=0)
