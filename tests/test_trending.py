"""Trending on the 753 real Hugging Face papers: every position explained by the breakdown shown."""

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from papertide.catalog.models import CodeLink
from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import read_hf_daily
from papertide.community.models import DailyEntry
from papertide.community.services import set_vote
from tests.conftest import data_path
from tests.personas import crowd

pytestmark = pytest.mark.django_db
HF = "hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json"
SCRAPED = datetime(2024, 4, 8, 12, 0, tzinfo=UTC)  # when the upvote counts were read
ROW = re.compile(
    r'id="paper-([^"]+)".*?data-votes="(\d+)" data-gained="(\d+)" data-stars="(\d+)" data-code="([\d.]+)" '
    r'data-age="([\d.]+)" data-score="([\d.]+)"',
    re.S,
)


@pytest.fixture
def hf_papers():
    ingest(read_hf_daily(data_path(HF)), "hf-daily")
    return json.loads(data_path(HF).read_text())


def rows(client) -> list[tuple[str, int, float, float, float]]:
    """(arXiv id, votes, code bonus, age, score) of each paper shown, with no momentum: these papers have no
    upvote or star series (the scrape holds one count each)."""
    page = client.get("/trending/").content.decode()
    shown = ROW.findall(page)
    assert all(g == "0" and st == "0" for _, _, g, st, *_ in shown)
    return [(i, int(v), float(c), float(a), float(s)) for i, v, _, _, c, a, s in shown]


def test_every_position_is_explained_by_its_breakdown(client, hf_papers, settings):
    settings.PAPERTIDE_TRENDING_DAYS = 200  # all 753 papers (listed 2023-11-30 to 2024-04-05)
    with time_machine.travel(SCRAPED, tick=False):
        shown = rows(client)
    assert len(shown) == 50  # the page shows the top 50
    gravity = settings.PAPERTIDE_TRENDING_GRAVITY
    coded = set(
        CodeLink.objects.filter(kind__in=("github", "code", "huggingface")).values_list(
            "paper__arxiv_id", flat=True
        )
    )
    for arxiv_id, votes, code, age, score in shown:
        assert votes == hf_papers[arxiv_id]["upvotes"]
        assert code == (settings.PAPERTIDE_TRENDING_CODE_BONUS if arxiv_id in coded else 0)
        day = date.fromisoformat(hf_papers[arxiv_id]["publication_date"][:10])
        assert age == pytest.approx(
            (SCRAPED - datetime(day.year, day.month, day.day, tzinfo=UTC)).total_seconds() / 86400, abs=1e-4
        )
        assert score == pytest.approx((votes + code) / (1 + age) ** gravity, rel=1e-5)
    scores = [s for *_, s in shown]
    assert scores == sorted(scores, reverse=True)  # the order is the order of the scores shown
    assert any(c for _, _, c, _, _ in shown) and any(not c for _, _, c, _, _ in shown)


def test_window_and_local_votes(client, hf_papers, settings):
    settings.PAPERTIDE_TRENDING_DAYS = 7
    with time_machine.travel(SCRAPED, tick=False):
        shown = rows(client)
        recent = {k for k, v in hf_papers.items() if v["publication_date"][:10] >= "2024-04-01"}
        assert {i for i, *_ in shown} <= recent and len(shown) == min(50, len(recent))
        last = shown[-1][0]
        entry = DailyEntry.objects.get(paper__arxiv_id=last)
        for voter in crowd(40):  # forty people upvote the last one here
            set_vote(voter, entry.paper, True)
        moved = rows(client)
    position = [i for i, *_ in moved].index(last)
    assert position < len(shown) - 1  # it rose
    assert moved[position][1] == hf_papers[last]["upvotes"] + 40  # and its breakdown says why
    scores = [s for *_, s in moved]
    assert scores == sorted(scores, reverse=True)


def test_trending_page_query_count_is_fixed(client, hf_papers, settings, django_assert_max_num_queries):
    settings.PAPERTIDE_TRENDING_DAYS = 200
    # what changed (votes, entries, code links), the scores, the top papers, their rows and code links
    with time_machine.travel(SCRAPED, tick=False), django_assert_max_num_queries(7):
        client.get("/trending/")
    with time_machine.travel(SCRAPED + timedelta(days=400), tick=False):  # as of the latest day, then
        assert "was trending at the end of 5 April 2024" in client.get("/trending/").content.decode()


def test_signed_out_readers_share_one_rendering_until_the_ranking_changes(
    client, hf_papers, settings, django_assert_max_num_queries, reader
):
    settings.PAPERTIDE_TRENDING_DAYS = 200
    with time_machine.travel(SCRAPED, tick=False):
        first = client.get("/trending/").content.decode()
        with django_assert_max_num_queries(1):  # only what changed: the list itself is not rendered again
            assert client.get("/trending/").content.decode() == first
        assert "csrfmiddlewaretoken" not in first  # nothing per reader in a shared rendering
        top = ROW.findall(first)[0][0]
        set_vote(reader, DailyEntry.objects.get(paper__arxiv_id=top).paper, True)
        again = rows(client)
        assert again[0][:2] == (top, hf_papers[top]["upvotes"] + 1)  # the vote shows at once
        settings.PAPERTIDE_TRENDING_CODE_BONUS = 1000
        assert any(code == 1000 for _, _, code, _, _ in rows(client))  # a changed setting: a new ranking
        client.force_login(reader)
        page = client.get("/trending/").content.decode()
    mine = re.search(rf'id="paper-{re.escape(top)}".*?aria-pressed="(\w+)"', page, re.S)
    assert mine.group(1) == "true" and "csrfmiddlewaretoken" in page  # a signed-in reader sees their vote


def test_signed_out_pages_set_no_cookie(client, hf_papers, settings):
    settings.PAPERTIDE_TRENDING_DAYS = 200
    with time_machine.travel(SCRAPED, tick=False):
        for path in ("/trending/", "/daily/"):
            response = client.get(path)
            assert response.status_code == 200 and not response.cookies  # cacheable by anyone in between


def test_with_nothing_listed_lately_trending_is_shown_as_of_the_latest_day(client, hf_papers, settings):
    # The 753 papers were listed up to 2024-04-05; two years on, nothing is in the 30-day window.
    settings.PAPERTIDE_TRENDING_DAYS = 30
    with time_machine.travel(datetime(2026, 4, 8, 12, 0, tzinfo=UTC), tick=False):
        page = client.get("/trending/").content.decode()
        shown = rows(client)
    assert "this is what was trending at the end of 5 April 2024, its latest day" in page
    assert len(shown) == 50
    end = datetime(2024, 4, 6, tzinfo=UTC)  # the ranking as of the end of that day
    for arxiv_id, _votes, _code, age, _score in shown:
        day = date.fromisoformat(hf_papers[arxiv_id]["publication_date"][:10])
        assert day >= date(2024, 3, 7)  # the 30 days up to it
        expected = (end - datetime(day.year, day.month, day.day, tzinfo=UTC)).total_seconds() / 86400
        assert age == pytest.approx(expected, abs=1e-4)
    scores = [s for *_, s in shown]
    assert scores == sorted(scores, reverse=True)


def test_an_empty_daily_list_says_so(client, db):
    page = client.get("/trending/").content.decode()
    assert "Nothing in the daily list of the last" in page and "was trending at the end of" not in page
