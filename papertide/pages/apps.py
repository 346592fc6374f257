from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The site's pages that show papers with what several apps know of them: the paper list and page
    (catalog, search's similar papers, community's votes and comments) and the search page."""

    name = "papertide.pages"
    verbose_name = "Pages"
