"""Interests learn from real papers: trained on some diffusion papers of a real listing day, they rank
that day's other diffusion papers first, say why, and learn from "less like this"."""

from datetime import UTC, datetime

import pytest
import time_machine

from papertide.catalog.models import Paper
from papertide.library import recommend
from papertide.library.models import Collection, Entry, Interest, Rating
from tests.search_data import import_sample

pytestmark = pytest.mark.django_db

DAY_START = datetime(2025, 3, 18, tzinfo=UTC)  # the listing day of the first 300 listing papers
DAY_END = datetime(2025, 3, 19, tzinfo=UTC)


@pytest.fixture
def papers():
    with time_machine.travel(datetime(2025, 3, 18, 20, 30, tzinfo=UTC), tick=False):
        return import_sample()


def about(papers, word):
    return [p for p in papers if word in p.title.lower()]


def interest_from(reader, papers, name="diffusion"):
    collection = Collection.create(reader, name)
    Entry.objects.bulk_create(Entry(collection=collection, paper=p) for p in papers)
    return Interest.objects.create(owner=reader, name=name, collection=collection)


def test_an_interest_ranks_its_topic_first_and_says_why(reader, papers):
    diffusion = about(papers, "diffusion")
    saved, held_out = diffusion[:10], {p.pk for p in diffusion[10:]}
    interest = interest_from(reader, saved)
    assert recommend.train(interest)
    assert interest.positives == 10 and interest.negatives == 0

    ranked = recommend.for_you(reader, DAY_START, DAY_END, limit=300)
    ids = [r.paper_id for r in ranked]
    assert not {p.pk for p in saved} & set(ids), "papers already saved are not recommended"
    top = ids[:20]
    # 16 held-out diffusion papers among 290: a random ranking puts about one in the top 20.
    assert len(held_out & set(top)) >= 8
    first = ranked[0]
    assert first.interest == interest and 0.5 < first.match <= 1
    assert len(first.near) == 2 and set(first.near) <= {p.pk for p in saved}


def test_less_like_this_pushes_a_paper_and_its_kind_down(reader, papers):
    diffusion = about(papers, "diffusion")
    interest = interest_from(reader, diffusion[:10])
    recommend.train(interest)
    before = {r.paper_id: r.match for r in recommend.for_you(reader, DAY_START, DAY_END, limit=300)}
    disliked = Paper.objects.get(pk=max(before, key=before.get))
    Rating.objects.create(user=reader, interest=interest, paper=disliked, value=Rating.LESS)
    interest.changed()
    assert recommend.retrain_stale() == 1
    after = {r.paper_id: r.match for r in recommend.for_you(reader, DAY_START, DAY_END, limit=300)}
    assert disliked.pk not in after, "a rated paper is not offered again for that interest"
    interest.refresh_from_db()
    assert interest.negatives == 1 and not interest.stale


def test_sharpen_offers_the_papers_it_is_least_sure_of(reader, papers):
    interest = interest_from(reader, about(papers, "diffusion")[:10])
    recommend.train(interest)
    candidates = [p.pk for p in papers]
    unsure = recommend.uncertain(interest, candidates, count=5)
    assert len(unsure) == 5
    everything = recommend.rank([interest], candidates, limit=300)
    distance = sorted(abs(r.match - 0.5) for r in everything)
    assert max(abs(r.match - 0.5) for r in unsure) <= distance[4] + 1e-6


def test_an_interest_without_vectors_waits_untrained(reader):
    with time_machine.travel(datetime(2025, 3, 18, 20, 30, tzinfo=UTC), tick=False):
        papers = import_sample(20, embed=False)
    interest = interest_from(reader, papers[:3])
    assert not recommend.train(interest)
    assert recommend.for_you(reader, DAY_START, DAY_END) == []
