from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Project-wide commands (serve, worker, backup, restore, ingest): the top floor, using every app."""

    name = "papertide.ops"
    verbose_name = "Operations"
