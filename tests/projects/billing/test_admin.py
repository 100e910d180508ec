"""The rate cards in the Django admin keep the page's rules: no overlap within a series, a project's rate in its
currency, and who added a rate recorded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from projects.models import BillRate
from tests import factories

pytestmark = pytest.mark.django_db
ADD = "/admin/projects/billrate/add/"


def _post(client, **values):
    data = {"rate": "95.00", "currency": "gbp", "valid_from": "2026-06-01", "valid_to": ""}
    data.update({name: "" if value is None else value for name, value in values.items()})
    return client.post(ADD, data)


def test_it_adds_a_rate_recording_who_and_refuses_an_overlap(client, world, admin_user):
    designer = factories.JobRoleFactory(title="Designer")
    client.force_login(admin_user)
    response = _post(client, job_role=designer.pk)
    assert response.status_code == 302
    rate = BillRate.objects.get()
    assert (rate.currency, rate.rate, rate.created_by) == ("GBP", Decimal("95.00"), admin_user)

    refused = _post(client, job_role=designer.pk, valid_from="2026-12-01")
    assert refused.status_code == 200
    assert "Designer already has a card rate in GBP of 95.00 from 1 Jun 2026 to open-ended" in refused.content.decode()
    refused = _post(client, job_role=designer.pk, project=world["alpha_project"].pk, currency="EUR")
    assert "ALPHA-1 is billed in GBP" in refused.content.decode()
    assert BillRate.objects.count() == 1
    # Correcting the row itself is no overlap with itself.
    change = f"/admin/projects/billrate/{rate.pk}/change/"
    data = {"job_role": designer.pk, "rate": "96.00", "currency": "GBP", "valid_from": "2026-06-01", "valid_to": ""}
    assert client.post(change, data).status_code == 302
    rate.refresh_from_db()
    assert (rate.rate, rate.valid_from) == (Decimal("96.00"), dt.date(2026, 6, 1))
