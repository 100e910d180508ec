"""Every service write runs the model's validation (apm/validation.py): refused in words, nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apm import validation
from apm.errors import Refused
from projects.budget.services import plan
from projects.delivery import services as delivery_services
from projects.models import (
    BudgetEvent,
    BudgetLine,
    ChangeRequest,
    Client,
    Correspondence,
    CorrespondenceAttachment,
    Deliverable,
    RaidItem,
    ReviewCheck,
)
from projects.raid import services as raid_services
from teams.models import MemberRate
from teams.services import member_rate_set
from tests import factories
from tests.projects.steps import log_letter

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- The helper -------------------------------------------------------------------------------


def test_it_refuses_a_value_the_model_would_not_hold_naming_the_field_and_saves_nothing():
    with pytest.raises(Refused) as refused:
        validation.create(Client, name="x" * 201)
    assert refused.value.message == "Name: Ensure this value has at most 200 characters (it has 201)."
    assert Client.objects.count() == 0


def test_it_names_the_field_by_its_verbose_name_capitalised():
    check = ReviewCheck(result="passed", evidence_link="ftp://files.example.com/evidence.pdf")
    with pytest.raises(Refused) as refused:
        validation.clean(check)
    assert refused.value.message == "Evidence link: Enter a web address that starts with http:// or https://."


def test_it_names_every_refused_field_in_the_models_order():
    change = ChangeRequest(
        number=1,
        title="t",
        description="d",
        reason="r",
        raised_by="nobody",
        cost_impact=Decimal("1" * 17),
        approvers="head",
    )
    with pytest.raises(Refused) as refused:
        validation.clean(change)
    message = refused.value.message
    assert message.startswith("Raised by: Value 'nobody' is not a valid choice. Cost impact (internal): ")
    assert message.endswith("Ensure that there are no more than 16 digits before the decimal point.")


def test_it_checks_only_the_fields_a_partial_save_writes():
    deliverable = Deliverable(name="x" * 301, due_date=dt.date(2025, 1, 1), percent_complete=50)
    validation.clean(deliverable, fields=["percent_complete"])
    with pytest.raises(Refused, match=r"^Name: "):
        validation.clean(deliverable, fields=["name"])
    validation.clean(deliverable, exclude=["name"])


def test_it_makes_no_query_and_leaves_foreign_keys_to_the_database(world, django_assert_num_queries):
    deliverable = Deliverable.objects.get(pk=factories.DeliverableFactory(project=world["alpha_project"]).pk)
    with django_assert_num_queries(0):
        validation.clean(deliverable)
    missing = Deliverable(project_id=999_999, name="n", due_date=dt.date(2025, 1, 1))
    with django_assert_num_queries(0):
        validation.clean(missing)


# --- Services ---------------------------------------------------------------------------------


def test_it_refuses_a_deliverable_with_an_over_long_name_and_writes_nothing(world, pm):
    with pytest.raises(Refused) as refused:
        delivery_services.deliverable_create(
            project=world["alpha_project"], user=pm, name="n" * 301, due_date=dt.date(2025, 6, 30)
        )
    assert refused.value.message == "Name: Ensure this value has at most 300 characters (it has 301)."
    assert Deliverable.objects.count() == 0
    assert Deliverable.history.count() == 0


def test_it_refuses_correspondence_on_an_unknown_channel_and_stores_nothing(world, pm, settings):
    with pytest.raises(Refused) as refused:
        log_letter(
            world["alpha_project"],
            pm,
            channel="fax",
            uploads=[SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")],
        )
    assert refused.value.message == "Channel: Value 'fax' is not a valid choice."
    assert Correspondence.objects.count() == 0
    assert CorrespondenceAttachment.objects.count() == 0
    assert _stored_files(settings) == []


def test_it_refuses_a_budget_line_beyond_the_digits_money_holds_and_changes_no_budget(world, pm):
    project = world["alpha_project"]
    bac = project.bac
    with pytest.raises(Refused, match=r"^Amount: Ensure that there are no more than 18 digits in total\."):
        plan.budget_line_add(project=project, category="labour", amount=Decimal("1" * 17), actor=pm)
    assert BudgetLine.objects.count() == 0
    assert BudgetEvent.objects.count() == 0
    project.refresh_from_db()
    assert project.bac == bac


def test_it_refuses_a_raid_item_with_an_over_long_title_and_logs_nothing(world, pm):
    with pytest.raises(Refused, match=r"^Title: Ensure this value has at most 300 characters"):
        raid_services.raid_item_create(
            project=world["alpha_project"], kind="issue", user=pm, title="t" * 301, severity="high"
        )
    assert RaidItem.objects.count() == 0


def test_it_refuses_a_rate_with_a_currency_code_too_long_and_keeps_the_open_rate(world):
    member = world["alpha_project"].team_members.get()
    member_rate_set(member=member, cost_rate=Decimal("50"), bill_rate=Decimal("90"), valid_from=dt.date(2024, 1, 1))
    with pytest.raises(Refused, match=r"^Currency: Ensure this value has at most 3 characters"):
        member_rate_set(
            member=member,
            cost_rate=Decimal("60"),
            bill_rate=Decimal("95"),
            valid_from=dt.date(2025, 1, 1),
            currency="pounds",
        )
    assert list(MemberRate.objects.values_list("cost_rate", "valid_to")) == [(Decimal("50.00"), None)]
