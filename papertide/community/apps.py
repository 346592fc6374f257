from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "papertide.community"
    verbose_name = "Community"
