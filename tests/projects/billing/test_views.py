"""The rate card page: administrators only (404 for everyone else), add a rate, change one from a date, overlaps
and bad input refused with a message and nothing changed, the same queries whatever the number of cards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from projects.models import BillRate
from tests import factories
from tests.test_html import Page, problems

D = Decimal
URL = "/projects/rates/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def designer():
    return factories.JobRoleFactory(title="Designer")


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def _add(browser, **values):
    data = {
        "action": "add",
        "rate-job_role": values.pop("job_role").pk,
        "rate-scope": values.pop("scope", "card"),
        "rate-currency": values.pop("currency", "GBP"),
        "rate-valid_from": values.pop("valid_from", "2026-01-01"),
    }
    data.update({f"rate-{name}": value for name, value in values.items()})
    return browser.post(URL, data)


def _change(browser, bill_rate, **values):
    data = {"action": "change", "change-bill_rate": bill_rate.pk}
    data.update({f"change-{name}": value for name, value in values.items()})
    return browser.post(URL, data)


def test_it_is_reached_at_a_fixed_address():
    assert reverse("projects:rates") == URL


@pytest.mark.parametrize("who", ["head", "outside_head", "pm", "member", "client_user", "other_client_user"])
def test_it_answers_404_to_everyone_but_administrators_and_writes_nothing(client, users, world, designer, who):
    client.force_login(users[who])
    assert client.get(URL).status_code == 404
    assert _add(client, job_role=designer, rate="95").status_code == 404
    assert not BillRate.objects.exists()
    assert "Rates</a>" not in client.get("/projects/").content.decode()


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_it_links_the_page_from_the_navigation_for_administrators(admin):
    page = admin.get(URL)
    assert page.status_code == 200
    assert f'href="{URL}">Rates</a>' in page.content.decode()


def test_it_adds_a_card_rate_and_overrides_listed_under_the_card(admin, admin_user, world, designer):
    factories.TeamMemberFactory(name="Dee", job_role=designer)
    response = _add(admin, job_role=designer, rate="95.00")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#role-{designer.pk}-GBP")
    _add(admin, job_role=designer, scope="client", client=world["acme"].pk, rate="105.50")
    _add(admin, job_role=designer, scope="project", project="alpha-1", rate="120")  # the code in any case
    card, acme, alpha = BillRate.objects.order_by("pk")
    assert (card.client, card.project, card.rate, card.valid_to, card.created_by) == (
        None,
        None,
        D("95.00"),
        None,
        admin_user,
    )
    assert (acme.client, acme.rate) == (world["acme"], D("105.50"))
    assert (alpha.project, alpha.rate) == (world["alpha_project"], D("120.00"))

    page = admin.get(URL).content.decode()
    assert "Designer (Acme): £105.50 an hour from 1 Jan 2026 added." in page  # the messages of the adds
    page = page[page.index(f'id="role-{designer.pk}-GBP"') :]
    assert "Designer" in page
    assert "1 person in this role" in page
    assert page.index("£95.00") < page.index("Client overrides") < page.index("£105.50")
    assert page.index("Project overrides") < page.index("£120.00")
    assert "Acme" in page
    assert "ALPHA-1" in page


def test_it_changes_a_rate_from_a_date_ending_the_old_one_the_day_before(admin, admin_user, designer):
    card = factories.BillRateFactory(job_role=designer, rate=D("100.00"), valid_from=dt.date(2026, 1, 1))
    response = _change(admin, card, rate="110.00", valid_from="2026-04-01")
    assert response.status_code == 302
    card.refresh_from_db()
    new = BillRate.objects.exclude(pk=card.pk).get()
    assert (card.rate, card.valid_from, card.valid_to) == (D("100.00"), dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert (new.rate, new.valid_from, new.valid_to, new.created_by) == (
        D("110.00"),
        dt.date(2026, 4, 1),
        None,
        admin_user,
    )
    page = admin.get(URL).content.decode()
    # Today (20 March) the card is still £100.00; £110.00 is scheduled.
    assert "£100.00<span" in page
    assert "Scheduled" in page
    assert "1 Jan 2026 \N{EN DASH} 31 Mar 2026" in page
    assert "from 1 Apr 2026" in page


def test_it_refuses_an_overlapping_rate_with_a_clear_message(admin, designer):
    factories.BillRateFactory(job_role=designer, rate=D("100.00"), valid_from=dt.date(2026, 1, 1))
    response = _add(admin, job_role=designer, rate="120", valid_from="2026-06-01", valid_to="2026-06-30")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was added" in page
    assert "Designer already has a card rate in GBP of 100.00 from 1 Jan 2026 to open-ended" in page
    assert "Change from" in page
    assert BillRate.objects.count() == 1
    # Another currency, or a client's override, is another series: no overlap.
    assert _add(admin, job_role=designer, rate="120", currency="EUR").status_code == 302
    assert BillRate.objects.count() == 2


def test_it_refuses_a_change_that_does_not_start_after_the_rate(admin, designer):
    card = factories.BillRateFactory(job_role=designer, rate=D("100.00"), valid_from=dt.date(2026, 1, 1))
    response = _change(admin, card, rate="110.00", valid_from="2026-01-01")
    assert response.status_code == 200
    assert "The rate was not changed." in response.content.decode()
    assert "A change starts after the rate it changes" in response.content.decode()
    card.refresh_from_db()
    assert card.valid_to is None
    assert BillRate.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"rate": "95", "valid_from": "2026-02-30"}, "Enter a real date"),
        ({"rate": "0", "valid_from": "2026-01-01"}, "A rate is more than zero."),
        ({"rate": "abc", "valid_from": "2026-01-01"}, "Enter a number."),
        ({"rate": "95", "valid_from": "0001-01-01"}, "Enter a date from 1 Jan 1900"),
        ({"rate": "95", "valid_from": "2026-05-01", "valid_to": "2026-04-30"}, "A rate ends on or after"),
        ({"rate": "95", "scope": "client"}, "Choose the client this rate is for."),
        ({"rate": "95", "scope": "project", "project": "NOPE-9"}, "No project has the code “NOPE-9”."),
        ({"rate": "95", "scope": "project", "project": "a/b\x00"}, "Use 1 to 40 letters"),
        ({"rate": "95", "currency": "XXX"}, "Select a valid choice."),
        ({"rate": "95", "scope": "project", "project": "BETA-1", "currency": "EUR"}, "BETA-1 is billed in GBP"),
    ],
)
def test_it_refuses_bad_input_with_a_message_and_writes_nothing(admin, world, designer, values, message):
    response = _add(admin, job_role=designer, **values)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BillRate.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "change", "change-bill_rate": "999999", "change-rate": "1", "change-valid_from": "2026-05-01"},
        {"action": "change", "change-bill_rate": str(2**64), "change-rate": "1", "change-valid_from": "2026-05-01"},
        {"action": "change", "change-bill_rate": "x", "change-rate": "1", "change-valid_from": "2026-02-30"},
        {"action": "add", "rate-job_role": "999999"},
        {"action": "add", "rate-job_role": str(2**64), "rate-client": "-1"},
        {"action": "nonsense"},
        {},
    ],
)
def test_it_answers_junk_posts_without_a_500_and_writes_nothing(admin, designer, data):
    card = factories.BillRateFactory(job_role=designer)
    response = admin.post(URL, data)
    assert response.status_code == 200
    assert "Nothing was added" in response.content.decode() or "The rate was not changed." in response.content.decode()
    card.refresh_from_db()
    assert card.valid_to is None
    assert BillRate.objects.count() == 1


def _cards(world, n: int) -> None:
    """``n`` roles, each with a card in GBP (ended, current and scheduled), one in EUR, and overrides for a client
    and a project."""
    for i in range(n):
        role = factories.JobRoleFactory(title=f"Role {i:03d}")
        factories.TeamMemberFactory(name=f"Holder {i}", job_role=role)
        factories.BillRateFactory(
            job_role=role, rate=D("80"), valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31)
        )
        factories.BillRateFactory(
            job_role=role, rate=D("90"), valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 6, 30)
        )
        factories.BillRateFactory(job_role=role, rate=D("95"), valid_from=dt.date(2026, 7, 1))
        factories.BillRateFactory(job_role=role, rate=D("99"), currency="EUR")
        factories.BillRateFactory(job_role=role, client=world["acme"], rate=D("100"))
        factories.BillRateFactory(job_role=role, project=world["alpha_project"], rate=D("110"))


def test_it_shows_the_page_in_the_same_queries_whatever_the_number_of_cards(admin, world, django_assert_num_queries):
    _cards(world, 1)
    with django_assert_num_queries(5) as one:
        admin.get(URL)
    _cards(world, 12)
    with django_assert_num_queries(len(one.captured_queries)):
        page = admin.get(URL)
    assert page.content.decode().count("Client overrides") == 13


def test_it_keeps_the_page_with_cards_and_errors_to_the_html_rules(admin, world, designer):
    _cards(world, 2)
    card = BillRate.objects.filter(client=None, project=None, valid_to=None, currency="GBP").first()
    shown = admin.get(URL).content.decode()
    refused_add = _add(admin, job_role=designer, rate="-1", valid_from="2026-02-30").content.decode()
    refused_change = _change(admin, card, rate="x", valid_from="2026-02-30").content.decode()
    for html in (shown, refused_add, refused_change):
        assert problems(Page(html)) == []
