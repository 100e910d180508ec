"""Billing pages: the company's rate cards (bill rates by role, with client and project overrides).

Thin: reads go through ``projects.billing.selectors``, writes through
``projects.billing.services``. Rates are internal money: only those who may
keep them (``access.manage_rates``, administrators) reach the page; anyone
else gets 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from apm import access
from apm.actions import refusal_on_form
from apm.formatting import format_date
from apm.http import AuthenticatedHttpRequest
from projects.billing import forms, selectors, services
from projects.models import BillRate


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
