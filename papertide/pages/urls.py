from django.urls import path, re_path

from papertide.catalog.ids import URL_ID

from . import papers, search

urlpatterns = [
    path("search/", search.search_page, name="search"),
    re_path(rf"^papers/{URL_ID}\.md$", papers.paper_markdown, name="paper-markdown"),
    re_path(rf"^papers/{URL_ID}\.(?P<fmt>bib|ris)$", papers.paper_citation, name="paper-citation"),
    path("", papers.paper_list, name="papers"),
    re_path(rf"^papers/{URL_ID}/$", papers.paper_detail, name="paper"),
]
