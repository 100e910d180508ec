from django.apps import AppConfig


class OutboundConfig(AppConfig):
    name = "apm.outbound"
    label = "outbound"
    verbose_name = "Outbound HTTP delivery"
