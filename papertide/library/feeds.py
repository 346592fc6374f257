"""A public collection's Atom feed: its papers, newest-added first (/u/<username>/<slug>/feed/)."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from .models import Collection, Entry

ITEMS = 50


class CollectionFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, username, slug):
        # The same rule as the page: a private collection (or a suspended owner's) is not found.
        return get_object_or_404(
            Collection.objects.public().select_related("owner"), owner__username=username, slug=slug
        )

    def title(self, collection):
        return f"{collection.name}, a collection by {collection.owner.username}"

    def subtitle(self, collection):
        return collection.description or f"Papers {collection.owner.username} collected."

    def link(self, collection):
        return reverse("public-collection", args=[collection.owner.username, collection.slug])

    def author_name(self, collection):
        return collection.owner.username

    def items(self, collection):
        return Entry.objects.filter(collection=collection).select_related("paper")[:ITEMS]

    def item_title(self, entry):
        return entry.paper.title_display

    def item_description(self, entry):
        return entry.paper.abstract_display

    def item_link(self, entry):
        return entry.paper.get_absolute_url()

    def item_guid(self, entry):
        # One entry per paper and collection; a paper taken out and saved again comes back as new.
        return f"{entry.paper.arxiv_id}@{entry.added_at.isoformat()}"

    def item_author_name(self, entry):
        return ", ".join(entry.paper.authors_preview) + (", et al." if len(entry.paper.authors) > 6 else "")

    def item_pubdate(self, entry):
        return entry.added_at

    def item_updateddate(self, entry):
        return entry.added_at

    def item_categories(self, entry):
        return entry.paper.categories
