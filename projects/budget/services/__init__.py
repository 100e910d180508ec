"""Writes of budgets, time and costs, baselines, tolerances, alerts and contingency, one module per job.

Callers import each function from the module that holds it:

* ``plan``: the budget as planned: settings (reserve, tolerances), budget lines and BAC, baselines;
* ``costs``: time entries, expenses and receipts;
* ``checks``: the budget check (tolerance exceptions, threshold alerts);
* ``contingency``: drawdown requests and their decisions;
* ``events``: the audit trail every change writes; ``notifications``: budget emails.

Every change to a budget writes a :class:`~projects.models.BudgetEvent` (the
audit trail) in the same transaction. A refusal is ``apm.errors.Refused``
(``UploadRefused`` for a bad receipt), before anything is written or inside
the transaction that would have written it; what a user typed is checked
against the model's own validation first (``apm.validation``).
Notifications go through the email outbox
(``apm.outbox.services.outbox_enqueue``), never ``send_mail``.
Money is Decimal in the project's currency, rounded half-up to the minor unit.
"""
