"""Exception plans: the PM writes and submits one for a broken tolerance, a head of its departments decides it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from apm.errors import Refused
from apm.outbox.models import OutboundEmail
from apm.outbox.services import outbox_send
from projects.budget.services import exception_plans
from projects.models import BudgetEvent, ExceptionPlan, ToleranceException

D = Decimal
NOW = dt.datetime(2025, 6, 30, 11, 0, tzinfo=dt.UTC)
FIGURES = {
    "tolerance": "±10% of BAC",
    "actual": "+20.0%",
    "bac": "100000.00",
    "eac": "120000.00",
    "eac_method": "BAC / CPI",
    "vac": "-20000.00",
    "cpi": "0.8333",
    "spi": "1.0000",
    "currency": "GBP",
    "forecast_finish": "2025-12-31",
    "baseline_finish": "2025-12-31",
    "as_of": "2025-06-30",
}


def sent() -> list:
    """Send every queued outbox email (as the worker would); the messages that reached ``mail.outbox``."""
    for email_id in OutboundEmail.objects.filter(status="queued").order_by("pk").values_list("pk", flat=True):
        outbox_send(email_id=email_id)
    return mail.outbox


def raise_exception(project, kind: str = "cost") -> ToleranceException:
    return ToleranceException.objects.create(
        project=project,
        kind=kind,
        summary=f"{kind.capitalize()} tolerance ±10% of BAC broken: forecast +20.0%",
        figures=FIGURES,
        raised_at=NOW,
    )


@pytest.fixture
def exception(world, pm):
    pm.email = "pm@example.com"
    pm.save()
    return raise_exception(world["alpha_project"])


def submit(exception, pm, **changes):
    values = {
        "options": "1. Cut scope. 2. Ask for more money.",
        "recommendation": "Option 2",
        "forecast_eac": D("118000"),
        "forecast_finish": None,
        "submit": True,
        "actor": pm,
    }
    values.update(changes)
    return exception_plans.exception_plan_save(exception=exception, **values)


def plan_url(exception) -> str:
    return reverse("projects:exception_plan", args=[exception.project.code, exception.pk])


def decide_url(exception) -> str:
    return reverse("projects:exception_plan_decide", args=[exception.project.code, exception.pk])


# --- Services -------------------------------------------------------------------------------


def test_it_keeps_a_draft_then_submits_with_the_forecast_of_the_exceptions_kind(exception, pm):
    draft = submit(exception, pm, options="", recommendation="", forecast_eac=None, submit=False)
    assert draft.state == "draft"
    with pytest.raises(Refused, match="the options considered, a recommendation, the new forecast cost"):
        submit(exception, pm, options=" ", recommendation="", forecast_eac=None)
    assert ExceptionPlan.objects.get().state == "draft"
    plan = submit(exception, pm)
    assert (plan.state, plan.submitted_by, plan.forecast_eac) == ("submitted", pm, D("118000.00"))
    actions = list(BudgetEvent.objects.filter(project=exception.project).values_list("action", flat=True))
    assert actions == ["exception_plan_submitted", "exception_plan_saved"]


def test_it_asks_a_time_exception_for_the_new_finish(world, pm):
    time = raise_exception(world["alpha_project"], kind="time")
    with pytest.raises(Refused, match="the new forecast finish"):
        submit(time, pm, forecast_eac=None)
    plan = submit(time, pm, forecast_eac=None, forecast_finish=dt.date(2026, 2, 1))
    assert plan.forecast_finish == dt.date(2026, 2, 1)


def test_it_refuses_others_a_closed_exception_and_a_plan_awaiting_decision(exception, pm, head, member):
    for someone in (head, member):
        with pytest.raises(Refused, match="Only the project manager"):
            submit(exception, someone)
    submit(exception, pm)
    with pytest.raises(Refused, match="awaiting decision: it can no longer be changed"):
        submit(exception, pm, recommendation="Changed my mind")
    assert ExceptionPlan.objects.get().recommendation == "Option 2"
    other = raise_exception(exception.project, kind="time")
    ToleranceException.objects.filter(pk=other.pk).update(state="closed", closed_at=NOW)
    other.refresh_from_db()
    with pytest.raises(Refused, match="closed"):
        submit(other, pm, forecast_finish=dt.date(2026, 1, 1))
    assert not ExceptionPlan.objects.filter(exception=other).exists()


def test_it_lets_only_a_head_of_the_projects_departments_decide(exception, pm, head, outside_head, admin_user):
    plan = submit(exception, pm)
    for someone, why in ((pm, "Only a head"), (outside_head, "Only a head")):
        with pytest.raises(Refused, match=why):
            exception_plans.exception_plan_decide(plan=plan, approve=True, actor=someone)
    with pytest.raises(Refused, match="Say why"):
        exception_plans.exception_plan_decide(plan=plan, approve=False, note=" ", actor=head)
    decided = exception_plans.exception_plan_decide(plan=plan, approve=True, note="Go ahead", actor=head)
    assert (decided.state, decided.decided_by, decided.decision_note) == ("approved", head, "Go ahead")
    with pytest.raises(Refused, match="not awaiting a decision"):
        exception_plans.exception_plan_decide(plan=plan, approve=False, note="No", actor=admin_user)
    assert BudgetEvent.objects.filter(action="exception_plan_approved", actor=head).count() == 1
    # The heads who decide were told at submission that it waits (projects.notifications); then the PM of the decision.
    asked, email = sent()
    assert "waits for your decision" in asked.subject
    assert asked.to == [head.email]
    assert email.to == ["pm@example.com"]
    assert "Exception plan approved: ALPHA-1 cost tolerance" in email.subject
    assert "Go ahead" in email.body


def test_it_keeps_the_head_who_manages_the_project_from_approving_their_own_plan(world, head):
    project = world["alpha_project"]
    project.project_manager = head
    project.save()
    plan = submit(raise_exception(project), head)
    with pytest.raises(Refused, match="another head must decide"):
        exception_plans.exception_plan_decide(plan=plan, approve=True, actor=head)


def test_it_lets_the_pm_revise_and_resubmit_a_rejected_plan(exception, pm, head):
    plan = submit(exception, pm)
    exception_plans.exception_plan_decide(plan=plan, approve=False, note="Too expensive", actor=head)
    revised = submit(exception, pm, recommendation="Option 1", forecast_eac=D("112000"), submit=False)
    assert (revised.state, revised.decision_note) == ("draft", "Too expensive")  # the last decision stays
    resubmitted = submit(exception, pm, recommendation="Option 1", forecast_eac=D("112000"))
    assert (resubmitted.state, resubmitted.decided_by, resubmitted.decision_note) == ("submitted", None, "")
    assert exception_plans.exception_plan_decide(plan=resubmitted, approve=True, actor=head).state == "approved"
    assert ExceptionPlan.objects.count() == 1
    # Each submission asks the head again (projects.notifications); each decision tells the PM.
    decisions = [m for m in sent() if "waits for your decision" not in m.subject]
    rejected, approved = decisions
    assert "rejected" in rejected.subject
    assert "approved" in approved.subject


# --- The page ---------------------------------------------------------------------------------


def test_it_walks_the_plan_from_the_budget_page_to_the_heads_decision(client, exception, pm, head):
    budget = reverse("projects:budget", args=["ALPHA-1"])
    client.force_login(pm)
    page = client.get(budget).content.decode()
    assert "Plan needed" in page
    assert plan_url(exception) in page
    page = client.get(plan_url(exception)).content.decode()
    assert "±10% of BAC" in page
    assert "+20.0%" in page
    assert "£120,000" in page
    assert "31 Dec 2025" in page
    assert 'name="plan-options"' in page
    data = {
        "plan-options": "Cut the second shoot",
        "plan-recommendation": "Cut it",
        "plan-forecast_eac": "110000",
        "plan-forecast_finish": "",
    }
    response = client.post(plan_url(exception), {**data, "plan-action": "save"}, follow=True)
    assert "Draft saved." in response.content.decode()
    response = client.post(plan_url(exception), {**data, "plan-action": "submit"}, follow=True)
    page = response.content.decode()
    assert "Plan submitted for a decision." in page
    assert 'name="plan-options"' not in page  # read-only until decided
    assert "Cut the second shoot" in page
    assert "£110,000" in page
    assert "Plan awaiting decision" in client.get(budget).content.decode()
    assert "Plan awaiting decision" in client.get(reverse("projects:detail", args=["ALPHA-1"])).content.decode()

    client.force_login(head)
    page = client.get(plan_url(exception)).content.decode()
    assert "Approve the plan" in page
    response = client.post(decide_url(exception), {"decision": "reject", "note": "Ask the client first"}, follow=True)
    assert "Exception plan rejected." in response.content.decode()

    client.force_login(pm)
    page = client.get(plan_url(exception)).content.decode()
    assert "Ask the client first" in page
    assert "Revise the plan" in page
    assert "Plan rejected: to revise" in client.get(budget).content.decode()
    client.post(plan_url(exception), {**data, "plan-recommendation": "Ask the client", "plan-action": "submit"})
    client.force_login(head)
    client.post(decide_url(exception), {"decision": "approve", "note": ""})
    assert ExceptionPlan.objects.get().state == "approved"
    assert "Plan approved" in client.get(budget).content.decode()


@pytest.mark.parametrize(
    ("who", "get", "post", "decide"),
    [
        ("member", 404, 404, 404),
        ("client_user", 404, 404, 404),
        ("other_client_user", 404, 404, 404),
        ("outside_head", 200, 403, 403),  # a reporting head reads it, neither writes nor decides
        ("head", 200, 403, 302),
    ],
)
def test_it_answers_each_relationship_as_the_policy_says(client, exception, users, who, get, post, decide):
    client.force_login(users[who])
    assert client.get(plan_url(exception)).status_code == get
    assert client.post(plan_url(exception), {"plan-action": "save"}).status_code == post
    assert client.post(decide_url(exception), {"decision": "approve"}).status_code == decide
    assert not ExceptionPlan.objects.exists()


def test_it_answers_404_for_another_projects_exception_under_this_projects_code(client, world, exception, pm):
    other = raise_exception(world["beta_project"])
    client.force_login(pm)
    url = reverse("projects:exception_plan", args=["ALPHA-1", other.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("projects:exception_plan", args=["ALPHA-1", 999999])).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"plan-forecast_eac": "-5"}, "greater than or equal to 0"),
        ({"plan-forecast_eac": "1e400"}, "at most £1,000,000,000,000"),
        ({"plan-forecast_eac": "NaN"}, "Enter a number"),
        ({"plan-forecast_eac": "9" * 20}, "at most £1,000,000,000,000"),
        ({"plan-forecast_finish": "2025-02-30"}, "Enter a valid date"),
        ({"plan-action": "publish"}, "Select a valid choice"),
        ({"plan-forecast_eac": ""}, "the new forecast cost (EAC)"),
    ],
)
def test_it_shows_bad_input_again_with_a_clear_message_and_writes_nothing(client, exception, pm, data, message):
    client.force_login(pm)
    posted = {
        "plan-options": "o",
        "plan-recommendation": "r",
        "plan-forecast_eac": "1000",
        "plan-action": "submit",
        **data,
    }
    response = client.post(plan_url(exception), posted)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ExceptionPlan.objects.exists()
    assert not BudgetEvent.objects.filter(action__startswith="exception_plan").exists()


def test_it_says_so_when_a_head_decides_before_a_plan_is_submitted(client, exception, head, pm):
    client.force_login(head)
    response = client.post(decide_url(exception), {"decision": "approve"}, follow=True)
    assert "No plan has been submitted" in response.content.decode()
    submit(exception, pm, submit=False)
    response = client.post(decide_url(exception), {"decision": "approve"}, follow=True)
    assert "not awaiting a decision" in response.content.decode()
    assert ExceptionPlan.objects.get().state == "draft"


def test_it_shows_the_plan_state_on_the_project_page_only_to_those_who_see_the_money(client, exception, users):
    detail = reverse("projects:detail", args=["ALPHA-1"])
    client.force_login(users["pm"])
    assert "Plan needed" in client.get(detail).content.decode()
    client.force_login(users["member"])
    page = client.get(detail).content.decode()
    assert "Plan needed" not in page
    assert "tolerance broken" not in page


def test_it_loads_the_budget_pages_exceptions_with_their_plans_in_fixed_queries(
    client, world, pm, exception, django_assert_max_num_queries
):
    client.force_login(pm)
    url = reverse("projects:budget", args=["ALPHA-1"])
    client.get(url)
    with django_assert_max_num_queries(60) as one:
        client.get(url)
    raise_exception(world["alpha_project"], kind="time")
    submit(exception, pm)
    with django_assert_max_num_queries(60) as two:
        client.get(url)
    assert len(two.captured_queries) == len(one.captured_queries)
