"""The skills matrix filter: ids from the query string that no database column could hold are refused, not 500s."""

from __future__ import annotations

import pytest
from django.urls import reverse

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("params", [{"department": HUGE}, {"skills": HUGE}, {"skills": "-5"}, {"department": "0"}])
def test_it_ignores_out_of_range_ids_in_the_matrix_filter(client, admin_user, world, params):
    client.force_login(admin_user)
    response = client.get(reverse("teams:matrix"), params)
    assert response.status_code == 200
    assert response.context["form"].is_valid() is False
