from django.apps import AppConfig


class ApmConfig(AppConfig):
    """The project package as an app: shared template filters (``apm_format``)."""

    name = "apm"
    verbose_name = "APM"

    def ready(self) -> None:
        from apm import lookups

        lookups.register()
