"""The library's pages on real listing papers: saving from every list, choosing collections, read marks,
a reader's collections, a public collection's page and its Atom feed, and what each page costs in queries."""

import re

import feedparser
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from papertide.community.models import DailyEntry
from papertide.library import saving
from papertide.library.models import Collection, Entry, Interest, ReadMark
from tests.concurrency import at_once
from tests.personas import client_for
from tests.search_data import import_sample

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def papers(settings):
    settings.PAPERTIDE_PAGE_SIZE = 50  # the newest list shows them all on one page
    return import_sample(40, embed=False)


def save_url(paper) -> str:
    return f"/papers/{paper.arxiv_id}/save/"


def reading_list_ids(user) -> list[str]:
    return list(Collection.reading_list(user).papers.order_by("arxiv_id").values_list("arxiv_id", flat=True))


def saved_buttons(html: str) -> set[str]:
    """The papers whose save button says "Saved" on a page."""
    found = re.findall(r'<form class="save" method="post" action="/papers/([^/]+)/save/".*?</form>', html)
    on = re.findall(
        r'<form class="save" method="post" action="/papers/([^/]+)/save/"[^>]*>(?:(?!</form>).)*'
        r'aria-pressed="true"',
        html,
    )
    assert set(on) <= set(found)
    return set(on)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# Saving with one click


def test_saving_twice_keeps_one_entry(papers, reader):
    client = client_for(reader)
    paper = papers[0]
    first = client.post(save_url(paper), {"saved": "1"}, **JSON)
    again = client.post(save_url(paper), {"saved": "1"}, **JSON)
    assert first.json() == again.json() == {"paper": paper.arxiv_id, "saved": True}
    assert Entry.objects.filter(paper=paper).count() == 1
    assert reading_list_ids(reader) == [paper.arxiv_id]


def test_saving_again_after_a_racing_save_keeps_one_entry(papers, reader):
    reading_list = Collection.reading_list(reader)
    assert saving.add(reading_list, papers[0]) is True
    assert saving.add(Collection.objects.get(pk=reading_list.pk), papers[0]) is False  # another tab's copy
    assert Entry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_clicks_at_once_save_one_entry(reader):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip(
            "in-memory SQLite does not serialise writers like a file or PostgreSQL (the PostgreSQL run)"
        )
    paper = import_sample(1, embed=False)[0]
    reading_list = Collection.reading_list(reader)

    def click(i):
        client_for(reader).post(save_url(paper), {"saved": "1"}, **JSON)

    assert not at_once(click, 10)
    assert list(Entry.objects.values_list("collection_id", "paper_id")) == [(reading_list.pk, paper.pk)]


def test_clicking_saved_takes_the_paper_out_again(papers, reader):
    client = client_for(reader)
    client.post(save_url(papers[0]), {"saved": "1"}, **JSON)
    client.post(save_url(papers[1]), {"saved": "1"}, **JSON)
    out = client.post(save_url(papers[0]), {"saved": "0"}, **JSON)
    assert out.json() == {"paper": papers[0].arxiv_id, "saved": False}
    assert reading_list_ids(reader) == [papers[1].arxiv_id]


def test_saving_and_removing_touch_the_collection_so_its_interest_retrains(papers, reader):
    reading_list = Collection.reading_list(reader)
    interest = Interest.objects.create(owner=reader, name="to read", collection=reading_list)
    before = Interest.objects.get(pk=interest.pk).changed_at
    client_for(reader).post(save_url(papers[0]), {"saved": "1"})
    saved_at = Interest.objects.get(pk=interest.pk).changed_at
    assert saved_at > before
    client_for(reader).post(save_url(papers[0]), {"saved": "0"})
    assert Interest.objects.get(pk=interest.pk).changed_at > saved_at
    assert Collection.objects.get(pk=reading_list.pk).changed_at > before


def test_without_javascript_saving_redirects_back_to_the_page(papers, reader):
    client = client_for(reader)
    response = client.post(save_url(papers[0]), {"saved": "1", "next": "/daily/?x=1"})
    assert response.status_code == 302 and response["Location"] == "/daily/?x=1"
    assert reading_list_ids(reader) == [papers[0].arxiv_id]
    # The page it came back to shows the paper saved.
    assert papers[0].arxiv_id in saved_buttons(client.get("/").content.decode())


def test_a_next_on_another_site_goes_back_home_instead(papers, reader):
    client = client_for(reader)
    for unsafe in ("https://evil.example/", "//evil.example/x"):
        response = client.post(save_url(papers[0]), {"saved": "1", "next": unsafe})
        assert response["Location"] == "/"


def test_an_anonymous_save_is_sent_to_log_in_and_saves_nothing(papers, client):
    response = client.post(save_url(papers[0]), {"saved": "1", "next": "/search/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=%2Fsearch%2F"
    answer = client.post(save_url(papers[0]), {"saved": "1", "next": "/"}, **JSON)
    assert answer.status_code == 401 and answer.json()["login"].startswith("/accounts/login/")
    assert not Entry.objects.exists()
    # The anonymous button itself is a form to the log-in page, with no token of anybody's.
    page = client.get("/").content.decode()
    assert '<form class="save" method="get" action="/accounts/login/">' in page
    assert "csrfmiddlewaretoken" not in page


def test_saving_is_a_post_and_bad_input_is_a_clear_400(papers, reader):
    client = client_for(reader)
    assert client.get(save_url(papers[0])).status_code == 405
    refused = client.post(save_url(papers[0]), {"saved": "yes"})
    assert refused.status_code == 400 and "saved must be 1" in refused.content.decode()
    assert client.post(save_url(papers[0]), {"saved": "maybe"}, **JSON).json()["error"].startswith("saved")
    assert client.post("/papers/2401.99999/save/", {"saved": "1"}).status_code == 404
    assert not Entry.objects.exists()


def test_every_list_shows_the_readers_saved_papers(papers, reader, client, settings):
    for paper in papers[:2]:
        saving.add(Collection.reading_list(reader), paper)
    DailyEntry.objects.bulk_create(DailyEntry(paper=p, day=p.listed_on) for p in papers[:5])
    client.force_login(reader)
    wanted = {papers[0].arxiv_id, papers[1].arxiv_id}
    assert saved_buttons(client.get("/").content.decode()) == wanted
    assert saved_buttons(client.get(f"/daily/month/{papers[0].listed_on:%Y-%m}/").content.decode()) == wanted
    settings.PAPERTIDE_TRENDING_DAYS = 10_000  # the sample's days are long past
    assert saved_buttons(client.get("/trending/").content.decode()) == wanted
    found = client.get("/search/", {"q": papers[0].title_display}).content.decode()
    assert papers[0].arxiv_id in saved_buttons(found) and papers[3].arxiv_id not in saved_buttons(found)
    detail = client.get(papers[0].get_absolute_url()).content.decode()
    assert saved_buttons(detail) == {papers[0].arxiv_id}
    assert 'href="/papers/' in client.get("/").content.decode()  # the "Save to…" links
    assert f'href="/papers/{papers[3].arxiv_id}/save-to/?next=%2F"' in client.get("/").content.decode()


def test_pages_write_nothing_before_the_first_save(papers, reader):
    client = client_for(reader)
    paper = papers[0]
    for url in (
        "/library/",
        "/library/reading-list/",
        paper.get_absolute_url(),
        f"/papers/{paper.arxiv_id}/save-to/",
    ):
        response = client.get(url)
        assert response.status_code == 200 and "Reading list" in response.content.decode()
    assert not Collection.objects.exists()  # the reading list is shown, made by the first save
    response = client.post(f"/papers/{paper.arxiv_id}/save-to/", {"collections": ["reading-list"]})
    assert response.status_code == 302
    assert reading_list_ids(reader) == [paper.arxiv_id]


# Choosing collections


def test_save_to_puts_a_paper_in_several_collections_and_makes_a_new_one(papers, reader):
    client = client_for(reader)
    ideas = Collection.create(reader, "Ideas")
    paper = papers[0]
    page = client.get(f"/papers/{paper.arxiv_id}/save-to/?next=/search/%3Fq%3Dx")
    assert page.status_code == 200 and 'value="ideas"' in page.content.decode()
    response = client.post(
        f"/papers/{paper.arxiv_id}/save-to/",
        {"collections": ["reading-list", "ideas"], "new": "Graph papers", "next": "/search/?q=x"},
    )
    assert response.status_code == 302 and response["Location"] == "/search/?q=x"
    made = Collection.objects.get(owner=reader, name="Graph papers")
    assert made.slug == "graph-papers"
    assert set(Collection.objects.filter(entries__paper=paper).values_list("slug", flat=True)) == {
        "reading-list",
        "ideas",
        "graph-papers",
    }
    # Unchecking takes it out of those collections only.
    answer = client.post(f"/papers/{paper.arxiv_id}/save-to/", {"collections": ["ideas"]}, **JSON).json()
    assert answer["saved"] is False and answer["collections"] == ["ideas"]
    assert 'value="ideas" checked' in answer["html"]
    assert list(Collection.objects.filter(entries__paper=paper).values_list("slug", flat=True)) == ["ideas"]
    assert Collection.objects.get(pk=ideas.pk).changed_at > ideas.changed_at


def test_save_to_refuses_someone_elses_collection(papers, reader, outsider):
    theirs = Collection.create(outsider, "Secret")
    response = client_for(reader).post(
        f"/papers/{papers[0].arxiv_id}/save-to/", {"collections": [theirs.slug]}
    )
    assert response.status_code == 400 and "valid choice" in response.content.decode()
    too_long = client_for(reader).post(f"/papers/{papers[0].arxiv_id}/save-to/", {"new": "x" * 101}, **JSON)
    assert too_long.status_code == 400 and "100 characters" in too_long.json()["error"]
    assert not Entry.objects.exists()


# Read marks


def test_marking_read_and_unread(papers, reader):
    client = client_for(reader)
    url = f"/papers/{papers[0].arxiv_id}/read/"
    assert client.post(url, {"read": "1"}, **JSON).json() == {"paper": papers[0].arxiv_id, "read": True}
    client.post(url, {"read": "1"}, **JSON)
    assert ReadMark.objects.filter(user=reader).count() == 1
    page = client.get(papers[0].get_absolute_url()).content.decode()
    assert re.search(r'<form class="read-mark"[^>]*>.*?aria-pressed="true"[^>]*>Read ✓</button>', page)
    back = client.post(url, {"read": "0", "next": papers[0].get_absolute_url()})
    assert back["Location"] == papers[0].get_absolute_url()
    assert not ReadMark.objects.exists()


# The library and its collections


def test_library_page_lists_collections_reading_list_first_with_counts(papers, reader):
    client = client_for(reader)
    ideas = Collection.create(reader, "Ideas")
    for paper in papers[:4]:
        saving.add(ideas, paper)
    saving.add(Collection.reading_list(reader), papers[5])
    saving.mark_read(reader, papers[0], True)
    saving.mark_read(reader, papers[9], True)  # read, in no collection
    page = client.get("/library/").content.decode()
    assert page.index("Reading list") < page.index("Ideas")
    assert "2 papers read" in page
    ideas_row = page[page.index('id="collection-ideas"') :]
    assert "4 papers" in ideas_row and "1 read" in ideas_row
    # The last three additions, newest first.
    recent = re.findall(r'<li><a href="/papers/([^/]+)/">', ideas_row.split("</ul>")[0])
    assert recent == [p.arxiv_id for p in papers[3:0:-1]]


def test_making_a_collection_from_the_library_page(reader):
    client = client_for(reader)
    response = client.post("/library/", {"name": "  Robot learning ", "description": "arms"})
    assert response.status_code == 302 and response["Location"] == "/library/robot-learning/"
    made = Collection.objects.get(owner=reader, slug="robot-learning")
    assert (made.name, made.description, made.public) == ("Robot learning", "arms", False)
    refused = client.post("/library/", {"name": "   "})
    assert refused.status_code == 400 and "A collection needs a name." in refused.content.decode()
    client.post("/library/", {"name": "Robot learning"})
    assert Collection.objects.filter(owner=reader, slug="robot-learning-2").exists()
    # A collection named like the reading list never takes its address.
    assert client.post("/library/", {"name": "Reading list"})["Location"] == "/library/reading-list-2/"
    assert Collection.objects.get(owner=reader, slug="reading-list").is_reading_list


def test_a_collection_made_twice_in_the_same_instant_gets_the_next_address(reader, monkeypatch):
    """Another tab's "Ideas" lands between this request's look at the taken addresses and its insert (a
    double click on "make"): the unique address refuses the row, and this one takes the next address."""
    from papertide.library.models import CollectionQuerySet

    real_values_list = CollectionQuerySet.values_list
    looks = []

    def look_before_the_other_tab_lands(self, *args, **kwargs):
        seen = list(real_values_list(self, *args, **kwargs))
        if not looks:
            Collection.objects.bulk_create([Collection(owner=reader, name="Ideas", slug="ideas")])
        looks.append(seen)
        return seen

    monkeypatch.setattr(CollectionQuerySet, "values_list", look_before_the_other_tab_lands)
    made = Collection.create(reader, "Ideas")
    assert made.slug == "ideas-2" and looks == [[], ["ideas"]]
    assert sorted(Collection.objects.filter(owner=reader).values_list("slug", flat=True)) == [
        "ideas",
        "ideas-2",
    ]


def test_renaming_describing_and_sharing_keep_the_address(reader):
    client = client_for(reader)
    Collection.create(reader, "Ideas")
    response = client.post(
        "/library/ideas/edit/", {"name": "Better ideas", "description": "for later", "public": "on"}
    )
    assert response["Location"] == "/library/ideas/"
    made = Collection.objects.get(owner=reader)
    assert (made.name, made.slug, made.description, made.public) == (
        "Better ideas",
        "ideas",
        "for later",
        True,
    )
    assert client.post("/library/ideas/edit/", {"name": ""}).status_code == 400
    client.post("/library/ideas/edit/", {"name": "Better ideas"})  # unchecked: private again
    assert not Collection.objects.get(owner=reader).public


def test_deleting_a_collection_asks_first_and_keeps_the_papers(papers, reader):
    client = client_for(reader)
    ideas = Collection.create(reader, "Ideas")
    saving.add(ideas, papers[0])
    confirm = client.get("/library/ideas/delete/")
    assert confirm.status_code == 200 and "Delete “Ideas”?" in confirm.content.decode()
    assert Collection.objects.filter(pk=ideas.pk).exists()  # asking deletes nothing
    assert client.post("/library/ideas/delete/")["Location"] == "/library/"
    assert not Collection.objects.filter(pk=ideas.pk).exists() and not Entry.objects.exists()
    assert papers[0].__class__.objects.filter(pk=papers[0].pk).exists()
    Collection.reading_list(reader)
    refused = client.post("/library/reading-list/delete/")
    assert refused.status_code == 400 and "cannot be deleted" in refused.content.decode()


def test_removing_a_paper_from_a_collection(papers, reader):
    client = client_for(reader)
    ideas = Collection.create(reader, "Ideas")
    saving.add(ideas, papers[0])
    saving.add(ideas, papers[1])
    response = client.post("/library/ideas/remove/", {"paper": papers[0].arxiv_id, "next": "/library/ideas/"})
    assert response["Location"] == "/library/ideas/"
    assert list(ideas.papers.values_list("arxiv_id", flat=True)) == [papers[1].arxiv_id]
    assert client.post("/library/ideas/remove/", {"paper": "not an id"}).status_code == 400


def test_collection_page_lists_papers_newest_added_first_with_read_state(papers, reader, settings):
    settings.PAPERTIDE_PAGE_SIZE = 3
    client = client_for(reader)
    ideas = Collection.create(reader, "Ideas")
    for paper in papers[:5]:
        saving.add(ideas, paper)
    saving.mark_read(reader, papers[4], True)
    first = client.get("/library/ideas/").content.decode()
    assert re.findall(r'<li class="paper" id="paper-([^"]+)"', first) == [p.arxiv_id for p in papers[4:1:-1]]
    assert "5 papers" in first and "Page 1 of 2" in first
    assert escape(papers[4].authors_preview[0]) in first
    assert re.search(
        rf'action="/papers/{re.escape(papers[4].arxiv_id)}/read/"[^>]*>(?:(?!</form>).)*Read ✓', first
    )
    second = client.get("/library/ideas/?page=2").content.decode()
    assert re.findall(r'<li class="paper" id="paper-([^"]+)"', second) == [p.arxiv_id for p in papers[1::-1]]


def test_an_interest_collection_leaves_room_for_rating_buttons(papers, reader):
    ideas = Collection.create(reader, "Ideas")
    saving.add(ideas, papers[0])
    page = client_for(reader).get("/library/ideas/").content.decode()
    assert "{#" not in page  # the placeholders are template comments: nothing shows
    Interest.objects.create(owner=reader, name="Ideas", collection=ideas)
    assert client_for(reader).get("/library/ideas/").status_code == 200


def test_someone_elses_collection_is_not_found(reader, outsider, client):
    Collection.create(reader, "Secret")
    for url in ("/library/secret/", "/library/secret/edit/", "/library/secret/delete/"):
        assert client_for(outsider).get(url).status_code == 404
    assert client_for(outsider).post("/library/secret/delete/").status_code == 404
    assert Collection.objects.filter(owner=reader).exists()
    assert client.get("/library/secret/")["Location"].startswith("/accounts/login/")  # anonymous: log in


# Public collections and their feeds


def test_a_private_collection_has_no_public_page_or_feed(papers, reader, outsider, client):
    secret = Collection.create(reader, "Secret")
    saving.add(secret, papers[0])
    for who in (client, client_for(outsider), client_for(reader)):
        assert who.get("/u/ada/secret/").status_code == 404
        assert who.get("/u/ada/secret/feed/").status_code == 404
    assert client.get("/u/nobody/secret/").status_code == 404


def test_a_public_collection_has_a_page_and_an_atom_feed_newest_added_first(papers, reader, client):
    shared = Collection.create(reader, "Graphs", public=True, description="Graph neural networks")
    for paper in papers[:3]:
        saving.add(shared, paper)
    page = client.get("/u/ada/graphs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Graph neural networks" in html and escape(papers[0].title_display) in html
    assert "Remove" not in html  # the owner's controls stay on the owner's page
    feed = feedparser.parse(client.get("/u/ada/graphs/feed/").content)
    assert not feed.bozo
    assert feed.feed.title == "Graphs, a collection by ada"
    assert feed.feed.subtitle == "Graph neural networks"
    assert [e.link.rsplit("/papers/", 1)[1].rstrip("/") for e in feed.entries] == [
        p.arxiv_id for p in reversed(papers[:3])
    ]
    assert feed.entries[0].title == papers[2].title_display
    assert feed.entries[0].summary == papers[2].abstract_display
    # Made private again: gone for everyone.
    shared.public = False
    shared.save()
    assert client.get("/u/ada/graphs/feed/").status_code == 404


def test_a_suspended_readers_public_collection_is_not_found(reader, client):
    Collection.create(reader, "Graphs", public=True)
    reader.is_active = False
    reader.save()
    assert client.get("/u/ada/graphs/").status_code == 404


# What pages cost


def test_library_page_query_count_does_not_grow(papers, reader):
    client = client_for(reader)
    Collection.reading_list(reader)
    one = Collection.create(reader, "One")
    saving.add(one, papers[0])
    few = count_queries(client, "/library/")
    for n in range(5):
        made = Collection.create(reader, f"More {n}")
        for paper in papers[n * 5 : n * 5 + 5]:
            saving.add(made, paper)
            saving.mark_read(reader, paper, True)
    many = count_queries(client, "/library/")
    assert few == many <= 6  # session, user, collections, last additions, read total (+1 spare)


def test_collection_page_query_count_does_not_grow(papers, reader, settings):
    settings.PAPERTIDE_PAGE_SIZE = 30
    client = client_for(reader)
    ideas = Collection.create(reader, "Ideas")
    saving.add(ideas, papers[0])
    few = count_queries(client, "/library/ideas/")
    ideas.public = True
    ideas.save()
    few_public = count_queries(Client(), "/u/ada/ideas/")
    for paper in papers[1:30]:
        saving.add(ideas, paper)
        saving.mark_read(reader, paper, True)
        saving.add(Collection.reading_list(reader), paper)
    many = count_queries(client, "/library/ideas/")
    # session, user, collection, count, page, rows and their code links (community.rows), read marks,
    # saved papers
    assert few == many <= 9
    assert few_public == count_queries(Client(), "/u/ada/ideas/") <= 5  # collection, count, page, rows, links


def test_newest_and_daily_lists_save_buttons_cost_one_query(papers, reader, settings):
    settings.PAPERTIDE_PAGE_SIZE = 40
    client = client_for(reader)
    DailyEntry.objects.bulk_create(DailyEntry(paper=p, day=p.listed_on) for p in papers)
    month = f"/daily/month/{papers[0].listed_on:%Y-%m}/"
    saving.add(Collection.reading_list(reader), papers[0])
    client.get("/")  # the pager's total is counted once a minute (catalog/counts.py): counted here
    client.get(month)  # the daily list's rows are kept while no vote, entry or comment changes: kept here
    few = {url: count_queries(client, url) for url in ("/", month)}
    for paper in papers[1:]:
        saving.add(Collection.reading_list(reader), paper)
    many = {url: count_queries(client, url) for url in ("/", month)}
    assert few == many
    html = client.get("/").content.decode()
    assert len(saved_buttons(html)) == len(papers)
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert sum("library_entry" in q["sql"] for q in queries.captured_queries) == 1


def test_every_library_url_is_documented():
    from pathlib import Path

    from papertide.library import collection_views

    text = (Path(__file__).resolve().parent.parent / "docs" / "library.md").read_text()
    for pattern in collection_views.urlpatterns:
        route = "/" + str(pattern.pattern).lstrip("^").rstrip("$")
        route = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", route.replace(collection_views.URL_ID, "<id>"))
        assert f"`{route}" in text or f" {route}`" in text, f"{route} is not in docs/library.md"
