from django.contrib import admin
from django.urls import include, path, re_path

from papertide.api.errors import not_found
from papertide.api.urls import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    re_path(r"^api/", not_found),  # any other URL there: a 404 in the API's one error shape
    path("", include("papertide.accounts.urls")),
    path("", include("papertide.community.urls")),
    path("", include("papertide.digests.urls")),
    path("", include("papertide.library.urls")),
    path("", include("papertide.pages.urls")),
    path("", include("papertide.ops.urls")),
]
