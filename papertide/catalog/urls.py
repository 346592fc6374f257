from django.urls import path, re_path

from . import views

urlpatterns = [
    path("", views.paper_list, name="papers"),
    # Old-style ids contain a slash (hep-th/9901001).
    re_path(
        r"^papers/(?P<arxiv_id>[a-z\-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?/$",
        views.paper_detail,
        name="paper",
    ),
]
