"""Trending moves by itself, on real data: the Hugging Face captures replayed through the sync day by day
and capture by capture, and a real paper's repository gaining real stars (MinerU, 2025-09-29)."""

import csv
import gzip
import io
import math
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from papertide.catalog.github import link_repositories, record_answer
from papertide.catalog.models import Repository
from papertide.catalog.sources.github import Quota, RepoAnswer
from papertide.community.trending import ranking
from tests.conftest import data_path
from tests.hf_captures import (
    all_days,
    captures,
    committed_at,
    serve,
)

pytestmark = pytest.mark.django_db
STARS = "github-stars/evanli-github-ranking_2018-12_to_2026-08/daily_top100_python_and_overall.csv.gz"
ROW = re.compile(
    r'id="paper-([^"]+)".*?data-votes="(\d+)" data-gained="(\d+)" data-stars="(\d+)" data-code="([\d.]+)" '
    r'data-age="([\d.]+)" data-score="([\d.]+)"',
    re.S,
)


def sync(hub, capture: dict) -> None:
    """The capture read from the replayed API at the time it was taken, as the worker's sync reads it."""
    hub.routes.clear()
    serve(hub, capture["date"], capture)
    with time_machine.travel(committed_at(capture), tick=False):
        call_command(
            "ingest", "hf-api", "--date", capture["date"], stdout=io.StringIO(), stderr=io.StringIO()
        )


def order(now: datetime, limit: int = 10) -> list[str]:
    with time_machine.travel(now, tick=False):
        return [r.arxiv_id for r in ranking().ranked[:limit]]


def breakdown(client, now: datetime) -> list[tuple]:
    with time_machine.travel(now, tick=False):
        page = client.get("/trending/").content.decode()
    return [
        (i, int(v), int(g), int(st), float(c), float(a), float(s))
        for i, v, g, st, c, a, s in ROW.findall(page)
    ]


def test_a_month_of_real_days_through_the_sync_moves_the_trending_list_every_day(hub):
    month = sorted(
        (c for day, cs in all_days().items() if day.startswith("2025-01") for c in cs), key=committed_at
    )
    tops, days = [], []
    for capture in month:
        sync(hub, capture)
        if days and days[-1] == capture["date"]:
            tops[-1] = order(committed_at(capture))
        else:
            days.append(capture["date"])
            tops.append(order(committed_at(capture)))
    assert len(days) >= 20
    changed = sum(1 for a, b in zip(tops, tops[1:], strict=False) if a != b)
    assert changed == len(tops) - 1  # each new day's list changed the top ten


def test_within_2025_01_08_the_order_follows_the_upvote_growth_between_captures(hub, client, settings):
    settings.PAPERTIDE_TRENDING_DAYS = 3
    day = captures("2025-01-08")
    assert len(day) == 9
    shown = []
    for capture in day:
        sync(hub, capture)
        rows = breakdown(client, committed_at(capture) + timedelta(seconds=1))
        counts = {e["paper"]["id"]: e["paper"]["upvotes"] for e in capture["response"]}
        rows = [r for r in rows if r[0] in counts]
        for arxiv_id, votes, gained, _stars, code, age, score in rows:
            assert votes == counts[arxiv_id]
            g = settings.PAPERTIDE_TRENDING_GRAVITY
            assert score == pytest.approx(
                (votes + gained + code) / (1 + age) ** g, rel=1e-4
            )  # the age is shown to 4 decimals
        assert [r[-1] for r in rows] == sorted((r[-1] for r in rows), reverse=True)
        shown.append(rows)
    first, last = shown[0], shown[-1]
    # The upvotes gained since the first capture are counted: each paper's gain is its growth that day.
    first_counts = {r[0]: r[1] for r in first}
    for arxiv_id, votes, gained, *_ in last:
        if arxiv_id in first_counts:
            assert gained == votes - first_counts[arxiv_id]
    # And the order moved with the growth: a paper that overtook another grew more since the first capture.
    position = {r[0]: i for i, r in enumerate(first)}
    later = [r[0] for r in last if r[0] in position]
    overtakes = [(a, b) for i, a in enumerate(later) for b in later[i + 1 :] if position[a] > position[b]]
    assert overtakes
    growth = {r[0]: r[1] - first_counts[r[0]] for r in last if r[0] in first_counts}
    assert all(growth[a] > growth[b] for a, b in overtakes)


def test_a_repository_gaining_stars_lifts_its_paper_by_the_published_term(hub, client, settings):
    [capture] = captures("2025-09-29")
    sync(hub, capture)
    link_repositories()
    mineru = Repository.objects.get(name="opendatalab/mineru")
    with gzip.open(data_path(STARS), "rt", newline="") as f:
        series = sorted(
            (datetime.fromisoformat(row["committed_at"].replace("Z", "+00:00")), int(row["stars"]))
            for row in csv.DictReader(f)
            if row["repo_url"] == "https://github.com/opendatalab/MinerU"
            and "2025-09-15" <= row["date"] <= "2025-09-29"
        )
    now = datetime(2025, 9, 29, 12, 0, tzinfo=UTC)
    before = breakdown(client, now)
    for at, stars in series:  # the real daily counts, through the sync's own write path
        record_answer(mineru, RepoAnswer(200, Quota(), full_name="opendatalab/MinerU", stars=stars), at)
    after = breakdown(client, now)

    def row(rows, arxiv_id):
        return next(r for r in rows if r[0] == arxiv_id)

    week_start = now - timedelta(days=settings.PAPERTIDE_STAR_VELOCITY_DAYS)
    expected = series[-1][1] - [s for at, s in series if at <= week_start][-1]
    assert expected > 0
    _, votes, gained, stars, code, age, score = row(after, "2509.22186")
    assert (stars, row(before, "2509.22186")[3]) == (expected, 0)
    term = settings.PAPERTIDE_TRENDING_STAR_WEIGHT * math.log1p(expected)
    g = settings.PAPERTIDE_TRENDING_GRAVITY
    assert score == pytest.approx(
        (votes + gained + term + code) / (1 + age) ** g, rel=1e-4
    )  # the age is shown to 4 decimals
    lifted = score - row(before, "2509.22186")[-1]
    assert lifted == pytest.approx(term / (1 + age) ** g, rel=1e-4)  # by the star term, nothing else
    with time_machine.travel(now, tick=False):
        assert f"for {expected} new GitHub stars" in client.get("/trending/").content.decode()


def test_the_paper_page_draws_its_upvotes_and_its_repository_stars_over_time(hub, client):
    for capture in captures("2025-01-08"):
        sync(hub, capture)
    changes: list[tuple[datetime, int]] = []  # the count at each capture where it changed
    for capture in captures("2025-01-08"):
        count = {e["paper"]["id"]: e["paper"]["upvotes"] for e in capture["response"]}["2501.03262"]
        if not changes or changes[-1][1] != count:
            changes.append((committed_at(capture), count))
    page = client.get("/papers/2501.03262/").content.decode()
    [label] = re.findall(r'<svg class="chart"[^>]*aria-label="(Upvotes on Hugging Face: [^"]*)"', page)
    (first_at, first), (last_at, last) = changes[0], changes[-1]
    assert label == (
        f"Upvotes on Hugging Face: {first:,} on {first_at:%Y-%m-%d %H:%M} UTC, "
        f"{last:,} on {last_at:%Y-%m-%d %H:%M} UTC, {len(changes)} readings"
    )
    assert first < last and len(changes) > 2
    assert "GitHub stars" not in page  # no repository read for it

    [capture] = captures("2025-09-29")
    sync(hub, capture)
    link_repositories()
    mineru = Repository.objects.get(name="opendatalab/mineru")
    for at, stars in [
        (datetime(2025, 9, 28, 4, 7, 2, tzinfo=UTC), 44798),
        (datetime(2025, 9, 29, 4, 7, 9, tzinfo=UTC), 44860),
    ]:
        record_answer(mineru, RepoAnswer(200, Quota(), full_name="opendatalab/MinerU", stars=stars), at)
    page = client.get("/papers/2509.22186/").content.decode()
    assert re.search(
        r'aria-label="GitHub stars of opendatalab/MinerU: 44,798 on 2025-09-28 04:07 UTC, 44,860 on', page
    )
