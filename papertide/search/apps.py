from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "papertide.search"
    verbose_name = "Search"

    def ready(self):
        # The catalog imports no app above it: it calls this hook to keep the keyword index in step.
        from papertide.catalog.services import after_upsert

        from .index import keep_in_step

        after_upsert(keep_in_step)
