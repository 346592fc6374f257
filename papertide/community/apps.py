from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "papertide.community"
    verbose_name = "Community"

    def ready(self):
        # The catalog imports no app above it: it calls this hook with each batch it stored, and the
        # daily-list places those records carry (Hugging Face's list) become entries here.
        from papertide.catalog.services import after_upsert

        from .daily_import import write_daily_listings

        after_upsert(write_daily_listings)
