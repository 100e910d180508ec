from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apm.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
