"""Exception plans: the PM answers a broken tolerance with options, a recommendation and a new forecast; a head
of one of the project's departments approves or rejects it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apm import access, validation
from apm.accounts.models import User
from apm.errors import Refused
from projects.budget import evm
from projects.budget.services.events import budget_event_record
from projects.budget.services.notifications import budget_notify
from projects.models import ExceptionPlan, ExceptionState, PlanState, ToleranceException, ToleranceKind
from projects.notifications.producers import exception_plan_submitted_notify

#: The states in which the PM may still change the plan.
EDITABLE = (PlanState.DRAFT, PlanState.REJECTED)


def exception_plan_save(
    *,
    exception: ToleranceException,
    options: str,
    recommendation: str,
    forecast_eac: Decimal | None,
    forecast_finish: dt.date | None,
    submit: bool,
    actor: User,
) -> ExceptionPlan:
    """Write the plan of ``exception`` (created on first save); with ``submit``, send it to the heads to decide.

    ``forecast_eac`` is money in the project's currency (>= 0), ``forecast_finish``
    a date; both optional in a draft. Submitting needs the options, the
    recommendation and the forecast of the exception's kind (a cost exception
    the new EAC, a time exception the new finish). A rejected plan may be
    revised and submitted again: its last decision stays on it until then.
    Audited (``exception_plan_saved`` / ``exception_plan_submitted``).

    Raises ``Refused`` unless ``actor`` may plan (``access.plan_exception``),
    when the exception is closed, when the plan is awaiting a decision or
    approved, for a negative forecast or (on submit) a missing part; nothing
    is written then.
    """
    project = exception.project
    access.plan_exception.require(actor, project, "Only the project manager may write the exception plan.")
    options, recommendation = options.strip(), recommendation.strip()
    if forecast_eac is not None:
        forecast_eac = evm.money(forecast_eac)
        if forecast_eac < 0:
            raise Refused("The new forecast cost cannot be negative.")
    if submit:
        missing = [
            words
            for words, value in (
                ("the options considered", options),
                ("a recommendation", recommendation),
                (
                    "the new forecast cost (EAC)",
                    forecast_eac if exception.kind == ToleranceKind.COST else True,
                ),
                ("the new forecast finish", forecast_finish if exception.kind == ToleranceKind.TIME else True),
            )
            if value is None or value == ""
        ]
        if missing:
            raise Refused(f"To submit the plan, give {', '.join(missing)}.")
    with transaction.atomic():
        locked = ToleranceException.objects.select_for_update().get(pk=exception.pk)
        if locked.state != ExceptionState.OPEN:
            raise Refused("This exception is closed (the forecast is back inside tolerance): no plan is needed.")
        plan = ExceptionPlan.objects.select_for_update().filter(exception=locked).first()
        if plan is None:
            plan = ExceptionPlan(exception=locked)
        elif plan.state not in EDITABLE:
            raise Refused(f"The plan is {plan.get_state_display().lower()}: it can no longer be changed.")
        plan.options, plan.recommendation = options, recommendation
        plan.forecast_eac, plan.forecast_finish = forecast_eac, forecast_finish
        if not submit:
            # A rejected plan being revised is a draft again; its last decision stays on it until it is resubmitted.
            plan.state = PlanState.DRAFT
        else:
            plan.state = PlanState.SUBMITTED
            plan.submitted_by, plan.submitted_at = actor, timezone.now()
            plan.decided_by, plan.decided_at, plan.decision_note = None, None, ""
        validation.clean(plan)
        plan.save()
        budget_event_record(
            project=project,
            actor=actor,
            action="exception_plan_submitted" if submit else "exception_plan_saved",
            exception=locked.pk,
            kind=locked.kind,
            forecast_eac=forecast_eac,
            forecast_finish=forecast_finish,
        )
        if submit:
            exception_plan_submitted_notify(plan=plan, actor=actor)
    exception.plan = plan
    return plan


def exception_plan_decide(*, plan: ExceptionPlan, approve: bool, note: str = "", actor: User) -> ExceptionPlan:
    """A head of one of the project's departments approves or rejects a submitted plan.

    A rejection says why (``note``). Audited as ``exception_plan_approved`` or
    ``exception_plan_rejected``; the PM who submitted it is emailed the
    decision (outbox). Raises ``Refused`` unless ``actor`` may decide
    (``access.decide_exception_plan``), when ``actor`` submitted it or
    manages the project (administrators excepted), when the plan is not
    awaiting a decision, or for a rejection without a reason.
    """
    exception = plan.exception
    project = exception.project
    access.decide_exception_plan.require(
        actor, project, "Only a head of the project's departments may decide the exception plan."
    )
    if not access.administer.allows(actor) and actor.pk in (plan.submitted_by_id, project.project_manager_id):
        # Separation of duties, as for contingency: the PM who wrote the plan does not approve it.
        raise Refused("You wrote this plan or manage the project: another head must decide.")
    note = note.strip()
    if not approve and not note:
        raise Refused("Say why the plan is rejected, so the project manager can revise it.")
    with transaction.atomic():
        locked = ExceptionPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.state != PlanState.SUBMITTED:
            raise Refused(f"This plan is not awaiting a decision (it is {locked.get_state_display().lower()}).")
        locked.state = PlanState.APPROVED if approve else PlanState.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note
        fields = ["state", "decided_by", "decided_at", "decision_note", "updated_at"]
        validation.clean(locked, fields=fields[:-1])
        locked.save(update_fields=fields)
        budget_event_record(
            project=project,
            actor=actor,
            action="exception_plan_approved" if approve else "exception_plan_rejected",
            exception=exception.pk,
            kind=exception.kind,
            note=note,
        )
        author = locked.submitted_by
        if author is not None and author.email:
            budget_notify(
                project=project,
                template="exception-plan-decided",
                context={"plan": locked, "exception": exception},
                to=[author.email],
            )
    return locked
