from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "papertide.community"
    verbose_name = "Community"

    def ready(self):
        # The catalog imports no app above it: it calls this hook with each batch it stored, and the
        # daily-list places those records carry (Hugging Face's list) become entries here.
        from papertide.accounts import privacy as accounts_privacy
        from papertide.catalog.services import after_upsert

        from . import privacy
        from .daily_import import write_daily_listings

        after_upsert(write_daily_listings)
        # A person's votes, submissions, comments and reports, for their export and account deletion.
        accounts_privacy.register("community", privacy.export, privacy.forget)
