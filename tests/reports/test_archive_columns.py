"""The report archive list: no SHA-256 column (a digest is no help when choosing a report)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_it_lists_reports_without_their_sha256(client, world, head):
    report = factories.ReportFactory(
        kind="portfolio", scope="department", department=world["alpha"], title="Alpha portfolio", sha256="ab" * 32
    )
    client.force_login(head)

    html = client.get(reverse("reports:archive")).content.decode()

    assert report.title in html
    assert "SHA-256" not in html
    assert "abababab" not in html
