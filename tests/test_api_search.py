"""GET /api/papers/search in Hugging Face's shape, read by the real huggingface_hub client."""

import pytest
from huggingface_hub import HfApi, close_session

from tests.search_data import import_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers():
    return import_sample()


def test_huggingface_hub_client_lists_papers(live_server, papers, settings):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    target = papers[3]
    api = HfApi(endpoint=live_server.url, token=False)
    found = list(api.list_papers(query=target.title, limit=5))
    close_session()  # no kept-alive connection to outlive the test's server
    assert 1 <= len(found) <= 5
    first = found[0]
    assert first.id == target.arxiv_id
    assert first.title == target.title_display
    assert [a.name for a in first.authors] == target.authors_display
    assert first.summary == target.abstract_display
    assert first.published_at.date() == target.listed_on


def test_response_shape_and_our_fields(client, papers):
    response = client.get("/api/papers/search", {"q": "image segmentation", "limit": 3})
    assert response.status_code == 200
    items = response.json()
    assert len(items) == 3
    item = items[0]
    assert set(item) >= {
        "paper",
        "title",
        "publishedAt",
        "numComments",
        "score",
        "keywordScore",
        "semanticScore",
    }
    assert set(item["paper"]) >= {"id", "authors", "publishedAt", "title", "summary", "upvotes", "url"}
    assert item["paper"]["url"] == f"/papers/{item['paper']['id']}/"


def test_filters_and_sort_by_date(client, papers):
    items = client.get(
        "/api/papers/search", {"q": "learning", "limit": 50, "sort": "date", "category": "cs.CV"}
    ).json()
    days = [i["paper"]["publishedAt"] for i in items]
    assert days == sorted(days, reverse=True)
    assert all("cs.CV" in i["paper"]["categories"] for i in items)


def test_similar_papers_endpoint(client, papers):
    items = client.get(f"/api/papers/{papers[0].arxiv_id}/similar", {"limit": 4}).json()
    assert len(items) == 4
    assert papers[0].arxiv_id not in [i["paper"]["id"] for i in items]
    assert client.get("/api/papers/2501.99999/similar").status_code == 404
    bad = client.get("/api/papers/not-an-id/similar")
    assert bad.status_code == 400 and "not an arXiv id" in bad.json()["error"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "q: Field required"),
        ({"q": ""}, "q: String should have at least 1 character"),
        ({"q": "x" * 2000}, "at most 500"),
        ({"q": "vision\x00"}, "q: String should match pattern"),  # PostgreSQL's text holds no NUL
        ({"q": "vision", "category": "cs.CV\x00"}, "category: String should match"),  # was a 500 there
        ({"q": "%%% ***"}, "no words"),
        ({"q": "vision", "limit": 0}, "limit"),
        ({"q": "vision", "limit": 10_000}, "limit"),
        ({"q": "vision", "limit": "ten"}, "limit"),
        ({"q": "vision", "from": "yesterday"}, "from"),
        # A number was read as a Unix time and made a day of 1970 (found by bench/api_fuzz.py's long run).
        ({"q": "vision", "until": "0.0"}, "until: Value error, a day is written YYYY-MM-DD"),
        ({"q": "vision", "from": "1700000000"}, "from: Value error, a day is written YYYY-MM-DD"),
        ({"q": "vision", "sort": "random"}, "sort"),
    ],
)
def test_bad_requests_get_a_4xx_with_a_message(client, params, message):
    response = client.get("/api/papers/search", params)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert message in body["error"]


def test_search_page_shows_results_highlights_and_coverage(client, papers):
    page = client.get("/search/", {"q": "segmentation"}).content.decode()
    assert "<mark>" in page
    assert "300 of 300 papers embedded" in page
    bad = client.get("/search/", {"q": "!!!"})
    assert bad.status_code == 400 and "no words" in bad.content.decode()


def test_search_page_escapes_the_query(client, papers):
    page = client.get("/search/", {"q": "<script>alert(1)</script> vision"}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
