from django.apps import AppConfig


class HealthConfig(AppConfig):
    """``/health/``: database, broker and beat checks for load balancers and monitoring."""

    name = "apm.health"
    label = "health"
    verbose_name = "Health"

    def ready(self) -> None:
        from apm.health import system_checks  # noqa: F401  (registers the checks)
