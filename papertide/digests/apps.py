from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "papertide.digests"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from papertide.accounts import privacy as accounts_privacy

        from . import privacy

        # The person's digest subscriptions, saved searches and deliveries, for their export and deletion.
        accounts_privacy.register("digests", privacy.export, privacy.forget)
