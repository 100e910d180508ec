from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "apm.outbox"
    label = "outbox"
    verbose_name = "Email outbox"
