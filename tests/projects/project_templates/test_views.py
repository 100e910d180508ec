"""The template pages: who sees and does what, money only for those who see it, the list's queries pinned."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from projects.models import Deliverable, Project, ProjectTemplate
from projects.project_templates import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(planned, pm):
    return services.template_save_from_project(project=planned, user=pm, name="Web shop", description="Shops")


def test_it_lists_templates_for_those_who_may_create_projects(client, template, pm, head, stranger_pm):
    for user in (pm, head, stranger_pm):
        client.force_login(user)
        response = client.get(reverse("projects:templates"))
        assert response.status_code == 200
        assert "Web shop" in response.content.decode()


def test_it_refuses_the_templates_to_members_and_contacts(client, template, member, client_user):
    for user in (member, client_user):
        client.force_login(user)
        for url in (reverse("projects:templates"), reverse("projects:template", args=[template.pk])):
            assert client.get(url).status_code == 403
        assert client.post(reverse("projects:template_use", args=[template.pk])).status_code == 403


def test_it_names_the_source_project_only_to_those_who_see_it(client, template, pm, stranger_pm):
    client.force_login(stranger_pm)
    page = client.get(reverse("projects:templates")).content.decode()
    assert "ALPHA-1" not in page
    assert "a project you do not see" in page
    client.force_login(pm)
    assert "ALPHA-1" in client.get(reverse("projects:templates")).content.decode()


def test_it_shows_the_plan_in_days_and_money_only_to_those_who_see_it(client, template, pm, stranger_pm, admin_user):
    url = reverse("projects:template", args=[template.pk])
    for user, sees in ((pm, True), (admin_user, True), (stranger_pm, False)):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "Design" in page
        assert "day 0–14" in page  # noqa: RUF001
        assert "day 15–59" in page  # noqa: RUF001
        assert "Sketch" in page
        assert "Design days" in page  # the line itself is shown; its amount only with the money
        assert ("£1,234" in page) is sees, user


def test_it_says_how_a_task_repeats(client, pm):
    content = {
        "version": 1,
        "currency": "GBP",
        "tasks": [{"title": "Check-in", "due": 4, "recurrence": "FREQ=WEEKLY;BYDAY=FR"}],
    }
    template = ProjectTemplate.objects.create(name="Repeats", content=content)
    client.force_login(pm)

    page = client.get(reverse("projects:template", args=[template.pk])).content.decode()

    assert "Repeats: " in page
    assert "Friday" in page


def test_it_saves_a_project_as_a_template_from_its_page(client, planned, pm):
    client.force_login(pm)
    assert "Save as template" in client.get(reverse("projects:detail", args=[planned.code])).content.decode()

    response = client.post(reverse("projects:template_save", args=[planned.code]), {"name": "Shop", "description": ""})

    template = ProjectTemplate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:template", args=[template.pk])
    assert template.name == "Shop"
    assert len(template.content["tasks"]) == 3


def test_it_shows_a_duplicate_name_on_the_form(client, template, planned, pm):
    client.force_login(pm)

    response = client.post(reverse("projects:template_save", args=[planned.code]), {"name": "web SHOP"})

    assert response.status_code == 200
    assert "A template named “web SHOP” already exists" in response.content.decode()
    assert ProjectTemplate.objects.count() == 1


def test_it_hides_saving_from_those_who_may_not_edit_the_project(client, planned, member, outside_head, stranger_pm):
    url = reverse("projects:template_save", args=[planned.code])
    for user in (member, outside_head, stranger_pm):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "Mine"}).status_code == 404
        assert "Save as template" not in client.get(reverse("projects:detail", args=[planned.code])).content.decode()
    assert not ProjectTemplate.objects.exists()


def test_it_lets_a_head_save_a_project_of_their_department(client, planned, head):
    client.force_login(head)

    client.post(reverse("projects:template_save", args=[planned.code]), {"name": "Head's"})

    assert ProjectTemplate.objects.get().created_by == head


def test_it_starts_a_project_from_a_template(client, template, stranger_pm, form_data):
    client.force_login(stranger_pm)
    url = reverse("projects:template_use", args=[template.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, form_data | {"project_manager": str(stranger_pm.pk)})

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", args=["NEW-1"])
    project = Project.objects.get(code="NEW-1")
    assert project.project_manager == stranger_pm
    assert Deliverable.objects.get(project=project, name="Design").due_date == dt.date(2025, 3, 17)
    # The template's amounts are hidden from them on its page, and their own project does not bring them back.
    assert not project.budget_lines.exists()


def test_it_gives_the_budget_lines_to_those_who_see_the_templates_money(client, template, pm, form_data):
    client.force_login(pm)
    response = client.post(reverse("projects:template_use", args=[template.pk]), form_data | {"bac": "5000"})
    assert response.status_code == 302
    lines = Project.objects.get(code="NEW-1").budget_lines.filter(unallocated=False)
    assert list(lines.values_list("description", "amount")) == [("Design days", Decimal("1234.00"))]


def test_it_asks_for_a_start_date(client, template, pm, form_data):
    client.force_login(pm)
    data = form_data | {"start_date": ""}

    response = client.post(reverse("projects:template_use", args=[template.pk]), data)

    assert response.status_code == 200
    assert not Project.objects.filter(code="NEW-1").exists()


def test_it_shows_a_malformed_template_as_such_and_creates_nothing(client, pm, form_data):
    broken = ProjectTemplate.objects.create(name="Broken", content={"version": 1, "currency": "GBP", "tasks": [7]})
    client.force_login(pm)
    page = client.get(reverse("projects:template", args=[broken.pk])).content.decode()
    assert "This template cannot be used: task 1 is not an object." in page
    assert "Use this template" not in page

    response = client.post(reverse("projects:template_use", args=[broken.pk]), form_data)

    assert response.status_code == 200
    assert "task 1 is not an object" in response.content.decode()
    assert not Project.objects.filter(code="NEW-1").exists()


def test_it_lets_administrators_alone_rename_and_delete(client, template, pm, head, admin_user):
    edit = reverse("projects:template_edit", args=[template.pk])
    delete = reverse("projects:template_delete", args=[template.pk])
    for user in (pm, head):
        client.force_login(user)
        assert (
            "Delete this template" not in client.get(reverse("projects:template", args=[template.pk])).content.decode()
        )
        assert client.post(edit, {"name": "Mine"}).status_code == 403
        assert client.post(delete).status_code == 403
    client.force_login(admin_user)

    client.post(edit, {"name": "Shop in a box", "description": "The usual"})
    assert ProjectTemplate.objects.get().name == "Shop in a box"
    client.post(delete)
    assert not ProjectTemplate.objects.exists()


def test_it_refuses_a_rename_to_another_templates_name(client, template, planned, pm, admin_user):
    services.template_save_from_project(project=planned, user=pm, name="Other")
    client.force_login(admin_user)

    client.post(reverse("projects:template_edit", args=[template.pk]), {"name": "OTHER"})

    template.refresh_from_db()
    assert template.name == "Web shop"


def test_it_offers_templates_on_the_new_project_page(client, pm):
    client.force_login(pm)

    page = client.get(reverse("projects:create")).content.decode()

    assert reverse("projects:templates") in page


@pytest.mark.parametrize("count", [1, 6])
def test_it_lists_templates_in_a_fixed_number_of_queries(client, planned, pm, django_assert_num_queries, count):
    for n in range(count):
        services.template_save_from_project(project=planned, user=pm, name=f"Template {n}")
    client.force_login(pm)
    client.get(reverse("projects:templates"))  # the session's first reads

    # Session and user (2), the templates with their source and author (1), the projects the PM sees (1).
    with django_assert_num_queries(4):
        response = client.get(reverse("projects:templates"))

    assert response.content.decode().count('data-label="Tasks"') == count
