from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "papertide.catalog"
    verbose_name = "Paper catalog"
