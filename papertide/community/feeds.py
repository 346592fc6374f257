"""Atom feeds: the daily list, trending, and each person's submissions."""

from datetime import UTC, datetime, time, timedelta

from django.contrib.auth.models import User
from django.contrib.syndication.views import Feed
from django.db.models import Max
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from .models import DailyEntry
from .trending import trending

ITEMS = 50


class EntryFeed(Feed):
    feed_type = Atom1Feed

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
        latest = DailyEntry.objects.aggregate(day=Max("day"))["day"]
        if latest is None:
            return []
        # The last week of the list, newest day first.
        return list(
            DailyEntry.objects.filter(day__gt=latest - timedelta(days=7), day__lte=latest)
            .select_related("paper")
            .order_by("-day", "-imported_upvotes", "paper__arxiv_id")[:ITEMS]
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
        return person.submissions.select_related("paper").order_by("-day", "-id")[:ITEMS]
