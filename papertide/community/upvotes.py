"""Hugging Face upvotes over time: how many a paper gained lately, read from its UpvoteCount series."""

from collections.abc import Iterable
from datetime import datetime

from papertide.catalog.models import Paper
from papertide.catalog.series import series_gain, window_gains

from .models import UpvoteCount


def upvote_velocity(
    paper_or_series: Paper | Iterable[UpvoteCount] | Iterable[tuple[datetime, int]],
    now: datetime,
    days: float,
) -> float:
    """The Hugging Face upvotes a paper gained in the `days` days up to `now`.

    The series is read as a step function: a count holds from the time it was read until the next
    sample (a sample is stored only when the count changed, so a gap between samples means no change was
    seen). The gain is the count at `now` minus the count at `now - days`. Before its first sample a
    paper's count is unknown and taken as that first count: no growth is credited before it was first
    read. So a single sample, or none, gives 0, and so does a window that ends before the first sample;
    samples after `now` are not looked at. A count that fell (upvotes withdrawn) gives a negative gain.

    `paper_or_series` is a Paper (its `upvote_counts`, prefetched or not), UpvoteCount rows, or
    (at, upvotes) pairs, in any order.
    """
    if isinstance(paper_or_series, Paper):
        paper_or_series = paper_or_series.upvote_counts.all()
    samples = ((s.at, s.upvotes) if isinstance(s, UpvoteCount) else (s[0], s[1]) for s in paper_or_series)
    return float(series_gain(samples, now, days))


def upvote_gains(paper_ids: Iterable[int], now: datetime, days: float) -> dict[int, int]:
    """The Hugging Face upvotes each paper gained in the `days` days up to `now`, as upvote_velocity
    counts them, for many papers in one query (trending)."""
    papers = Paper.objects.filter(pk__in=list(paper_ids))
    return window_gains(papers, UpvoteCount.objects.all(), "paper", "upvotes", now, days)
