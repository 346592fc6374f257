"""Counts over time (a repository's stars, a paper's Hugging Face upvotes): what one gained in a window.

A series holds a sample only when the count changed, so a count holds until the next sample, and a gap
(days the sync did not run, or nothing moved) means no change was seen. One rule for every series, so
that trending weighs stars and upvotes alike:

    gain = the count at the window's end - the count at its start

where the count at a time is the last sample at or before it; a series that starts inside the window
starts from its first sample (nothing is credited before a count was first read: a single sample gains
nothing). A count that fell gives a negative gain; whoever adds it to a score decides what that means.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import OuterRef, QuerySet, Subquery


def gain(at_start: int | None, first_inside: int | None, at_end: int | None) -> int:
    """The gain over a window from the count at its start (None: no sample before it), the first sample
    inside it and the count at its end (None: no sample at all up to the end)."""
    if at_end is None:
        return 0
    start = at_start if at_start is not None else first_inside
    return at_end - (start if start is not None else at_end)


def series_gain(samples: Iterable[tuple[datetime, int]], now: datetime, days: float) -> int:
    """The gain over the `days` days up to `now` of (time, count) samples in any order."""
    start = now - timedelta(days=days)
    at_start = first_inside = at_end = None
    for at, count in sorted(samples):
        if at > now:
            break
        if at <= start:
            at_start = count
        elif first_inside is None:
            first_inside = count
        at_end = count
    return gain(at_start, first_inside, at_end)


def window_gains(
    owners: QuerySet, samples: QuerySet, owner_field: str, count_field: str, now: datetime, days: float
) -> dict[int, int]:
    """The gain over the `days` days up to `now` of each of `owners` (by primary key), whose series are
    the `samples` rows pointing to it by `owner_field`, timed by `at`: one query, three index look-ups an
    owner."""
    start = now - timedelta(days=days)
    mine = samples.filter(**{owner_field: OuterRef("pk")})

    def count(where: dict, order: str) -> Subquery:
        return Subquery(mine.filter(**where).order_by(order).values(count_field)[:1])

    rows = owners.annotate(
        at_start=count({"at__lte": start}, "-at"),
        first_inside=count({"at__gt": start, "at__lte": now}, "at"),
        at_end=count({"at__lte": now}, "-at"),
    ).values_list("pk", "at_start", "first_inside", "at_end")
    return {pk: gain(s, f, e) for pk, s, f, e in rows}
