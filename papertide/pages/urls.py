from django.urls import path, re_path

from papertide.catalog.ids import URL_ID

from . import atlas, papers, search

urlpatterns = [
    path("search/", search.search_page, name="search"),
    path("map/", atlas.map_page, name="map"),
    path("map/points.bin", atlas.points_bin, name="map-points"),
    path("map/titles/", atlas.titles, name="map-titles"),
    path("map/papers/<int:pk>/", atlas.open_paper, name="map-paper"),
    re_path(rf"^papers/{URL_ID}\.md$", papers.paper_markdown, name="paper-markdown"),
    re_path(rf"^papers/{URL_ID}\.(?P<fmt>bib|ris)$", papers.paper_citation, name="paper-citation"),
    path("", papers.paper_list, name="papers"),
    re_path(rf"^papers/{URL_ID}/$", papers.paper_detail, name="paper"),
]
