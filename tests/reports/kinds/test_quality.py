"""The quality report kind: snapshot figures, client redaction and the PDF parsed back to text."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from pypdf import PdfReader

from projects.delivery import services
from projects.quality import services as quality
from projects.quality.services import CheckInput
from reports.rendering import report_render_snapshot
from reports.services import report_request
from tests import factories
from tests.reports.snapshots import build_snapshot

T = dt.datetime(2025, 3, 10, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def seeded(world, pm, member, client_user):
    """ALPHA-1 with two standards; three reviews (one failed), one sign-off accepted and one rejected."""
    project = world["alpha_project"]
    house = factories.QualityStandardFactory(name="House style")
    a1 = factories.QualityCriterionFactory(standard=house, text="Spelling")
    a2 = factories.QualityCriterionFactory(standard=house, text="Brand colours")
    acme = factories.QualityStandardFactory(name="Acme accessibility", client=world["acme"])
    b1 = factories.QualityCriterionFactory(standard=acme, text="Alt text")
    house.projects.add(project)
    acme.projects.add(project)
    items = []
    with time_machine.travel(T, tick=False):
        for name in ("Video", "Poster", "Leaflet"):
            item = services.deliverable_create(project=project, user=pm, name=name, due_date=dt.date(2025, 6, 1))
            services.deliverable_transition(deliverable=item, to="in_progress", user=pm)
            services.deliverable_transition(deliverable=item, to="in_review", user=pm)
            items.append(item)
        # Video: all pass. Poster: spelling fails. Leaflet: alt text n/a, the rest pass.
        quality.review_record(
            deliverable=items[0],
            reviewer=member,
            checks=[CheckInput(a1.pk, "passed"), CheckInput(a2.pk, "passed"), CheckInput(b1.pk, "passed")],
        )
        quality.review_record(
            deliverable=items[1],
            reviewer=member,
            checks=[
                CheckInput(a1.pk, "failed", note="Typo in the headline"),
                CheckInput(a2.pk, "passed"),
                CheckInput(b1.pk, "passed"),
            ],
        )
        quality.review_record(
            deliverable=items[2],
            reviewer=member,
            checks=[CheckInput(a1.pk, "passed"), CheckInput(a2.pk, "passed"), CheckInput(b1.pk, "na")],
        )
        for item in (items[0], items[2]):
            services.deliverable_transition(deliverable=item, to="awaiting_sign_off", user=pm)
        services.deliverable_sign_off(deliverable=items[0], user=client_user, accepted=True, comment="Great")
        services.deliverable_sign_off(deliverable=items[2], user=client_user, accepted=False, comment="Wrong logo")
    return project


def _snapshot(project, audience="internal"):
    return build_snapshot(
        kind="quality", audience=audience, scope="project", project=project, title="Quality report: ALPHA-1"
    )


def test_it_counts_pass_rates_per_standard_and_sign_offs(seeded):
    snap = _snapshot(seeded)
    q = snap["quality"]
    rates = {row["name"]: row["pass_rate"] for row in q["standards"]}
    # House style: 6 checks, 5 passed, 1 failed -> 83.3%. Acme: 2 passed, 1 n/a -> 100.0%.
    assert rates == {"House style": "83.3", "Acme accessibility": "100.0"}
    assert q["overall_pass_rate"] == "87.5"  # 7 of 8 applicable
    assert (q["reviews_count"], q["reviews_passed"]) == (3, 2)
    assert (q["accepted"], q["rejected"]) == (1, 1)
    assert [(nc["title"], nc["age_days"]) for nc in q["open_ncs"]] == [("Spelling", 21)]
    assert q["gantt_svg"].startswith("<svg")


def test_it_leaves_reviewers_and_corrective_actions_out_of_the_client_version(seeded):
    q = _snapshot(seeded, audience="client")["quality"]
    assert "reviewer" not in q["reviews"][0]
    assert "owner" not in q["open_ncs"][0]
    assert "corrective_action" not in q["open_ncs"][0]


def test_it_counts_only_reviews_in_the_period(seeded):
    april = {"period_start": dt.date(2025, 4, 1), "period_end": dt.date(2025, 4, 30)}
    snap = build_snapshot(kind="quality", scope="project", project=seeded, title="April", **april)
    assert snap["quality"]["reviews_count"] == 0
    assert snap["quality"]["standards"] == []
    assert len(snap["quality"]["open_ncs"]) == 1  # still open in April


def test_it_shows_the_pass_rates_in_the_pdf(seeded):
    rendered = report_render_snapshot(_snapshot(seeded))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(rendered.pdf)).pages)
    text = " ".join(text.split())
    assert "Pass rate per standard" in text
    assert "House style v1" in text
    assert "83.3%" in text
    assert "100.0%" in text
    assert "87.5%" in text
    assert "No open non-conformances" not in text
    assert "Wrong logo" in text


def test_it_can_be_requested_through_the_pipeline(seeded, pm):
    report = report_request(kind="quality", audience="internal", scope="project", project=seeded, requested_by=pm)
    assert report.kind == "quality"
    assert report.get_kind_display() == "Quality report"
