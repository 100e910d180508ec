"""Billing pages: the company's rate cards (bill rates by role, with client and project overrides); a project's
billing terms and milestones (forms on its budget page, whose "Revenue and margin" section
:func:`margin_section` fills); a client's account (its projects' revenue, cost and margin) and margin target.

Thin: reads go through ``projects.billing.selectors`` and
``projects.billing.margin``, writes through ``projects.billing.services``.
Rates and margins are internal money: the rate cards are for those who may
keep them (``access.manage_rates``, administrators); revenue and margin for
those who may see a project's margin (``access.see_margin``); anyone else
gets 404. A project's billing is changed by those who may edit its budget
(``access.edit_budget``; 403 for the others who see it), a client's target
by administrators.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apm import access
from apm.actions import form_valid_or_shown, refusal_on_form, refusal_shown
from apm.dates import parse_date_param, parse_id_param
from apm.formatting import format_date, format_money
from apm.http import AuthenticatedHttpRequest
from projects.billing import currency, forms, margin, selectors, services
from projects.billing.reporting import REPORTING_CURRENCIES, reporting_asked
from projects.common.lookups import child_or_404, project_or_404
from projects.models import BillingMilestone, BillingModel, BillRate, Client, MarginAlert, Project


def _card_url(rate: BillRate) -> str:
    return f"{reverse('projects:rates')}#role-{rate.job_role_id}-{rate.currency}"


def _said(rate: BillRate) -> str:
    scope = rate.project.code if rate.project else rate.client.name if rate.client else "card"
    return f"{rate.job_role} ({scope}): {selectors.rate_text(rate.rate, rate.currency)} an hour"


@login_required
def rates_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The rate cards: each role's card by currency with its history, the client and project overrides under it,
    "Add a rate" and, on every rate not ended, "Change from <date>".

    POST ``action=change`` changes a rate from a date (``BillRateChangeForm``);
    any other POST adds a rate (``BillRateForm``). A refusal shows the page
    again with the reason, nothing changed.
    """
    if not access.manage_rates.allows(request.user):
        raise Http404("No rate cards for this login.")
    roles, clients = selectors.rate_roles(), selectors.rate_clients()
    posted = request.POST if request.method == "POST" else None
    changing = posted is not None and posted.get("action") == "change"
    form = forms.BillRateForm(None if changing else posted, roles=roles, clients=clients)
    change = forms.BillRateChangeForm(posted if changing else None)
    if changing and change.is_valid():
        with refusal_on_form(change):
            old = change.cleaned_data["bill_rate"]
            new = services.bill_rate_change(
                actor=request.user,
                bill_rate=old,
                rate=change.cleaned_data["rate"],
                valid_from=change.cleaned_data["valid_from"],
            )
            messages.success(
                request, f"{_said(new)} from {format_date(new.valid_from)}; the rate before ends the day before."
            )
            return redirect(_card_url(new))
    elif posted is not None and not changing and form.is_valid():
        with refusal_on_form(form):
            new = services.bill_rate_add(actor=request.user, **form.rate_values())
            messages.success(request, f"{_said(new)} from {format_date(new.valid_from)} added.")
            return redirect(_card_url(new))
    today = timezone.localdate()
    people = {role.pk: getattr(role, "people", 0) for role in roles}
    return render(
        request,
        "projects/billing/rates.html",
        {
            "cards": selectors.rate_cards(today=today, people=people),
            "form": form,
            "change": change,
            "today": today,
        },
    )


# --- A project's revenue and margin (the budget page's section) and its billing ------------------------------------


def margin_section(request: AuthenticatedHttpRequest, project: Project, *, as_of: dt.date) -> dict[str, Any]:
    """What the budget page's "Revenue and margin" section shows of ``project`` as of ``as_of``: an empty dict
    unless the user may see its margin (``access.see_margin``). Ten queries at most (the question, the margin,
    the months' costs, the open alert, whether the user may change the billing), and two more for the milestones
    of a fixed-price project (the list and, for those who may change them, the deliverables to choose from).

    ``margin`` (``ProjectMargin``), ``months`` (the last 12 months' revenue, cost and margin, from the first
    with any), ``margin_alert`` (the open one or None), ``milestones`` ((milestone, the day it fell due or
    None) pairs), the billing and milestone forms for those who may edit the budget, and the links: the
    rate cards for those who keep them, the client's account page.
    """
    if not access.see_margin.allows(request.user, project):
        return {}
    (figures,) = margin.project_margins(projects=Project.objects.filter(pk=project.pk), as_of=as_of)
    months = margin.from_first_active(margin.monthly(margins=[figures], as_of=as_of).get(project.currency, []))
    may_edit = access.edit_budget.allows(request.user, project)
    billing = margin.billing_of(figures.project)
    fixed = billing.model == BillingModel.FIXED_PRICE
    milestones = (
        [
            (milestone, margin.falls_due(milestone))
            for milestone in BillingMilestone.objects.filter(project=project).select_related("deliverable")
        ]
        if fixed
        else []
    )
    return {
        "margin": figures,
        "billing": billing,
        "months": months,
        "margin_alert": MarginAlert.objects.filter(project=project, closed_at__isnull=True).first(),
        "milestones": milestones,
        "milestones_total": sum((m.amount for m, _ in milestones), Decimal(0)),
        "may_edit_billing": may_edit,
        "billing_form": forms.ProjectBillingForm.of(billing) if may_edit else None,
        "milestone_form": forms.BillingMilestoneForm(project=project) if may_edit and fixed else None,
        "rates_url": reverse("projects:rates") if access.manage_rates.allows(request.user) else "",
        "account_url": reverse("projects:client_account", args=[project.client_id]) if project.client_id else "",
    }


def _revenue_url(project: Project) -> str:
    return reverse("projects:budget", args=[project.code]) + "#revenue"


def _billing_to_change(request: AuthenticatedHttpRequest, code: str) -> Project:
    """The project, if the user may see its margin (else 404) and change its billing (else 403)."""
    project = project_or_404(request, code, access.see_margin)
    if not access.edit_budget.allows(request.user, project):
        raise PermissionDenied(services.NOT_THE_PM)
    return project


@login_required
@require_POST
def billing_settings(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """POST: the project's billing model and terms (``ProjectBillingForm``); the budget page says what changed."""
    project = _billing_to_change(request, code)
    form = forms.ProjectBillingForm(request.POST)
    if form_valid_or_shown(request, form, failed="Billing not saved."):
        with refusal_shown(request, failed="Billing not saved."):
            billing = services.project_billing_set(actor=request.user, project=project, **form.billing_values())
            messages.success(request, f"Billing saved: {billing.get_model_display().lower()}.")
    return redirect(_revenue_url(project))


@login_required
@require_POST
def billing_milestone_add(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """POST: a billing milestone of the fixed-price project (``BillingMilestoneForm``)."""
    project = _billing_to_change(request, code)
    form = forms.BillingMilestoneForm(request.POST, project=project)
    if form_valid_or_shown(request, form, failed="Milestone not added."):
        with refusal_shown(request, failed="Milestone not added."):
            milestone = services.billing_milestone_add(actor=request.user, project=project, **form.cleaned_data)
            messages.success(
                request,
                f"Billing milestone “{milestone.name}” of {format_money(milestone.amount, project.currency)} added.",
            )
    return redirect(_revenue_url(project))


@login_required
@require_POST
def billing_milestone_remove(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    """POST: remove a billing milestone; another project's milestone is a 404 before any 403."""
    project = project_or_404(request, code, access.see_margin)
    milestone = child_or_404(BillingMilestone, project=project, pk=pk)
    if not access.edit_budget.allows(request.user, project):
        raise PermissionDenied(services.NOT_THE_PM)
    with refusal_shown(request, failed="Milestone not removed."):
        services.billing_milestone_remove(actor=request.user, milestone=milestone)
        messages.success(request, f"Billing milestone “{milestone.name}” removed.")
    return redirect(_revenue_url(project))


# --- A client's account ----------------------------------------------------------------------------------------------


@login_required
def client_account(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A client's account: every project of the client whose margin the user may see (``access.see_margin``;
    404 when none), with its billing model, contract value, revenue, cost and margin to date, forecast margin,
    retainer balance and a mark below the client's target; totals per currency and in a reporting currency
    (``?currency=&on=``, as the department table); the last 12 months; the margin target, which
    administrators set here. ``?as_of=`` (default today).

    Eleven queries at most whatever the number of projects: the session and the user, the account
    (``margin.client_account``: eight at most), the exchange rates (none when every project is in the currency
    of the total); whether the user may set the target asks no query (an ability of the user's role).
    """
    if parse_id_param(str(pk)) is None:  # beyond what a database id holds (SQLite would overflow)
        raise Http404("No such client.")
    as_of = parse_date_param(request.GET.get("as_of"), timezone.localdate())
    account = margin.client_account(projects=access.see_margin.queryset(request.user).filter(client_id=pk), as_of=as_of)
    if not account.margins:
        raise Http404("No such client.")
    client = account.margins[0].project.client
    if client is None:  # cannot be: the projects were found by their client
        raise Http404("No such client.")
    counts = {found.currency: found.projects for found in account.totals}
    asked = reporting_asked(request.GET, counts=counts, today=timezone.localdate())
    total = currency.totals_in(
        (
            (
                found.project.currency,
                {
                    "revenue": found.revenue.total,
                    "cost": found.to_date.cost,
                    "forecast_revenue": found.forecast_revenue,
                    "eac": found.eac,
                },
            )
            for found in account.margins
        ),
        currency=asked.currency,
        on=asked.on,
    )
    columns = total.columns
    reported = {
        "to_date": margin.rv.margin(revenue=columns["revenue"].amount, cost=columns["cost"].amount),
        "forecast": margin.rv.margin(revenue=columns["forecast_revenue"].amount, cost=columns["eac"].amount),
    }
    may_set_target = access.manage_rates.allows(request.user)
    return render(
        request,
        "projects/billing/client.html",
        {
            "client": client,
            "account": account,
            "as_of": as_of,
            "total": total,
            "reported": reported,
            "total_notes": asked.notes,
            "currencies": REPORTING_CURRENCIES,
            "lookback_days": currency.LOOKBACK_DAYS,
            "query": urlencode({"as_of": as_of.isoformat(), **asked.keep}),
            "target_form": forms.ClientTargetForm(initial={"margin_target_percent": client.margin_target_percent})
            if may_set_target
            else None,
        },
    )


@login_required
@require_POST
def client_target(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """POST: the client's margin target (``ClientTargetForm``); 404 unless the user may see the margin of one of
    the client's projects, 403 unless an administrator (``access.manage_rates``)."""
    if parse_id_param(str(pk)) is None or not access.see_margin.queryset(request.user).filter(client_id=pk).exists():
        raise Http404("No such client.")
    if not access.manage_rates.allows(request.user):
        raise PermissionDenied("Only administrators set a client's margin target.")
    client = Client.objects.get(pk=pk)
    form = forms.ClientTargetForm(request.POST)
    if form_valid_or_shown(request, form, failed="Target not saved."):
        with refusal_shown(request, failed="Target not saved."):
            services.client_margin_target_set(
                actor=request.user, client=client, target_percent=form.cleaned_data["margin_target_percent"]
            )
            target = client.margin_target_percent
            messages.success(
                request,
                f"{client.name}'s margin target is {margin.percent_text(target)}."
                if target is not None
                else f"{client.name} has no margin target.",
            )
    return redirect("projects:client_account", pk=client.pk)
