"""The library's URLs, one list per module: collections and saving, interests and for-you, export and
import, the private feeds."""

from . import collection_views, interest_views, private_feeds, transfer_views

urlpatterns = [
    *collection_views.urlpatterns,
    *interest_views.urlpatterns,
    *transfer_views.urlpatterns,
    *private_feeds.urlpatterns,
]
