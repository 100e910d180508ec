from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "apm.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from apm.api import signals  # noqa: F401  (deactivating a person revokes their tokens)
