"""Invoices and credit notes: their lines, the billed items behind each line, and the numbering sequences.

An invoice is drafted for a client and a period from the work itself
(``projects.billing.invoices``), edited while it is a draft, then issued:
it takes the next number of its kind and year from :class:`InvoiceSequence`
(``INV-2026-0001``; credit notes ``CN-2026-0001``), and from then on it is
never edited. Its state moves draft -> issued -> paid, or to void only when a
credit note reverses it in full.

Money is Decimal in the invoice's currency, two places, rounded half-up
(``projects.budget.evm.money``): a line's ``net`` is ``quantity x
unit_price``, its ``tax`` is ``net x tax_rate / 100``; the invoice's totals
are the sums of its lines' nets and taxes, and gross is both. A line whose
project bills in another currency states the price it had there
(``source_unit_price`` in ``source_currency``), the rate it was converted at
and that rate's date.

What a line bills (time entries, expenses, billing milestones, a retainer
month's fee or overage) are its :class:`InvoiceItem` rows. An item is
*claimed* while its invoice is issued or paid, and the database holds each
time entry, expense, milestone and retainer month to one claimed item at
most: two drafts holding the same hours can both exist, but only one of
them can be issued.

An issued invoice's PDF is rendered once, when it is first sent, and kept
in the default storage (``pdf``): the document the client received, the
same at every later sending. Each sending to a billing contact is an
:class:`InvoiceDelivery` with its outbox email.

Invoiced hours, bill rates and amounts are the client's to see (they are
what the client pays); costs, cost rates and margins never appear here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from apm.errors import Refused
from apm.outbox.models import OutboundEmail
from projects.models.billing import BillingMilestone
from projects.models.budget import Expense, TimeEntry
from projects.models.portfolio import Client, Project


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"


#: The prefix of each kind's numbers: ``INV-2026-0001``, ``CN-2026-0001``.
NUMBER_PREFIXES = {InvoiceKind.INVOICE: "INV", InvoiceKind.CREDIT_NOTE: "CN"}


class InvoiceState(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PAID = "paid", "Paid"
    VOID = "void", "Void (credited)"


#: The states an issued row may move to, and the only fields such a move may write.
NEXT_STATES: dict[str, frozenset[str]] = {
    InvoiceState.ISSUED: frozenset({InvoiceState.PAID, InvoiceState.VOID}),
    InvoiceState.PAID: frozenset({InvoiceState.VOID}),
    InvoiceState.VOID: frozenset(),
}
SETTLING_FIELDS = frozenset({"state", "paid_on", "paid_recorded_by", "updated_at"})


class Grouping(models.TextChoices):
    """How a draft lays out time: a line per project, role and rate, or a line per time entry."""

    ROLE = "role", "By project and role"
    ITEMISED = "itemised", "Itemised (an entry a line)"


class LineKind(models.TextChoices):
    TIME = "time", "Time"
    EXPENSE = "expense", "Expense"
    MILESTONE = "milestone", "Billing milestone"
    RETAINER_FEE = "retainer_fee", "Retainer fee"
    OVERAGE = "overage", "Retainer overage"
    OTHER = "other", "Other"


class RetainerPart(models.TextChoices):
    FEE = "fee", "Fee"
    OVERAGE = "overage", "Overage"


def invoice_pdf_path(invoice: Invoice, filename: str) -> str:
    """Where an issued invoice's PDF is stored: ``invoices/<year>/<file name>`` (the year of its number)."""
    return f"invoices/{invoice.year or 'draft'}/{filename}"


def _issued_refusal(number: str | None) -> Refused:
    return Refused(f"{number or 'This invoice'} is issued: it is never edited. Credit it and draft a new one instead.")


class Invoice(models.Model):
    """An invoice or a credit note (``kind``) to ``client`` in ``currency``.

    A draft has no number; issuing gives it ``number`` (``sequence`` of its
    kind in ``year``), ``issue_date`` and ``due_date`` (issue date plus
    ``payment_terms_days``), and copies of the buyer's and the seller's
    details as they stood that day. ``period_start``/``period_end``: the work
    billed; ``rates_on``: the date whose exchange rates converted lines in
    another currency; ``left_out``: what the draft found but could not bill,
    in words (hours without a bill rate, overage without a rate).

    A credit note reverses ``credited_invoice`` in full (one at most per
    invoice) and gives ``reason``; the invoice becomes void.

    ``pdf``: the issued document as first sent, in the default storage under
    ``invoices/<year>/`` (empty until then). It is written once, by a
    conditional UPDATE from empty (``projects.billing.invoice_delivery``),
    never through ``save()``.

    ``save()`` and ``delete()`` refuse (``apm.errors.Refused``) any change of
    a row that is no longer a draft except the moves of :data:`NEXT_STATES`
    writing only :data:`SETTLING_FIELDS`.
    """

    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    state = models.CharField(max_length=8, choices=InvoiceState.choices, default=InvoiceState.DRAFT)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="invoices")
    currency = models.CharField(max_length=3)
    grouping = models.CharField(max_length=10, choices=Grouping.choices, default=Grouping.ROLE)
    period_start = models.DateField()
    period_end = models.DateField()
    rates_on = models.DateField("exchange rates of")
    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    buyer_name = models.CharField(max_length=200, blank=True)
    buyer_address = models.TextField(blank=True)
    buyer_tax_id = models.CharField(max_length=40, blank=True)
    seller_name = models.CharField(max_length=200, blank=True)
    seller_address = models.TextField(blank=True)
    seller_tax_id = models.CharField(max_length=40, blank=True)
    seller_bank_details = models.TextField(blank=True)
    net_total = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0.00"))
    tax_total = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0.00"))
    gross_total = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0.00"))
    left_out = models.JSONField(default=list, blank=True)
    credited_invoice = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note"
    )
    reason = models.TextField(blank=True)
    pdf = models.FileField(upload_to=invoice_pdf_path, max_length=200, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    paid_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["client", "state"])]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "year", "sequence"], condition=Q(sequence__isnull=False), name="invoice_number_once"
            ),
            models.CheckConstraint(
                condition=Q(state=InvoiceState.DRAFT, number__isnull=True, sequence__isnull=True)
                | (
                    ~Q(state=InvoiceState.DRAFT)
                    & Q(number__isnull=False, sequence__isnull=False, year__isnull=False, issue_date__isnull=False)
                ),
                name="invoice_numbered_when_issued",
            ),
            models.CheckConstraint(
                condition=~Q(state=InvoiceState.PAID) | Q(paid_on__isnull=False), name="invoice_paid_on_a_date"
            ),
            models.CheckConstraint(
                condition=Q(kind=InvoiceKind.INVOICE, credited_invoice__isnull=True)
                | Q(kind=InvoiceKind.CREDIT_NOTE, credited_invoice__isnull=False),
                name="credit_note_credits_an_invoice",
            ),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="invoice_period_in_order"),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft {self.get_kind_display().lower()} {self.pk or ''} for {self.client}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, unless the stored row is issued and this is not one of its allowed moves (``Refused``)."""
        stored = self._stored_state()
        if stored is not None and stored != InvoiceState.DRAFT:
            fields = kwargs.get("update_fields")
            allowed = fields is not None and set(fields) <= SETTLING_FIELDS
            if not allowed or self.state not in NEXT_STATES[stored]:
                raise _issued_refusal(self.number)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Delete a draft (its lines and items go with it); an issued row is ``Refused``."""
        stored = self._stored_state()
        if stored is not None and stored != InvoiceState.DRAFT:
            raise _issued_refusal(self.number)
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.state == InvoiceState.DRAFT

    def _stored_state(self) -> str | None:
        if self._state.adding or self.pk is None:
            return None
        return Invoice.objects.filter(pk=self.pk).values_list("state", flat=True).first()


class InvoiceLine(models.Model):
    """A line of an invoice: ``quantity`` (hours, items, months; negative on a credit note) at ``unit_price``,
    ``net`` = quantity x unit price, ``tax`` = net x ``tax_rate`` / 100, in ``currency`` (the invoice's).

    Converted from a project billing in another currency: ``source_unit_price`` in ``source_currency`` times
    ``exchange_rate`` (units of the invoice's currency per unit of the source's, as of ``rate_date``) is
    ``unit_price``. ``save()`` and ``delete()`` refuse (``Refused``) once the invoice is issued.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=LineKind.choices, default=LineKind.OTHER)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=12, decimal_places=2)
    unit = models.CharField(max_length=20, blank=True, help_text="What the quantity counts: hours, items, months.")
    unit_price = models.DecimalField(max_digits=18, decimal_places=2)
    net = models.DecimalField(max_digits=18, decimal_places=2)
    tax_rate = models.DecimalField(
        "tax rate (%)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    tax = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    source_currency = models.CharField(max_length=3, blank=True)
    source_unit_price = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    rate_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["invoice", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100), name="invoice_line_tax_rate_in_range"
            ),
            models.CheckConstraint(
                condition=Q(exchange_rate__isnull=True, source_currency="", rate_date__isnull=True)
                | Q(exchange_rate__gt=0, source_unit_price__isnull=False, rate_date__isnull=False)
                & ~Q(source_currency=""),
                name="invoice_line_conversion_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.net} {self.currency}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_unless_draft()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse_unless_draft()
        return super().delete(*args, **kwargs)

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax

    @property
    def converted(self) -> bool:
        return self.exchange_rate is not None

    def _refuse_unless_draft(self) -> None:
        state, number = Invoice.objects.filter(pk=self.invoice_id).values_list("state", "number").first() or (
            InvoiceState.DRAFT,
            None,
        )
        if state != InvoiceState.DRAFT:
            raise _issued_refusal(number)


class InvoiceItem(models.Model):
    """One thing a line bills: a time entry, an expense, a billing milestone, or a retainer month's fee or
    overage (``retainer_project``, ``retainer_month`` its first day, ``retainer_part``).

    ``quantity`` and ``amount`` are what it was drafted at (hours and stored bill amount, an expense's amount, a
    milestone's amount), so issuing can refuse a draft whose work changed since. ``claimed``: its invoice is
    issued or paid; each time entry, expense, milestone and retainer month has one claimed item at most
    (partial unique constraints), so it is never on two issued invoices.
    """

    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="items")
    time_entry = models.ForeignKey(
        TimeEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_items"
    )
    expense = models.ForeignKey(Expense, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_items")
    milestone = models.ForeignKey(
        BillingMilestone, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_items"
    )
    retainer_project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="invoiced_retainer_items"
    )
    retainer_month = models.DateField(null=True, blank=True)
    retainer_part = models.CharField(max_length=8, choices=RetainerPart.choices, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    claimed = models.BooleanField(default=False)

    class Meta:
        ordering = ["line", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(time_entry__isnull=False, expense__isnull=True, milestone__isnull=True)
                & Q(retainer_project__isnull=True, retainer_month__isnull=True, retainer_part="")
                | Q(time_entry__isnull=True, expense__isnull=False, milestone__isnull=True)
                & Q(retainer_project__isnull=True, retainer_month__isnull=True, retainer_part="")
                | Q(time_entry__isnull=True, expense__isnull=True, milestone__isnull=False)
                & Q(retainer_project__isnull=True, retainer_month__isnull=True, retainer_part="")
                | Q(time_entry__isnull=True, expense__isnull=True, milestone__isnull=True)
                & Q(retainer_project__isnull=False, retainer_month__isnull=False)
                & ~Q(retainer_part=""),
                name="invoice_item_bills_one_thing",
            ),
            models.UniqueConstraint(fields=["time_entry"], condition=Q(claimed=True), name="time_entry_invoiced_once"),
            models.UniqueConstraint(fields=["expense"], condition=Q(claimed=True), name="expense_invoiced_once"),
            models.UniqueConstraint(fields=["milestone"], condition=Q(claimed=True), name="milestone_invoiced_once"),
            models.UniqueConstraint(
                fields=["retainer_project", "retainer_month", "retainer_part"],
                condition=Q(claimed=True),
                name="retainer_month_invoiced_once",
            ),
        ]

    def __str__(self) -> str:
        what = (
            f"time entry {self.time_entry_id}"
            if self.time_entry_id
            else f"expense {self.expense_id}"
            if self.expense_id
            else f"milestone {self.milestone_id}"
            if self.milestone_id
            else f"retainer {self.retainer_part} {self.retainer_month}"
        )
        return f"{what}{' (claimed)' if self.claimed else ''}"


class InvoiceSequence(models.Model):
    """The numbers issued so far of one ``kind`` in one ``year``: ``last_number`` (0: none yet), and the issue
    date of the last (numbers follow issue dates). Its row is locked by the issuing transaction, so numbers are
    consecutive, and a failed issue, which rolls back, takes none."""

    kind = models.CharField(max_length=12, choices=InvoiceKind.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)
    last_issued_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "kind"]
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="one_invoice_sequence_a_year")]

    def __str__(self) -> str:
        return f"{NUMBER_PREFIXES[InvoiceKind(self.kind)]}-{self.year}: {self.last_number} issued"


class InvoiceDelivery(models.Model):
    """One sending of an issued invoice or credit note to one billing contact: ``address`` and ``name`` as they
    were, ``email`` its outbox message (queued, sent or failed there), ``sent_by`` who sent it. An invoice may be
    sent again: each sending is a row of its own."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="deliveries")
    email = models.OneToOneField(
        OutboundEmail, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoice_delivery"
    )
    address = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "invoice deliveries"

    def __str__(self) -> str:
        return f"{self.invoice} -> {self.address}"
