from django.urls import path, re_path

from . import views

ID = r"(?P<arxiv_id>[a-z\-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?"

urlpatterns = [
    re_path(rf"^papers/{ID}\.md$", views.paper_markdown, name="paper-markdown"),
    path("", views.paper_list, name="papers"),
    # Old-style ids contain a slash (hep-th/9901001).
    re_path(rf"^papers/{ID}/$", views.paper_detail, name="paper"),
]
