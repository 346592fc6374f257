"""community.upvotes.upvote_velocity: upvotes gained lately, read from the series the real captures of
2025-01-08 leave (9 captures over 13 hours), checked against the captures themselves."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Prefetch

from papertide.catalog.models import Paper
from papertide.community.models import UpvoteCount
from papertide.community.upvotes import upvote_velocity
from tests.hf_captures import captures, committed_at, write_captures

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(tmp_path):
    """The captures of 2025-01-08 imported from a captures file; returned oldest first."""
    day = captures("2025-01-08")
    path = tmp_path / "captures.jsonl.gz"
    write_captures(path, day)
    call_command("ingest", "hf-daily", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    return day


def count_read(day: list[dict], arxiv_id: str, at) -> int | None:
    """What the captures say the paper's count was at a time: the last capture at or before it."""
    count = None
    for capture in day:
        if committed_at(capture) > at:
            break
        for entry in capture["response"]:
            if entry["paper"]["id"] == arxiv_id:
                count = entry["paper"]["upvotes"]
    return count


def first_read(day: list[dict], arxiv_id: str) -> int:
    return next(e["paper"]["upvotes"] for c in day for e in c["response"] if e["paper"]["id"] == arxiv_id)


def test_velocity_is_the_growth_between_the_captures_in_the_window(day):
    first, last = committed_at(day[0]), committed_at(day[-1])
    papers = Paper.objects.prefetch_related(Prefetch("upvote_counts", queryset=UpvoteCount.objects.all()))
    grew = 0
    for paper in papers:
        for now in (committed_at(c) for c in day):
            for hours in (1, 3, 6, 24):
                start = now - timedelta(hours=hours)
                at_now = count_read(day, paper.arxiv_id, now)
                # Before its first reading a paper's count is taken as that first count.
                at_start = count_read(day, paper.arxiv_id, start)
                if at_start is None:
                    at_start = first_read(day, paper.arxiv_id)
                expected = 0 if at_now is None else at_now - at_start
                assert upvote_velocity(paper, now, hours / 24) == expected, (paper.arxiv_id, now, hours)
        whole_day = upvote_velocity(paper, last, 1)
        assert whole_day >= 0
        grew += whole_day > 0
    assert grew > 0  # the day's upvotes grew (sum 158 to 237): some papers gained
    assert last - first < timedelta(days=1)


def test_pairs_and_rows_give_the_same_as_the_paper(day):
    last = committed_at(day[-1])
    for paper in Paper.objects.all():
        rows = list(paper.upvote_counts.all())
        pairs = [(row.at, row.upvotes) for row in reversed(rows)]  # any order
        assert (
            upvote_velocity(rows, last, 1)
            == upvote_velocity(pairs, last, 1)
            == upvote_velocity(paper, last, 1)
        )


def test_one_sample_or_none_gains_nothing(day):
    first = committed_at(day[0])
    paper = Paper.objects.get(arxiv_id=day[0]["response"][0]["paper"]["id"])
    assert upvote_velocity(paper, first, 1) == 0.0  # only the first sample is at or before `now`
    assert upvote_velocity(paper, first - timedelta(hours=1), 1) == 0.0  # before any sample
    assert upvote_velocity([], first, 1) == 0.0


def test_samples_after_now_are_not_looked_at(day):
    middle = committed_at(day[4])
    for paper in Paper.objects.all():
        series = [(row.at, row.upvotes) for row in paper.upvote_counts.all()]
        earlier = [(at, upvotes) for at, upvotes in series if at <= middle]
        assert upvote_velocity(series, middle, 1) == upvote_velocity(earlier, middle, 1)
