import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0003_imports"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="allocation",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="allocation",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="allocation",
            name="status",
            field=models.CharField(
                choices=[("tentative", "Tentative"), ("confirmed", "Confirmed"), ("cancelled", "Cancelled")],
                default="confirmed",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="allocation",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "cancelled"), ("cancelled_at__isnull", True), _connector="OR"),
                name="allocation_cancelled_at_only_when_cancelled",
            ),
        ),
    ]
