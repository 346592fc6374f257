"""Hybrid search over real papers embedded with the real model: ranking, filters, partial embedding."""

from datetime import date

import pytest

from papertide.catalog.models import Paper
from papertide.search import backends, engine
from papertide.search.embedding import coverage, embed_pending, pending
from papertide.search.models import PaperVector
from tests.search_data import import_sample, listing_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers():
    return import_sample()


def arxiv_ids(hits) -> list[str]:
    by_id = Paper.objects.in_bulk([h.paper_id for h in hits])
    return [by_id[h.paper_id].arxiv_id for h in hits]


def test_every_mode_finds_a_paper_by_its_title(papers):
    paper = papers[7]
    for mode in ("hybrid", "keyword", "semantic"):
        results = engine.search(paper.title, limit=5, mode=mode)
        assert results.mode == mode
        assert arxiv_ids(results.hits)[0] == paper.arxiv_id, mode


def test_meaning_is_found_without_the_words(papers):
    # The abstract's own first sentence, reworded by hand into words that are not in the paper: only the
    # semantic side can find it; hybrid must keep it near the top.
    target = next(p for p in papers if "prosthetic vision" in p.title.lower())
    query = "artificial sight implants for blind patients and recognising faces"
    semantic = arxiv_ids(engine.search(query, limit=5, mode="semantic").hits)
    hybrid = arxiv_ids(engine.search(query, limit=5).hits)
    assert target.arxiv_id in semantic[:3]
    assert target.arxiv_id in hybrid[:5]


def test_hits_carry_both_shares_and_are_ordered(papers):
    results = engine.search("diffusion models for image generation", limit=10)
    scores = [h.score for h in results.hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= h.keyword <= 1.0 and 0.0 <= h.semantic <= 1.0 for h in results.hits)
    assert any(h.keyword > 0 for h in results.hits) and any(h.semantic > 0 for h in results.hits)


def test_filters_category_dates_and_code(papers):
    rows = {r["id"]: r for r in listing_rows()}
    hits = engine.search("learning", limit=50, filters=engine.Filters(category="cs.RO")).hits
    assert hits
    assert all("cs.RO" in rows[a]["categories"] for a in arxiv_ids(hits))

    days = sorted({r["first_listing_date"] for r in rows.values()})
    day = date.fromisoformat(days[-1])
    hits = engine.search("learning", limit=50, filters=engine.Filters(since=day, until=day)).hits
    assert hits
    assert all(rows[a]["first_listing_date"] == days[-1] for a in arxiv_ids(hits))

    hits = engine.search("learning", limit=50, filters=engine.Filters(has_code=True)).hits
    assert hits
    coded = set(
        Paper.objects.filter(code_links__kind__in=engine.CODE_KINDS).values_list("arxiv_id", flat=True)
    )
    assert set(arxiv_ids(hits)) <= coded


def test_search_works_while_embedding_runs():
    import_sample(embed=False)
    assert coverage() == (0, 300)
    only_words = engine.search("segmentation", limit=10)
    assert only_words.mode == "keyword" and only_words.hits
    assert engine.search("segmentation", limit=10, mode="semantic").hits == only_words.hits
    embed_pending(batch_size=50, limit=100)
    assert coverage() == (100, 300)
    results = engine.search("segmentation", limit=10)
    assert results.mode == "hybrid"
    # the newest papers are embedded first
    newest = set(Paper.objects.newest().values_list("pk", flat=True)[:100])
    assert set(PaperVector.objects.values_list("paper_id", flat=True)) == newest


def test_a_title_finds_its_paper_first_whether_it_is_embedded_or_not(papers):
    # The catalog as the worker leaves it a third of the way through: the newest 100 of 300 embedded.
    embedded = set(Paper.objects.newest().values_list("pk", flat=True)[:100])
    PaperVector.objects.exclude(paper_id__in=embedded).delete()
    # The papers whose title finds them first by its words alone (near-duplicate titles may not).
    found_by_words = [
        p for p in papers if engine.search(p.title, limit=1, mode="keyword").hits[0].paper_id == p.pk
    ]
    with_vector = [p for p in found_by_words if p.pk in embedded][:8]
    without = [p for p in found_by_words if p.pk not in embedded][:8]
    assert len(with_vector) == len(without) == 8
    for paper in with_vector + without:
        results = engine.search(paper.title, limit=10)
        assert results.mode == "hybrid"
        assert results.hits[0].paper_id == paper.pk, (paper.title, paper.pk in embedded)


def test_changing_the_model_makes_vectors_pending(papers, settings):
    assert pending().count() == 0
    settings.PAPERTIDE_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2-renamed-for-test"
    assert pending().count() == len(papers)
    assert engine.search(papers[0].title, limit=3).mode == "keyword"  # no vector of this model yet


def test_similar_papers_are_near_in_meaning(papers):
    paper = papers[0]
    nearest = engine.similar(paper.pk, limit=5)
    assert len(nearest) == 5 and paper.pk not in [i for i, _ in nearest]
    assert [s for _, s in nearest] == sorted((s for _, s in nearest), reverse=True)


def test_new_vectors_reach_a_running_process(papers, monkeypatch):
    from papertide.search.backends import sqlite

    monkeypatch.setattr(sqlite, "REFRESH_SECONDS", 0.0)
    first = len(engine.catalog_vectors())
    PaperVector.objects.filter(paper_id=papers[0].pk).delete()
    backends.current().forget()  # a process started now
    assert len(engine.catalog_vectors()) == first - 1
    embed_pending()
    assert len(engine.catalog_vectors()) == first


def test_vectors_stored_in_one_instant_are_read_once(papers, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    if connection.vendor != "sqlite":
        pytest.skip("vectors are held in memory in SQLite mode (PostgreSQL searches them in the database)")
    from papertide.search.backends import sqlite

    monkeypatch.setattr(sqlite, "REFRESH_SECONDS", 0.0)
    backend = backends.current()
    PaperVector.objects.update(updated_at=timezone.now())  # as one bulk insert leaves them
    backend.forget()
    assert len(engine.catalog_vectors()) == len(papers)
    with CaptureQueriesContext(connection) as top_up:
        engine.catalog_vectors()
    assert len(top_up.captured_queries) == 1
    assert backend.memory().matrix is engine.catalog_vectors()  # nothing re-read, nothing re-added
    same_instant = PaperVector.objects.order_by("paper_id").last()
    PaperVector.objects.filter(paper_id=same_instant.paper_id).delete()
    backend.forget()
    assert len(engine.catalog_vectors()) == len(papers) - 1
    PaperVector.objects.create(
        paper_id=same_instant.paper_id, model=same_instant.model, vector=same_instant.vector
    )
    PaperVector.objects.filter(paper_id=same_instant.paper_id).update(updated_at=backend.memory().seen[0])
    assert len(engine.catalog_vectors()) == len(papers)  # a row of the same instant, stored later: found


@pytest.mark.parametrize(
    ("query", "message"),
    [("", "empty"), ("   ", "empty"), ("x" * 501, "at most 500"), ("!!! ??? ...", "no words")],
)
def test_unusable_queries_are_refused_with_a_reason(query, message):
    with pytest.raises(engine.SearchError, match=message):
        engine.search(query)


def test_a_search_does_not_count_the_catalog(papers):
    # Counting a million vectors cost every search 17 ms of PostgreSQL time (and two parallel workers).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    engine.search("warm", limit=1)  # SQLite mode loads the vectors into the process once, counting them
    with CaptureQueriesContext(connection) as queries:
        assert engine.search("segmentation of medical images", limit=10).mode == "hybrid"
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_postgresql_ranks_at_most_the_cap_and_scores_semantic_candidates_by_id(papers, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's ts_rank and its cap (the PostgreSQL run)")
    from papertide.search import keyword_pg

    everywhere = "learning"  # in most of the 300 papers' text
    assert len(engine.keyword_top(everywhere, 300, engine.Filters())) > 100
    monkeypatch.setattr(keyword_pg, "RANK_CAP", 5)
    assert len(engine.keyword_top(everywhere, 300, engine.Filters())) == 5
    # With a filter, at most FILTERED_MATCHES matches are looked at, and those that pass are kept.
    monkeypatch.setattr(keyword_pg, "RANK_CAP", 1000)
    robotics = engine.Filters(category="cs.RO")
    every = engine.keyword_top(everywhere, 300, robotics)
    matches = len(engine.keyword_top(everywhere, 300, engine.Filters()))
    monkeypatch.setattr(keyword_pg, "FILTERED_MATCHES", matches - 10)  # the last 10 in table order: unread
    some = engine.keyword_top(everywhere, 300, robotics)
    assert 0 < len(some) < len(every) and {i for i, _ in some} <= {i for i, _ in every}
    monkeypatch.setattr(keyword_pg, "RANK_CAP", 5)
    # The semantic side's papers that have the word get their keyword score all the same, by id: far more
    # than the 5 ranked on the keyword side.
    hits = engine.search(everywhere, limit=50).hits
    with_words = [h for h in hits if h.keyword > 0]
    assert len(with_words) > 5
    texts = Paper.objects.in_bulk([h.paper_id for h in with_words])
    assert all("learn" in (p.title + " " + p.abstract).lower() for p in texts.values())


def test_postgresql_looks_deeper_for_a_query_far_from_the_catalog(papers, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("pgvector's HNSW index (the PostgreSQL run)")
    from papertide.search.encoder import get_encoder

    claim = "Vitamin D deficiency raises the risk of fractures in the elderly"
    query = get_encoder("queries").encode([claim])[0]
    vectors = engine.catalog_vectors()

    def efs(far: float) -> tuple[list[str], list[tuple[int, float]]]:
        settings.PAPERTIDE_HNSW_FAR_SIMILARITY = far
        with CaptureQueriesContext(connection) as queries:
            found = vectors.top(query, 10)
        assert len(found) == 10
        sql = [q["sql"] for q in queries.captured_queries]
        return [q for q in sql if q.startswith("SET hnsw.ef_search")], found

    sets, found = efs(0.0)  # off
    assert sets == ["SET hnsw.ef_search = 100"]
    tenth = found[-1][1]
    assert efs(tenth - 0.01)[0] == ["SET hnsw.ef_search = 100"]  # near enough: one look
    assert efs(tenth + 0.01)[0] == ["SET hnsw.ef_search = 100", "SET hnsw.ef_search = 1000"]
