"""A person's traces in every app, made in one place for the export and account-deletion tests.

`leave_traces(user, papers, mark)` gives the user a row of every kind the instance keeps about a person:
votes, a submission, comments (one deleted by its author), a report, a digest subscription with a saved
search and a delivered digest, an API token, a library (reading list, a collection, read marks, an
interest from words with seeds, ratings) and a private feed key. Every text they write contains `mark`, so
that a test can look for it in an export or anywhere in the database.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from papertide.accounts.models import ApiToken
from papertide.community import services
from papertide.community.models import Comment, DailyEntry, Report
from papertide.digests.models import Delivered, Digest, SavedSearch, Subscription
from papertide.library import private_feeds
from papertide.library.models import Collection, Interest, Rating, ReadMark


@dataclass
class Traces:
    comment: Comment
    deleted_comment: Comment
    token: str
    feed_key: str


def leave_traces(user, papers, mark: str, reply_to: Comment | None = None) -> Traces:
    """Rows of every kind for `user` on the real `papers` (at least 5). With `reply_to`, the user's first
    comment replies to it and they report it."""
    first, second, third, fourth, fifth = papers[:5]
    services.set_vote(user, first, up=True)
    services.set_vote(user, second, up=True)
    # On a day of its own: a paper is on the daily list once a day, and another person may have put it there.
    earlier = DailyEntry.objects.filter(paper=third).count()
    DailyEntry.objects.create(
        paper=third, day=timezone.localdate() - timedelta(days=earlier), submitted_by=user
    )
    comment = services.add_comment(
        user, first, f"{mark}: a comment", parent_id=reply_to.pk if reply_to is not None else None
    )
    deleted = services.add_comment(user, second, f"{mark}: regretted at once")
    deleted.delete_by_author()
    if reply_to is not None:
        Report.objects.create(comment=reply_to, user=user, reason=f"{mark}: off topic")

    subscription = Subscription.objects.subscribe_account(user)
    SavedSearch.objects.create(subscription=subscription, query=f"{mark} graph networks")
    today = timezone.localdate()
    digest = Digest.objects.create(
        subscription=subscription,
        due_on=today,
        period_start=today,
        period_end=today,
        due_at=timezone.now(),
        state=Digest.SENT,
        sent_at=timezone.now(),
        papers=1,
    )
    Delivered.objects.create(subscription=subscription, paper=fourth, digest=digest)

    _, token = ApiToken.issue(user, f"{mark} script")

    Collection.reading_list(user).papers.add(first)
    ideas = Collection.create(user, f"{mark} ideas", description=f"{mark}: to read")
    ideas.papers.add(second, third)
    ReadMark.objects.create(user=user, paper=first)
    interest = Interest.objects.create(
        owner=user, name=f"{mark} words", query=f"{mark} transformers", seeds=[fourth.pk, fifth.pk]
    )
    Rating.objects.create(user=user, interest=interest, paper=fifth, value=Rating.MORE)
    key = private_feeds.feed_key(user)
    return Traces(comment, deleted, token, key)
