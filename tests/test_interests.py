"""Interests made by a reader, the for-you page and ratings, on real papers: the first 300 papers of a
real listing day, imported on that day (so that first_seen falls on it) and looked at the day after."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from papertide.library import recommend
from papertide.library.collection_views import SUGGESTED_PERIOD
from papertide.library.models import Collection, Entry, Interest, Rating
from tests.personas import client_for
from tests.search_data import import_sample

pytestmark = pytest.mark.django_db

LISTING_DAY = datetime(2025, 3, 18, 20, 30, tzinfo=UTC)  # when the sample papers are first seen
NEXT_DAY = datetime(2025, 3, 19, 9, 0, tzinfo=UTC)  # the reader looks the morning after


@pytest.fixture
def papers():
    with time_machine.travel(LISTING_DAY, tick=False):
        return import_sample()


@pytest.fixture
def clock():
    with time_machine.travel(NEXT_DAY, tick=False) as traveller:
        yield traveller


def about(papers, word):
    return [p for p in papers if word in p.title.lower()]


def collection_of(user, papers, name="Diffusion"):
    collection = Collection.create(user, name)
    Entry.objects.bulk_create(Entry(collection=collection, paper=p) for p in papers)
    return collection


def interest_on(user, papers, name="Diffusion"):
    interest = Interest.objects.create(owner=user, name=name, collection=collection_of(user, papers, name))
    recommend.train(interest)
    return interest


def rows(response) -> list[str]:
    return re.findall(r'<li class="paper[^"]*" id="paper-([^"]+)"', response.content.decode())


# --- making an interest ---------------------------------------------------------------------------------


def test_an_interest_from_a_collection_is_named_after_it_and_learns_at_once(reader, papers, clock):
    collection = collection_of(reader, about(papers, "diffusion")[:10], "Diffusion models")
    response = client_for(reader).post(reverse("interest-from-collection"), {"collection": collection.slug})
    interest = Interest.objects.get(owner=reader)
    assert response.status_code == 302 and response["Location"] == f"/for-you/?interest={interest.pk}"
    assert (interest.name, interest.collection) == ("Diffusion models", collection)
    assert interest.weights and interest.positives == 10 and interest.trained_at == NEXT_DAY

    again = client_for(reader).post(reverse("interest-from-collection"), {"collection": collection.slug})
    assert again.status_code == 400 and "is an interest already" in again.content.decode()


def test_an_interest_from_words_keeps_its_words_and_the_papers_they_found(reader, papers, clock):
    response = client_for(reader).post(reverse("interest-from-words"), {"words": "diffusion models"})
    assert response.status_code == 302
    interest = Interest.objects.get(owner=reader)
    assert interest.name == "diffusion models" and interest.query == "diffusion models"
    assert interest.seeds == recommend.seeds_from_words("diffusion models")
    assert len(interest.seeds) == recommend.SEEDS_FROM_WORDS and interest.collection is None
    assert interest.weights and interest.positives == len(interest.seeds)


def test_an_interest_from_three_papers_makes_a_collection_of_them(reader, papers, clock):
    chosen = about(papers, "diffusion")[:3]
    given = f"{chosen[0].arxiv_id}\nhttps://arxiv.org/abs/{chosen[1].arxiv_id}v1, arXiv:{chosen[2].arxiv_id}"
    response = client_for(reader).post(
        reverse("interest-from-papers"), {"name": "Video diffusion", "papers": given}
    )
    assert response.status_code == 302
    interest = Interest.objects.select_related("collection").get(owner=reader)
    assert interest.name == interest.collection.name == "Video diffusion"
    assert set(interest.collection.papers.all()) == set(chosen)
    assert interest.weights and interest.positives == 3


@pytest.mark.parametrize(
    "papers_text, error",
    [
        ("{0} {1}", "needs at least 3 different papers; 2 given"),
        ("{0} {0} {1} {0}", "needs at least 3 different papers; 2 given"),
        ("{0} {1} 2501.99999", "not in this catalog: 2501.99999"),
        ("{0} {1} not-an-id", "'not-an-id' is not an arXiv id"),
        ("", "give at least 3 arXiv ids or URLs"),
    ],
)
def test_an_interest_from_papers_refuses_what_it_cannot_use(reader, papers, papers_text, error):
    text = papers_text.format(papers[0].arxiv_id, papers[1].arxiv_id)
    response = client_for(reader).post(reverse("interest-from-papers"), {"name": "x", "papers": text})
    assert response.status_code == 400
    assert error in response.content.decode().replace("&#x27;", "'")
    assert not Interest.objects.exists() and not Collection.objects.exists()


def test_an_interest_from_words_needs_words_that_find_something(reader):
    client = client_for(reader)
    empty = client.post(reverse("interest-from-words"), {"words": "   "})
    assert empty.status_code == 400 and "give a few words" in empty.content.decode()
    # An empty catalog: the search finds nothing, and the reader is told so.
    nothing = client.post(reverse("interest-from-words"), {"words": "diffusion models"})
    assert nothing.status_code == 400 and "found nothing" in nothing.content.decode()
    assert not Interest.objects.exists()


def test_a_collection_of_someone_else_cannot_become_my_interest(reader, outsider, papers):
    theirs = collection_of(outsider, papers[:5], "Theirs")
    response = client_for(reader).post(reverse("interest-from-collection"), {"collection": theirs.slug})
    assert response.status_code == 404 and not Interest.objects.exists()


def test_the_interests_page_lists_counts_and_state_and_saves_settings(reader, papers, clock):
    interest = interest_on(reader, about(papers, "diffusion")[:10])
    Rating.objects.create(user=reader, interest=interest, paper=papers[0], value=Rating.LESS)
    recommend.train(interest)
    client = client_for(reader)
    page = client.get(reverse("interests")).content.decode()
    assert "10 positives" in page and "1 rated negative" in page and "1 rating" in page
    assert "trained 0" in page  # "trained 0 minutes ago"

    bad = client.post(
        reverse("interest-edit", args=[interest.pk]),
        {f"i{interest.pk}-name": "D", f"i{interest.pk}-threshold": "1.5"},
    )
    assert bad.status_code == 400 and "the threshold is a match from 0 to 1" in bad.content.decode()
    saved = client.post(
        reverse("interest-edit", args=[interest.pk]),
        {f"i{interest.pk}-name": "Diffusion, sharper", f"i{interest.pk}-threshold": "0.8"},
    )
    assert saved.status_code == 302
    interest.refresh_from_db()
    assert (interest.name, interest.threshold, interest.in_digest) == ("Diffusion, sharper", 0.8, False)

    assert client.post(reverse("interest-delete", args=[interest.pk])).status_code == 302
    assert not Interest.objects.exists() and not Rating.objects.exists()
    assert Collection.objects.filter(owner=reader).exists(), "its collection stays"


# --- ratings ---------------------------------------------------------------------------------------------


def test_rating_retrains_at_once_and_the_same_button_undoes_it(reader, papers, clock):
    interest = interest_on(reader, about(papers, "diffusion")[:10])
    first_training = interest.trained_at
    paper = next(p for p in papers if "diffusion" not in p.title.lower())
    client = client_for(reader)
    url = reverse("interest-rate", args=[interest.pk, paper.arxiv_id])
    json = {"HTTP_ACCEPT": "application/json"}

    clock.shift(60)
    more = client.post(url, {"value": "1"}, **json).json()
    assert (more["value"], more["positives"], more["negatives"], more["ratings"]) == (1, 11, 0, 1)
    interest.refresh_from_db()
    assert interest.positives == 11 and interest.trained_at > first_training and not interest.stale

    clock.shift(60)
    less = client.post(url, {"value": "-1"}, **json).json()
    assert (less["value"], less["positives"], less["negatives"], less["ratings"]) == (-1, 10, 1, 1)
    assert Rating.objects.get().value == Rating.LESS  # one rating per interest and paper, updated

    clock.shift(60)
    undone = client.post(url, {"value": "0"}, **json).json()
    assert (undone["value"], undone["positives"], undone["negatives"], undone["ratings"]) == (0, 10, 0, 0)
    interest.refresh_from_db()
    assert not Rating.objects.exists() and interest.trained_at == datetime(2025, 3, 19, 9, 3, tzinfo=UTC)


def test_rating_without_js_returns_to_the_page_and_only_to_this_site(reader, papers, clock):
    interest = interest_on(reader, about(papers, "diffusion")[:10])
    client = client_for(reader)
    url = reverse("interest-rate", args=[interest.pk, papers[0].arxiv_id])
    back = client.post(url, {"value": "1", "next": "/for-you/?period=day"})
    assert back.status_code == 302 and back["Location"] == "/for-you/?period=day"
    away = client.post(url, {"value": "-1", "next": "//evil.example/"})
    assert away["Location"] == "/for-you/"
    assert client.get(url).status_code == 405, "a GET changes nothing"
    bad = client.post(url, {"value": "5"})
    assert bad.status_code == 400 and "value must be 1" in bad.content.decode()
    assert (
        client.post(reverse("interest-rate", args=[interest.pk, "2501.99999"]), {"value": "1"}).status_code
        == 404
    )


def test_another_readers_interest_is_a_404(reader, outsider, papers, clock):
    interest = interest_on(reader, about(papers, "diffusion")[:10])
    client = client_for(outsider)
    paper = papers[0].arxiv_id
    assert client.post(reverse("interest-rate", args=[interest.pk, paper]), {"value": "1"}).status_code == 404
    assert client.get(reverse("interest-sharpen", args=[interest.pk])).status_code == 404
    assert client.get(reverse("interest-sharpen-next", args=[interest.pk])).status_code == 404
    assert client.post(reverse("interest-edit", args=[interest.pk]), {"i1-name": "mine"}).status_code == 404
    assert client.post(reverse("interest-delete", args=[interest.pk])).status_code == 404
    assert client.get(reverse("for-you"), {"interest": interest.pk}).status_code == 404
    assert not Rating.objects.exists() and Interest.objects.get().name == "Diffusion"


# --- the for-you page -----------------------------------------------------------------------------------


def test_for_you_says_why_with_the_two_nearest_saved_papers(reader, papers, clock):
    saved = about(papers, "diffusion")[:10]
    interest_on(reader, saved)
    response = client_for(reader).get(reverse("for-you"))
    assert response.status_code == 200
    page = response.content.decode()
    shown = rows(response)
    assert len(shown) == 50 and not {p.arxiv_id for p in saved} & set(shown)

    expected = recommend.attach_papers(
        recommend.for_you(reader, datetime(2025, 3, 12, 9, tzinfo=UTC), NEXT_DAY)
    )
    assert shown == [r.paper.arxiv_id for r in expected]
    first = expected[0]
    x, y = first.near_papers
    assert {x, y} <= set(saved)
    row = page[page.index(f'id="paper-{first.paper.arxiv_id}"') :]
    why = re.search(r'<div class="why">(.*?)</div>', row, re.S).group(1)
    text = re.sub(r"<[^>]+>", "", why)
    assert text.startswith(f"for Diffusion: {first.percent}% match, close to ")
    assert text.endswith(" that you saved")
    assert re.findall(r'class="near" href="([^"]+)"', why) == [x.get_absolute_url(), y.get_absolute_url()]
    assert 'class="votes"' in row and "More like this" in row and "Less like this" in row


def test_for_you_costs_the_same_queries_for_fewer_rows_and_says_when_they_run_out(
    reader, papers, clock, django_assert_num_queries
):
    saved = about(papers, "diffusion")[:10]
    interest_on(reader, saved)
    client = client_for(reader)
    client.get(reverse("for-you"))  # the vectors come into this process's memory once
    with CaptureQueriesContext(connection) as full:
        response = client.get(reverse("for-you"))
    assert len(rows(response)) == 50 and "The best 50 of the last week" in response.content.decode()
    # Most of the day's papers go to the reading list: 45 new papers are left to rank.
    reading = Collection.reading_list(reader)
    rest = [p for p in papers if p not in saved][:245]
    Entry.objects.bulk_create(Entry(collection=reading, paper=p) for p in rest)
    with django_assert_num_queries(len(full)):
        fewer = client.get(reverse("for-you"))
    assert len(rows(fewer)) == 45
    page = fewer.content.decode()
    assert "That is every new paper of the last week" in page and "?period=month" in page


def test_for_you_empty_states_say_what_to_do(reader, papers, clock):
    client = client_for(reader)
    none = client.get(reverse("for-you")).content.decode()
    assert "You have no interests yet" in none and reverse("interests") in none

    interest_on(reader, about(papers, "diffusion")[:10])
    clock.move_to(datetime(2025, 3, 27, 9, 0, tzinfo=UTC))  # eight days later: nothing new this week
    quiet = client.get(reverse("for-you")).content.decode()
    assert "Nothing new for your interests in the last week" in quiet and "?period=month" in quiet
    assert len(rows(client.get(reverse("for-you"), {"period": "month"}))) == 50
    assert client.get(reverse("for-you"), {"period": "year"}).status_code == 400
    assert client.get(reverse("for-you"), {"interest": "diffusion"}).status_code == 400


def test_for_you_says_when_an_interest_is_still_waiting_for_vectors(reader, clock):
    with time_machine.travel(LISTING_DAY, tick=False):
        papers = import_sample(20, embed=False)
    interest = interest_on(reader, papers[:3])
    assert not interest.weights
    page = client_for(reader).get(reverse("for-you")).content.decode()
    assert "still being embedded" in page and "Diffusion" in page


def test_for_you_filters_by_one_interest(reader, papers, clock):
    diffusion = interest_on(reader, about(papers, "diffusion")[:10])
    graphs = interest_on(reader, about(papers, "graph")[:5], "Graphs")
    response = client_for(reader).get(reverse("for-you"), {"interest": graphs.pk})
    page = re.sub(r"<[^>]+>", "", response.content.decode())
    assert len(rows(response)) == 50 and "for Graphs:" in page and "for Diffusion:" not in page
    assert diffusion.pk != graphs.pk


# --- sharpen ---------------------------------------------------------------------------------------------


def test_sharpen_asks_about_five_unsure_papers_and_the_next_leaves_out_those_shown(reader, papers, clock):
    interest = interest_on(reader, about(papers, "diffusion")[:10])
    client = client_for(reader)
    response = client.get(reverse("interest-sharpen", args=[interest.pk]))
    shown = rows(response)
    expected = recommend.uncertain(interest, [p.pk for p in papers][::-1], count=5)
    by_pk = {p.pk: p.arxiv_id for p in papers}
    assert shown == [by_pk[r.paper_id] for r in expected]
    assert f'data-ratings-of="{interest.pk}">0<' in response.content.decode()

    Rating.objects.create(user=reader, interest=interest, paper_id=expected[0].paper_id, value=Rating.MORE)
    recommend.train(interest)
    following = client.get(
        reverse("interest-sharpen-next", args=[interest.pk]), {"shown": ",".join(shown[1:])}
    )
    assert following.status_code == 200
    [new] = rows(following)
    assert new not in shown and "More like this" in following.content.decode()
    assert (
        client.get(reverse("interest-sharpen-next", args=[interest.pk]), {"shown": "junk"}).status_code == 400
    )


def test_a_visitor_is_sent_to_log_in_and_changes_nothing(client, reader, papers, clock):
    interest = interest_on(reader, about(papers, "diffusion")[:10])
    for url in (reverse("for-you"), reverse("interests"), reverse("interest-sharpen", args=[interest.pk])):
        assert client.get(url)["Location"].startswith("/accounts/login/")
    rate = client.post(reverse("interest-rate", args=[interest.pk, papers[0].arxiv_id]), {"value": "1"})
    assert rate["Location"].startswith("/accounts/login/") and not Rating.objects.exists()


# --- a collection that is an interest -------------------------------------------------------------------


def test_a_collection_page_offers_to_become_an_interest(reader, papers, clock):
    collection = collection_of(reader, about(papers, "diffusion")[:10], "Diffusion models")
    page = client_for(reader).get(reverse("collection", args=[collection.slug])).content.decode()
    assert f'action="{reverse("interest-from-collection")}"' in page and "Use as an interest" in page
    assert 'class="rate"' not in page


def test_an_interest_collection_page_rates_its_papers_and_suggests_new_ones(reader, papers, clock):
    diffusion = about(papers, "diffusion")
    interest = interest_on(reader, diffusion[:10])
    Rating.objects.create(user=reader, interest=interest, paper=diffusion[0], value=Rating.LESS)
    response = client_for(reader).get(reverse("collection", args=[interest.collection.slug]))
    page = response.content.decode()
    assert "Use as an interest" not in page
    own = re.search(rf'id="paper-{re.escape(diffusion[0].arxiv_id)}".*?</li>', page, re.S).group(0)
    assert 'class="less" name="value" value="0" aria-pressed="true"' in own  # pressed: a click undoes it
    suggested = [r.paper.arxiv_id for r in response.context["suggested"]]
    expected = recommend.for_you(reader, NEXT_DAY - SUGGESTED_PERIOD, NEXT_DAY, [interest.pk], 5)
    assert suggested == [papers_by_id(papers)[r.paper_id] for r in expected] and len(suggested) == 5
    assert not set(suggested) & {p.arxiv_id for p in diffusion[:10]}


def test_an_interest_collection_page_costs_the_same_queries_for_more_papers(reader, papers, clock):
    diffusion = about(papers, "diffusion")
    small, large = interest_on(reader, diffusion[:3], "small"), interest_on(reader, diffusion[3:20], "large")
    client = client_for(reader)
    client.get(reverse("collection", args=[small.collection.slug]))  # the session and vectors, once
    counts = []
    for interest in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("collection", args=[interest.collection.slug])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def papers_by_id(papers):
    return {p.pk: p.arxiv_id for p in papers}
