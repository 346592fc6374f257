from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "papertide.search"
    verbose_name = "Search"
