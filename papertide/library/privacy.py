"""The library's part of a person's data (accounts.privacy): collections with their papers, read marks,
interests with their seeds and ratings, and whether a private feed key exists (never the key itself: with
the site's secret it opens the reader's private feeds). All of it is the person's alone and goes with the
account (on_delete=CASCADE), so there is nothing to forget beforehand."""

from papertide.accounts.privacy import iso
from papertide.catalog.models import Paper

from .models import Collection, FeedKey, Interest, Rating, ReadMark


def export(user) -> dict:
    collections = Collection.objects.filter(owner=user).prefetch_related("entries__paper").order_by("id")
    interests = list(Interest.objects.filter(owner=user).select_related("collection").order_by("id"))
    seeds = {pk for interest in interests for pk in interest.seeds or []}
    arxiv_ids = dict(Paper.objects.filter(pk__in=seeds).values_list("pk", "arxiv_id"))
    ratings = (
        Rating.objects.filter(user=user).select_related("paper", "interest").order_by("created_at", "id")
    )
    marks = ReadMark.objects.filter(user=user).select_related("paper").order_by("read_at", "id")
    feed_key = FeedKey.objects.filter(user=user).first()
    return {
        "collections": [
            {
                "name": c.name,
                "slug": c.slug,
                "description": c.description,
                "reading_list": c.is_reading_list,
                "public": c.public,
                "created": iso(c.created_at),
                "papers": [
                    {"paper": e.paper.arxiv_id, "added_at": iso(e.added_at)}
                    for e in sorted(c.entries.all(), key=lambda e: (e.added_at, e.pk))
                ],
            }
            for c in collections
        ],
        "read_marks": [{"paper": m.paper.arxiv_id, "read_at": iso(m.read_at)} for m in marks],
        "interests": [
            {
                "name": i.name,
                "collection": i.collection.name if i.collection else None,
                "query": i.query,
                "seeds": [arxiv_ids[pk] for pk in i.seeds or [] if pk in arxiv_ids],
                "in_digest": i.in_digest,
                "threshold": i.threshold,
                "created": iso(i.created_at),
                "trained_at": iso(i.trained_at),
            }
            for i in interests
        ],
        "ratings": [
            {
                "paper": r.paper.arxiv_id,
                "interest": r.interest.name,
                "value": "more" if r.value == Rating.MORE else "less",
                "at": iso(r.created_at),
            }
            for r in ratings
        ],
        "feed_key": {
            "exists": feed_key is not None,
            "changed_at": iso(feed_key.changed_at if feed_key else None),
        },
    }
