"""The team page in a real browser: "Assign" updates the role's card and the allocations without a reload.

Runs against pytest-django's live server, as the portal's browser tests do.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from projects.models import OpenRoleSkill
from tests import factories
from tests.browser.conftest import log_in, watch

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_it_updates_the_role_card_when_someone_is_assigned(browser, live_server, world, pm, console_errors):
    from playwright.sync_api import expect

    role = factories.OpenRoleFactory(
        project=world["alpha_project"], title="Data engineer", hours_per_week=Decimal("30")
    )
    python = factories.SkillFactory(name="Python")
    OpenRoleSkill.objects.create(role=role, skill=python, min_level=3)
    eve = factories.TeamMemberFactory(name="Eve Example", weekly_capacity_hours=Decimal("37.5"))
    factories.MemberSkillFactory(member=eve, skill=python, level=4)

    page = browser.new_context().new_page()
    watch(page, console_errors)
    log_in(page, live_server, "pm")
    page.goto(live_server.url + reverse("projects:team", args=["ALPHA-1"]))
    card = page.locator(f"#role-{role.pk}")
    expect(card).to_contain_text("0 h/week booked, 30 open")
    page.evaluate("window.apmSamePage = true")  # gone if the page reloads

    card.get_by_role("link", name="Suggest people").click()
    candidate = card.get_by_role("row").filter(has_text="Eve Example")
    candidate.get_by_role("button", name="Assign").click()

    expect(card).to_contain_text("Fully booked: 30 h/week")
    expect(card).not_to_contain_text("30 open")
    expect(card).to_contain_text("Eve Example is now booked 80 % of their capacity in those weeks")
    expect(page.locator("#allocations")).to_contain_text("Eve Example")
    assert page.evaluate("window.apmSamePage") is True
    assert console_errors == []
