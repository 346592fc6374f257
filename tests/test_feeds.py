"""Atom feeds of the daily list, trending and a person's submissions, read back with feedparser."""

import json
from datetime import UTC, datetime

import feedparser
import pytest
import time_machine

from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import read_hf_daily
from papertide.community.models import DailyEntry
from tests.conftest import data_path

pytestmark = pytest.mark.django_db
HF = "hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json"


@pytest.fixture
def papers():
    ingest(read_hf_daily(data_path(HF)), "hf-daily")
    return json.loads(data_path(HF).read_text())


def read(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return feed


def test_daily_feed_holds_the_last_week_newest_first(client, papers):
    feed = read(client, "/daily/feed/")
    assert feed.feed.title == "Daily papers"
    ids = [entry.link.rstrip("/").rsplit("/", 1)[-1] for entry in feed.entries]
    week = {k for k, v in papers.items() if "2024-03-30" <= v["publication_date"][:10] <= "2024-04-05"}
    assert set(ids) <= week and len(ids) == min(50, len(week))
    first = feed.entries[0]
    assert first.title == " ".join(papers[ids[0]]["title"].split())
    assert first.published_parsed[:3] == (2024, 4, 5)
    assert "\n" not in first.title and first.summary


def test_trending_feed_follows_the_trending_page(client, papers, settings):
    settings.PAPERTIDE_TRENDING_DAYS = 14
    with time_machine.travel(datetime(2024, 4, 8, 12, tzinfo=UTC), tick=False):
        feed = read(client, "/trending/feed/")
        page = client.get("/trending/").content.decode()
    ids = [entry.link.rstrip("/").rsplit("/", 1)[-1] for entry in feed.entries]
    positions = [page.index(f'id="paper-{i}"') for i in ids]
    assert positions == sorted(positions)


def test_submissions_feed_and_escaping(client, papers, submitter):
    entry = DailyEntry.objects.filter(day="2024-04-05").first()
    entry.submitted_by = submitter
    entry.save()
    paper = entry.paper
    paper.title = paper.title + " <script>alert(1)</script>"
    paper.title_clean = ""
    paper.save()
    feed = read(client, f"/users/{submitter.username}/feed/")
    assert feed.feed.title == f"Papers submitted by {submitter.username}"
    [item] = feed.entries
    assert item.title.endswith("<script>alert(1)</script>")  # text, escaped in the XML
    assert b"<script>" not in client.get(f"/users/{submitter.username}/feed/").content
    assert client.get("/users/nobody/feed/").status_code == 404
