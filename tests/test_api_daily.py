"""/api/daily_papers, /api/papers/{id} and /papers/{id}.md, read by the real huggingface_hub client."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from huggingface_hub import HfApi, close_session

from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import read_hf_daily
from papertide.community.models import DailyEntry
from tests.conftest import data_path

pytestmark = pytest.mark.django_db(transaction=True)
HF = "hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json"


@pytest.fixture
def hf(live_server):
    ingest(read_hf_daily(data_path(HF)), "hf-daily")
    api = HfApi(endpoint=live_server.url, token=False)
    yield api, json.loads(data_path(HF).read_text())
    close_session()


def on(papers: dict, prefix: str) -> set[str]:
    return {k for k, v in papers.items() if v["publication_date"].startswith(prefix)}


def test_list_daily_papers_by_day_week_and_month(hf):
    api, papers = hf
    latest = list(api.list_daily_papers())
    assert {p.id for p in latest} == on(papers, "2024-04-05")
    day = list(api.list_daily_papers(date="2024-04-04"))
    assert {p.id for p in day} == on(papers, "2024-04-04")
    first = day[0]
    source = papers[first.id]
    assert first.upvotes == max(papers[p.id]["upvotes"] for p in day) == source["upvotes"]
    assert [a.name for a in first.authors] == source["authors"]
    assert first.submitted_at == datetime(2024, 4, 4, tzinfo=UTC)
    week = list(api.list_daily_papers(week="2024-W14", limit=100))
    assert {p.id for p in week} == {
        k for k, v in papers.items() if "2024-04-01" <= v["publication_date"][:10] <= "2024-04-07"
    }
    month = [p.id for p in api.list_daily_papers(month="2024-03", limit=100, p=0)]
    rest = [p.id for p in api.list_daily_papers(month="2024-03", limit=100, p=1)]
    assert len(month) == 100 and not set(month) & set(rest)


def test_sort_by_trending_and_by_submitter(hf, submitter):
    api, papers = hf
    with time_machine.travel(datetime(2024, 4, 8, 12, tzinfo=UTC), tick=False):
        trending = [p.id for p in api.list_daily_papers(week="2024-W14", sort="trending", limit=100)]
    assert sorted(trending) == sorted(p.id for p in api.list_daily_papers(week="2024-W14", limit=100))
    entry = DailyEntry.objects.filter(day="2024-04-05").first()
    entry.submitted_by = submitter
    entry.save()
    mine = list(api.list_daily_papers(date="2024-04-05", submitter=submitter.username))
    assert [p.id for p in mine] == [entry.paper.arxiv_id]


def test_paper_info_and_read_paper(hf):
    api, papers = hf
    arxiv_id = next(iter(papers))
    info = api.paper_info(arxiv_id)
    assert info.id == arxiv_id and info.upvotes == papers[arxiv_id]["upvotes"]
    assert info.title == " ".join(papers[arxiv_id]["title"].split())
    markdown = api.read_paper(arxiv_id)
    assert markdown.startswith(f"# {info.title}\n")
    assert "## Abstract" in markdown and f"https://arxiv.org/abs/{arxiv_id}" in markdown


def test_errors_have_one_shape(client):
    cases = {
        "/api/daily_papers?date=2024-04-05&week=2024-W14": "give one of date, week and month",
        "/api/daily_papers?week=2024-W99": "is not a week",
        "/api/daily_papers?week=9999-W52": "is not a week",  # it would end past 9999-12-31: was a 500
        "/api/daily_papers?date=20240405": "date: String should match pattern",  # as the schema writes it
        "/api/daily_papers?submitter=grace%00": "submitter: String should match pattern",  # NUL: no text
        "/api/daily_papers?limit=1000": "limit",
        "/api/daily_papers?sort=random": "sort",
        "/api/papers/not-an-id": "not an arXiv id",
    }
    for url, message in cases.items():
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.json()["status"] == 400 and message in response.json()["error"], url
    missing = client.get("/api/papers/2501.99999")
    assert missing.status_code == 404 and set(missing.json()) == {"error", "status"}


def test_a_url_no_route_takes_is_a_404_in_the_one_shape(client):
    # A newline in an id: no route matches it; a POST there was the CSRF page's 403, a GET the site's 404.
    for method, url in [("get", "/api/papers/2404.%0A1234"), ("post", "/api/papers/2404%0A/upvote")]:
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
        assert response.json() == {"error": f"no API route {response.request['PATH_INFO']}", "status": 404}
