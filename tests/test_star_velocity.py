"""Star velocity over months of real daily star counts (github-stars: the most-starred repositories,
scraped daily 2018-2026, with real gaps and day-over-day decreases).

The counts go into a repository's series the way the sync writes them (record_answer: a sample only when
the count changed); the gains read back from the database must equal gains computed directly from the CSV.
"""

import csv
import gzip
import math
from datetime import UTC, datetime, timedelta

import pytest

from papertide.catalog.github import (
    paper_star_gains,
    record_answer,
    star_gain,
    star_gains,
    star_velocity,
)
from papertide.catalog.models import CodeLink, Paper, Repository, StarCount
from papertide.catalog.series import gain
from papertide.catalog.sources.github import Quota, RepoAnswer
from tests.conftest import data_path

STARS = "github-stars/evanli-github-ranking_2018-12_to_2026-08/daily_top100_python_and_overall.csv.gz"
REPO = "https://github.com/tensorflow/models"  # the series with the most decreases
FROM, UNTIL = datetime(2023, 7, 1, tzinfo=UTC), datetime(2024, 7, 1, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def counts() -> dict[datetime, int]:
    """tensorflow/models' counts from July 2023 to June 2024, by scrape time. Where two rows of one scrape
    disagree (the file lists a repository under two rankings), the later row of the file is kept."""
    series: dict[datetime, int] = {}
    with gzip.open(data_path(STARS), "rt", newline="") as f:
        for row in csv.DictReader(f):
            if row["repo_url"] == REPO:
                at = datetime.fromisoformat(row["committed_at"].replace("Z", "+00:00"))
                if FROM <= at < UNTIL:
                    series[at] = int(row["stars"])
    return dict(sorted(series.items()))


def direct_gain(counts: dict[datetime, int], now: datetime, days: int) -> int:
    """The count at `now` less the count `days` earlier, each the last scrape at or before that time."""

    def at(moment: datetime) -> int:
        return [stars for when, stars in counts.items() if when <= moment][-1]

    return at(now) - at(now - timedelta(days=days))


def test_gains_over_a_year_of_real_counts_match_the_csv(counts):
    times = list(counts)
    assert len(counts) > 300
    decreases = sum(1 for a, b in zip(times, times[1:], strict=False) if counts[b] < counts[a])
    gaps = sum(1 for a, b in zip(times, times[1:], strict=False) if b - a > timedelta(days=2))
    assert decreases > 50 and gaps >= 2  # the rules for both are exercised

    repository = Repository.objects.create(name="tensorflow/models")
    for at, stars in counts.items():
        record_answer(repository, RepoAnswer(200, Quota(), full_name="tensorflow/models", stars=stars), at)
    samples = StarCount.objects.filter(repository=repository).count()
    assert samples == 1 + sum(1 for a, b in zip(times, times[1:], strict=False) if counts[b] != counts[a])

    evaluated = negative = 0
    day = datetime(2023, 8, 1, 23, 59, 59, tzinfo=UTC)
    while day < UNTIL:
        for days in (1, 7, 30):
            expected = direct_gain(counts, day, days)
            assert star_gains([repository.pk], day, days) == {repository.pk: expected}, (day, days)
            assert star_gain(counts.items(), day, days) == expected
            negative += expected < 0
            evaluated += 1
        day += timedelta(days=1)
    assert evaluated > 900 and negative > 0
    # A week that lost stars counts as no gain; the log scale follows the gain.
    assert star_velocity(repository, datetime(2024, 6, 30, tzinfo=UTC), 7) == math.log1p(
        max(direct_gain(counts, datetime(2024, 6, 30, tzinfo=UTC), 7), 0)
    )


def test_a_series_that_starts_inside_the_window_gains_from_its_first_count(counts):
    first, second = list(counts.items())[:2]
    now = first[0] + timedelta(days=3)
    assert star_gain([first], now, 7) == 0  # one count: no rate guessed from it
    assert star_velocity([first], now, 7) == 0.0
    assert star_gain([first, second], now, 7) == second[1] - first[1]
    assert star_gain([first, second], first[0] - timedelta(days=1), 7) == 0  # nothing known yet


def test_the_gain_rule():
    assert gain(None, None, None) == 0
    assert gain(100, 105, 110) == 10  # from the count at the window's start
    assert gain(None, 105, 110) == 5  # the series began inside the window
    assert gain(120, None, 120) == 0  # nothing in the window: the count held
    assert gain(120, 118, 115) == -5  # unstarred; the velocity counts it as 0


def test_a_paper_is_as_hot_as_its_hottest_repository(counts):
    paper = Paper.objects.create(arxiv_id="2307.00001", title="Two repositories")
    quiet = Repository.objects.create(name="a/quiet")
    busy = Repository.objects.create(name="tensorflow/models")
    for repository in (quiet, busy):
        CodeLink.objects.create(paper=paper, url=f"https://github.com/{repository.name}", kind="github")
    CodeLink.objects.filter(paper=paper).update(repository=busy)
    CodeLink.objects.filter(paper=paper, url__endswith="quiet").update(repository=quiet)
    items = list(counts.items())[:40]
    for at, stars in items:
        record_answer(busy, RepoAnswer(200, Quota(), full_name="tensorflow/models", stars=stars), at)
    record_answer(quiet, RepoAnswer(200, Quota(), full_name="a/quiet", stars=3), items[0][0])
    now = items[-1][0]
    assert paper_star_gains([paper.pk], now, 30) == {paper.pk: direct_gain(dict(items), now, 30)}
