from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "papertide.accounts"
    verbose_name = "Accounts"
