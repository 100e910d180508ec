"""Time logged before APM approved time: approved as it stood, and billed at the person's own bill rate.

Until approval existed every entry counted as it was logged; left "not submitted", a project switched to
approved-time-only actual cost would have lost all its past cost, and that time would never earn revenue.
Entries written before the money loop's migration was applied are marked approved, with a comment saying
why and by nobody, and a billable one without a bill rate takes the person's own bill rate valid on its date
in its currency (what costing gave it since; rate cards did not exist then), with its amount (hours x rate,
half-up). Entries logged since are left as they are. Nothing to do on a new database.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder

CENT = Decimal("0.01")
BATCH = 2000


def approve_and_price(apps, schema_editor):
    TimeEntry = apps.get_model("projects", "TimeEntry")
    MemberRate = apps.get_model("teams", "MemberRate")
    recorded = (
        MigrationRecorder.Migration.objects.using(schema_editor.connection.alias)
        .filter(app="projects", name="0007_money_loop")
        .first()
    )
    legacy = TimeEntry.objects.filter(approval="open", submitted_at=None, decided_at=None)
    if recorded is not None:
        legacy = legacy.filter(created_at__lt=recorded.applied)
    unpriced = legacy.filter(billable=True, bill_rate=None)
    # Person by person, each one's entries read whole before any is written (no cursor left open on rows changing).
    for member_id in sorted(set(unpriced.values_list("member_id", flat=True))):
        rates = list(MemberRate.objects.filter(member_id=member_id).order_by("-valid_from"))
        changed = []
        for entry in unpriced.filter(member_id=member_id):
            rate = next(
                (r for r in rates if r.valid_from <= entry.date and (r.valid_to is None or r.valid_to >= entry.date)),
                None,
            )
            if rate is None or rate.currency != entry.currency or not rate.bill_rate or rate.bill_rate <= 0:
                continue
            entry.bill_rate = rate.bill_rate
            entry.bill_rate_source = "person"
            entry.bill_amount = (entry.hours * rate.bill_rate).quantize(CENT, rounding=ROUND_HALF_UP)
            changed.append(entry)
        TimeEntry.objects.bulk_update(changed, ["bill_rate", "bill_rate_source", "bill_amount"], batch_size=BATCH)
    # Last: the filter above reads "not submitted".
    legacy.update(approval="approved", decision_comment="Logged before time was approved in APM.")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0008_time_entry_bill_amount"),
        ("teams", "0001_initial"),
    ]

    operations = [migrations.RunPython(approve_and_price, migrations.RunPython.noop, elidable=True)]
