"""Atom feeds: the daily list, trending, and each person's submissions.

Each item carries its paper's upvotes (Paper.objects.with_votes(), the count every page shows) in
``<papertide:upvotes>``, and its two parts, the votes cast here and those imported from Hugging Face, in
``<papertide:local_votes>`` and ``<papertide:imported_votes>``.
"""

from datetime import UTC, datetime, time, timedelta

from django.contrib.auth.models import User
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from .models import DailyEntry
from .trending import trending

ITEMS = 50
NAMESPACE = "urn:x-papertide:feeds"  # names our elements; nothing to fetch


class UpvotesAtom(Atom1Feed):
    """Atom with three elements of our own per entry: <papertide:upvotes>, <papertide:local_votes> and
    <papertide:imported_votes> (elements, not attributes: feed readers keep an element's text)."""

    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:papertide": NAMESPACE}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name in ("upvotes", "local_votes", "imported_votes"):
            handler.addQuickElement(f"papertide:{name}", str(item[name]))


class EntryFeed(Feed):
    """Items are daily entries with their votes (DailyEntry.objects.with_votes(), or trending's rows)."""

    feed_type = UpvotesAtom

    def item_extra_kwargs(self, entry):
        return {
            "upvotes": entry.upvotes,
            "local_votes": entry.local_votes,
            "imported_votes": entry.imported_votes,
        }

    def item_title(self, entry):
        return entry.paper.title_display

    def item_description(self, entry):
        return entry.paper.abstract_display

    def item_link(self, entry):
        return entry.paper.get_absolute_url()

    def item_guid(self, entry):
        return f"{entry.paper.arxiv_id}@{entry.day.isoformat()}"

    def item_pubdate(self, entry):
        return datetime.combine(entry.day, time.min, tzinfo=UTC)

    def item_author_name(self, entry):
        return ", ".join(entry.paper.authors_preview)


class DailyFeed(EntryFeed):
    title = "Daily papers"
    subtitle = "Papers submitted to the daily list, latest day first, most upvoted first."

    def link(self):
        return reverse("daily")

    def items(self):
        latest = DailyEntry.objects.latest_day()
        if latest is None:
            return []
        # The last week of the list, newest day first, each day in the daily page's order.
        return list(
            DailyEntry.objects.between(latest - timedelta(days=6), latest)
            .ranked(newest_day_first=True)
            .select_related("paper")[:ITEMS]
        )


class TrendingFeed(EntryFeed):
    title = "Trending papers"
    subtitle = "The daily list ranked by upvotes decayed by age, with a bonus for code."

    def link(self):
        return reverse("trending")

    def items(self):
        return [trend.entry for trend in trending(limit=ITEMS)]


class SubmissionsFeed(EntryFeed):
    def get_object(self, request, username):
        return get_object_or_404(User, username=username, is_active=True)

    def title(self, person):
        return f"Papers submitted by {person.username}"

    def link(self, person):
        return reverse("profile", args=[person.username])

    def items(self, person):
        return person.submissions.with_votes().select_related("paper").order_by("-day", "-id")[:ITEMS]
