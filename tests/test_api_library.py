"""The reader's library through the API, with a personal token: for-you with its why, collections, adding
and removing papers. Real listing papers (tests/search_data.py), real embeddings."""

from datetime import UTC, datetime

import pytest
import time_machine

from papertide.accounts.models import ApiToken, RateBucket
from papertide.library import recommend
from papertide.library.models import Collection, Entry, Interest
from tests.search_data import import_sample

pytestmark = pytest.mark.django_db

LISTED = datetime(2025, 3, 18, 20, 30, tzinfo=UTC)  # when the first listing papers are imported here
NEXT_MORNING = datetime(2025, 3, 19, 9, 0, tzinfo=UTC)
JSON = "application/json"


@pytest.fixture
def papers():
    with time_machine.travel(LISTED, tick=False):
        return import_sample(80, embed=False)


def token_for(user) -> dict:
    _, token = ApiToken.issue(user, "script")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def collection_of(user, name, papers) -> Collection:
    collection = Collection.create(user, name)
    Entry.objects.bulk_create(Entry(collection=collection, paper=p) for p in papers)
    return collection


def test_every_library_route_wants_a_token_and_answers_the_one_error_shape(client, papers):
    routes = [
        ("get", "/api/me/for-you"),
        ("get", "/api/me/collections"),
        ("get", "/api/me/collections/reading-list"),
        ("post", "/api/me/collections/reading-list/papers"),
        ("delete", f"/api/me/collections/reading-list/papers/{papers[0].arxiv_id}"),
    ]
    for method, url in routes:
        for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer pt_wrong"}):
            response = getattr(client, method)(url, **headers)
            assert response.status_code == 401, url
            assert response.json() == {"error": "authentication required", "status": 401}


def test_another_readers_collection_is_a_404(client, reader, outsider, papers):
    private = collection_of(reader, "Private ideas", papers[:2])
    as_outsider = token_for(outsider)

    for response in (
        client.get(f"/api/me/collections/{private.slug}", **as_outsider),
        client.post(
            f"/api/me/collections/{private.slug}/papers", {"paper": papers[3].arxiv_id}, JSON, **as_outsider
        ),
        client.delete(f"/api/me/collections/{private.slug}/papers/{papers[0].arxiv_id}", **as_outsider),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": "you have no collection 'private-ideas'", "status": 404}
    assert private.entries.count() == 2


def test_collections_list_the_readers_own_with_their_counts(client, reader, outsider, papers):
    collection_of(reader, "Diffusion", papers[:3])
    collection_of(outsider, "Not mine", papers[:1])

    listed = client.get("/api/me/collections", **token_for(reader)).json()

    assert [(c["slug"], c["papers"], c["readingList"]) for c in listed] == [
        ("reading-list", 0, True),
        ("diffusion", 3, False),
    ]


def test_adding_twice_is_one_entry_and_removing_takes_it_out(client, reader, papers):
    auth = token_for(reader)
    paper = papers[5]
    collection = collection_of(reader, "Ideas", [])
    before = collection.changed_at
    url = "/api/me/collections/ideas/papers"

    first = client.post(url, {"paper": f"https://arxiv.org/abs/{paper.arxiv_id}v2"}, JSON, **auth)
    again = client.post(url, {"paper": paper.arxiv_id}, JSON, **auth)

    assert first.json() == {"collection": "ideas", "paper": paper.arxiv_id, "added": True, "papers": 1}
    assert again.json() == {"collection": "ideas", "paper": paper.arxiv_id, "added": False, "papers": 1}
    assert Entry.objects.filter(collection=collection, paper=paper).count() == 1
    collection.refresh_from_db()
    assert collection.changed_at > before  # touched
    shown = client.get("/api/me/collections/ideas", **auth).json()
    assert [item["paper"]["id"] for item in shown["items"]] == [paper.arxiv_id]
    assert shown["items"][0]["paper"]["authors"][0]["name"] == paper.authors_display[0]

    removed = client.delete(f"{url}/{paper.arxiv_id}", **auth)
    gone = client.delete(f"{url}/{paper.arxiv_id}", **auth)

    assert removed.json() == {"collection": "ideas", "paper": paper.arxiv_id, "removed": True, "papers": 0}
    assert gone.status_code == 404 and gone.json()["error"] == f"{paper.arxiv_id} is not in 'ideas'"
    assert not collection.entries.exists()


def test_adding_to_the_reading_list_makes_it_on_first_use(client, reader, papers):
    response = client.post(
        "/api/me/collections/reading-list/papers", {"paper": papers[0].arxiv_id}, JSON, **token_for(reader)
    )

    assert response.status_code == 200 and response.json()["added"] is True
    assert [p.arxiv_id for p in Collection.reading_list(reader).papers.all()] == [papers[0].arxiv_id]


def test_adding_a_paper_that_is_not_an_id_or_not_in_the_catalog_is_a_4xx(client, reader, papers):
    auth = token_for(reader)
    url = "/api/me/collections/reading-list/papers"

    bad = client.post(url, {"paper": "not an id"}, JSON, **auth)
    # 1605.08386 is a real arXiv paper (tests/test_source_arxiv_api.py) that the listing sample lacks.
    absent = client.post(url, {"paper": "1605.08386"}, JSON, **auth)
    missing = client.post(url, {}, JSON, **auth)

    assert bad.status_code == 400 and "is not an arXiv id" in bad.json()["error"]
    assert absent.json() == {"error": "1605.08386 is not in this catalog", "status": 404}
    assert missing.status_code == 400 and missing.json()["error"].startswith("body.paper")


def test_a_slug_no_collection_can_have_is_a_400(client, reader):
    # A NUL in it was a 500 on PostgreSQL (its text cannot hold one).
    for slug in ("ideas%00", "two%20words"):
        response = client.get(f"/api/me/collections/{slug}", **token_for(reader))
        assert response.status_code == 400 and response.json()["error"].startswith(
            "slug: String should match"
        )


def test_reads_do_not_spend_the_write_allowance(client, reader, papers, settings):
    settings.PAPERTIDE_TOKEN_RATE = 2
    auth = token_for(reader)
    for _ in range(4):
        assert client.get("/api/me/collections", **auth).status_code == 200
    assert not RateBucket.objects.exists()
    url = "/api/me/collections/reading-list/papers"
    for paper in papers[:2]:
        assert client.post(url, {"paper": paper.arxiv_id}, JSON, **auth).status_code == 200
    limited = client.post(url, {"paper": papers[2].arxiv_id}, JSON, **auth)
    assert limited.status_code == 429 and limited.json()["status"] == 429


def test_for_you_items_carry_the_paper_the_interest_the_match_and_why(client, reader, papers):
    # Recommendations need the vectors: embedded here, as the worker would.
    with time_machine.travel(LISTED, tick=False):
        import_sample(80, embed=True)
    diffusion = [p for p in papers if "diffusion" in p.title.lower()]
    assert len(diffusion) >= 4
    saved = diffusion[:3]
    interest = Interest.objects.create(
        owner=reader, name="diffusion", collection=collection_of(reader, "diffusion", saved)
    )
    assert recommend.train(interest)
    auth = token_for(reader)

    with time_machine.travel(NEXT_MORNING, tick=False):
        items = client.get("/api/me/for-you?period=day&limit=10", **auth).json()
        only = client.get(f"/api/me/for-you?period=week&interest={interest.pk}&limit=5", **auth).json()
        month_ago = client.get("/api/me/for-you?period=month&limit=100", **auth).json()

    assert len(items) == 10
    first = items[0]
    assert set(first["paper"]) >= {"id", "authors", "title", "summary", "upvotes", "categories", "url"}
    assert first["interest"] == {"id": interest.pk, "name": "diffusion"}
    assert 0 < first["match"] <= 1
    assert [i["match"] for i in items] == sorted((i["match"] for i in items), reverse=True)
    assert len(first["why"]) == 2
    assert {w["id"] for w in first["why"]} <= {p.arxiv_id for p in saved}
    assert all(w["title"] for w in first["why"])
    assert not {i["paper"]["id"] for i in items} & {p.arxiv_id for p in saved}  # not what they saved
    assert [i["paper"]["id"] for i in only] == [i["paper"]["id"] for i in items[:5]]
    assert len(month_ago) == len(papers) - len(saved)


def test_for_you_refuses_someone_elses_interest_and_a_bad_period(client, reader, outsider):
    theirs = Interest.objects.create(owner=outsider, name="theirs")
    auth = token_for(reader)

    other = client.get(f"/api/me/for-you?interest={theirs.pk}", **auth)
    bad = client.get("/api/me/for-you?period=year", **auth)

    assert other.json() == {"error": f"you have no interest {theirs.pk}", "status": 404}
    assert bad.status_code == 400 and bad.json()["error"].startswith("period:")
