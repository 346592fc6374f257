from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "papertide.library"
    verbose_name = "Library"

    def ready(self):
        from papertide.accounts import privacy as accounts_privacy

        from . import privacy

        # The reader's collections, read marks, interests and ratings, for their export.
        accounts_privacy.register("library", privacy.export)
