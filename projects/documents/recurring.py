"""Writes of repeating obligations: a period ends once, its deadline rolls to the rule's next date.

A repeating obligation is a clause of kind obligation with a ``recurrence``
(``projects.planning.recurrence``) and a ``deadline``, the current period's.
A period ends when the PM marks it met (:func:`obligation_period_met`) or
when its deadline has passed (:func:`obligations_repeat_due`, the periodic
Celery task; met if its evidence is on file then, else missed). Ending it
writes an :class:`~projects.models.ObligationOccurrence` (the old deadline
and how it ended) and moves the clause's deadline to the rule's first date
after it that is not yet past, in one transaction on the locked clause: a
second click, a second run or two runs at once find the deadline moved
already and do nothing (the occurrence's unique (clause, due date) holds it
at the database too).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from apm import access
from apm.errors import Refused
from projects.common.history import history_save
from projects.documents.selectors import MET, obligation_rows
from projects.models import Clause, ClauseKind, ObligationOccurrence, OccurrenceOutcome, Project
from projects.planning import recurrence

if TYPE_CHECKING:
    from apm.accounts.models import User

logger = logging.getLogger(__name__)

NOT_A_MANAGER = "Only the project's manager, its department heads or an administrator may do that."


def check_clause_recurrence(*, kind: str, recurrence_text: str, deadline: dt.date | None) -> str:
    """The rule as stored ("" for none), or ``Refused``: a rule outside the subset, a rule on a clause that is
    not an obligation, or without a deadline to count from."""
    rule = recurrence.parse(recurrence_text)
    if rule is None:
        return ""
    if kind != ClauseKind.OBLIGATION:
        raise Refused("Only an obligation repeats.")
    if deadline is None:
        raise Refused("A repeating obligation needs a deadline: its repeats are counted from it.")
    return str(rule)


def _period_end(*, clause: Clause, due_date: dt.date, outcome: str, user: User | None, today: dt.date) -> bool:
    """End the period of ``clause`` due on ``due_date`` (see the module); False when it ended already."""
    try:
        with transaction.atomic():
            locked = Clause.objects.select_for_update().get(pk=clause.pk)
            rule = recurrence.parse(locked.recurrence)
            if rule is None or locked.deadline != due_date:
                return False
            after = max(due_date, today - dt.timedelta(1))
            locked.deadline = recurrence.occurrence_after(rule, anchor=due_date, after=after)
            what = "met" if outcome == OccurrenceOutcome.MET else "missed"
            reason = f"Period due {due_date:%d %b %Y} {what}; next deadline {locked.deadline:%d %b %Y}"
            history_save(locked, user=user, reason=reason, fields=["deadline", "updated_at"])
            ObligationOccurrence.objects.create(
                clause=locked,
                due_date=due_date,
                outcome=outcome,
                next_due_date=locked.deadline,
                recorded_at=timezone.now(),
                recorded_by=user,
            )
    except IntegrityError:
        return False
    clause.deadline = locked.deadline
    return True


def period_start(*, clause: Clause) -> dt.date | None:
    """When the current period of ``clause`` begins: the due date of the period before it (None: none has ended).
    Until then it is not marked met: next year's renewal is not met in advance. One query."""
    return clause.occurrences.order_by("-due_date").values_list("due_date", flat=True).first()


def obligation_period_met(*, clause: Clause, user: User, due_date: dt.date, today: dt.date | None = None) -> Clause:
    """Mark the period of the repeating obligation ``clause`` due on ``due_date`` met: it is kept as met and the
    deadline moves to the next date of its rule.

    ``due_date`` is the deadline the user saw: a second click, or a period
    ended meanwhile by the periodic run, is refused with the deadline now.
    Raises ``Refused`` for someone who may not edit the project, a clause
    that is not a repeating obligation with a deadline, a period that has
    not begun (:func:`period_start`), or that case.
    """
    access.edit_project.require(user, clause.project, NOT_A_MANAGER)
    if clause.kind != ClauseKind.OBLIGATION or not clause.recurrence or clause.deadline is None:
        raise Refused("Only a repeating obligation with a deadline is marked met period by period.")
    today = today or timezone.localdate()
    begins = period_start(clause=clause) if clause.deadline == due_date else None
    if begins is not None and begins > today:
        raise Refused(f"The period due {due_date:%d %b %Y} begins on {begins:%d %b %Y}; it is marked met from then.")
    if not _period_end(clause=clause, due_date=due_date, outcome=OccurrenceOutcome.MET, user=user, today=today):
        clause.refresh_from_db(fields=["deadline"])
        raise Refused(
            f"The period due {due_date:%d %b %Y} has ended already; the deadline is now {clause.deadline:%d %b %Y}."
        )
    return clause


def obligations_repeat_due(*, today: dt.date | None = None) -> int:
    """End the period of every repeating obligation whose deadline is before ``today`` (default: the local date):
    met when its evidence is on file (``obligation_rows``), else missed; each in its own transaction, so one
    failure (logged) stops no other and the next run tries it again. Returns how many periods ended."""
    today = today or timezone.localdate()
    due = list(
        Clause.objects.filter(kind=ClauseKind.OBLIGATION, deadline__lt=today)
        .exclude(recurrence="")
        .select_related("project")
        .order_by("pk")
    )
    if not due:
        return 0
    projects = Project.objects.filter(pk__in={clause.project_id for clause in due})
    met = {row.clause.pk for row in obligation_rows(projects=projects, today=today) if row.state == MET}
    ended = 0
    for clause in due:
        outcome = OccurrenceOutcome.MET if clause.pk in met else OccurrenceOutcome.MISSED
        try:
            if clause.deadline and _period_end(
                clause=clause, due_date=clause.deadline, outcome=outcome, user=None, today=today
            ):
                ended += 1
        except Exception:  # one clause's failure must not stop the others; the next run retries it
            logger.exception("The period of clause %s could not be ended", clause.pk)
    return ended
