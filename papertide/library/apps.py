from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "papertide.library"
    verbose_name = "Library"
