from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apm.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from apm.accounts import signals  # noqa: F401  (connects the audit receivers)
