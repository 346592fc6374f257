"""One paper, one upvote count: every page, API answer and feed shows Paper.objects.with_votes().

On the real Hugging Face papers of 5 April 2024, two of them are submitted here again on 8 April (so each has
an imported entry with Hugging Face's upvotes and a local one without) and one gets votes cast here. Before
the count had one definition, the daily page added only the entry's own imported upvotes, the search API
showed imported upvotes alone and the daily feed ranked by imported upvotes alone.
"""

import json
import re
from datetime import UTC, date, datetime

import feedparser
import pytest
import time_machine
from django.contrib.auth.models import User

from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import read_hf_daily
from papertide.community.services import set_vote, submit
from tests.conftest import data_path

pytestmark = pytest.mark.django_db
HF = "hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json"
NOW = datetime(2024, 4, 8, 12, 0, tzinfo=UTC)
VOTED = "2404.04204"  # 4 upvotes on Hugging Face, listed there on 5 April
OTHER = "2404.04167"  # 5 upvotes on Hugging Face, the day's first


def person(name: str) -> User:
    return User.objects.create_user(name, f"{name}@example.org", "a quiet lab at night")


@pytest.fixture
def listed():
    """The scrape imported; both papers submitted here on 8 April; two votes here for VOTED."""
    ingest(read_hf_daily(data_path(HF)), "hf-daily")
    scraped = json.loads(data_path(HF).read_text())
    assert scraped[VOTED]["upvotes"] == 4 and scraped[OTHER]["upvotes"] == 5
    ada = person("ada")
    for arxiv_id in (VOTED, OTHER):
        submit(ada, arxiv_id, today=date(2024, 4, 8))
    paper = ada.submissions.get(paper__arxiv_id=VOTED).paper
    for name in ("bob", "cy"):
        set_vote(person(name), paper, True)
    return scraped


def shown_on_page(client, path: str, arxiv_id: str) -> int:
    page = client.get(path).content.decode()
    found = re.search(rf'id="paper-{re.escape(arxiv_id)}".*?<span class="count">(\d+)</span>', page, re.S)
    assert found, f"{arxiv_id} not on {path}"
    return int(found.group(1))


def feed(client, path: str):
    response = client.get(path)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed.entries


def feed_id(item) -> str:
    return item.link.rstrip("/").rsplit("/", 1)[-1]


def page_ids(client, path: str) -> list[str]:
    return re.findall(r'<li class="paper" id="paper-([^"]+)"', client.get(path).content.decode())


def test_one_paper_shows_one_count_everywhere(client, listed):
    expected = 2 + 4  # two votes here, four on Hugging Face
    with time_machine.travel(NOW, tick=False):
        paper_page = client.get(f"/papers/{VOTED}/").content.decode()
        shown = {
            "daily page": shown_on_page(client, "/daily/", VOTED),
            "daily page of 5 April": shown_on_page(client, "/daily/2024-04-05/", VOTED),
            "trending page": shown_on_page(client, "/trending/", VOTED),
            "paper page": int(re.search(r'class="votes">.*?class="count">(\d+)<', paper_page, re.S).group(1)),
            "/api/daily_papers": next(
                item["paper"]["upvotes"]
                for item in client.get("/api/daily_papers").json()
                if item["paper"]["id"] == VOTED
            ),
            "/api/papers/{id}": client.get(f"/api/papers/{VOTED}").json()["upvotes"],
            "/api/papers/search": next(
                item["paper"]["upvotes"]
                for item in client.get(
                    "/api/papers/search",
                    {"q": listed[VOTED]["title"], "mode": "keyword", "limit": 100},
                ).json()
                if item["paper"]["id"] == VOTED
            ),
        }
        for name, path in (("daily feed", "/daily/feed/"), ("trending feed", "/trending/feed/")):
            item = next(item for item in feed(client, path) if feed_id(item) == VOTED)
            shown[name] = int(item.papertide_upvotes)
            assert (item.papertide_local_votes, item.papertide_imported_votes) == ("2", "4")
    assert shown == dict.fromkeys(shown, expected)


def test_the_daily_feed_follows_the_daily_pages_order(client, listed):
    with time_machine.travel(NOW, tick=False):
        items = feed(client, "/daily/feed/")
        latest = page_ids(client, "/daily/")
        earlier = page_ids(client, "/daily/2024-04-05/")
    days = [item.published_parsed[:3] for item in items]
    assert days == sorted(days, reverse=True)  # newest day first
    # Votes here count: VOTED (2 + 4) leads OTHER (0 + 5) on the latest day, as on the page.
    assert latest == [VOTED, OTHER]
    assert [feed_id(item) for item in items[:2]] == latest
    # An earlier day: the page's order, less the papers the feed lists under their later day.
    fifth = [feed_id(item) for item in items if item.published_parsed[:3] == (2024, 4, 5)]
    assert fifth == [i for i in earlier if i not in latest] and fifth
