from django.contrib import admin
from django.urls import include, path

from papertide.api.urls import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("papertide.accounts.urls")),
    path("", include("papertide.community.urls")),
    path("", include("papertide.digests.urls")),
    path("", include("papertide.library.urls")),
    path("", include("papertide.pages.urls")),
    path("", include("papertide.ops.urls")),
]
