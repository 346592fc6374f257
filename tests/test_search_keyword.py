"""The FTS5 keyword index: kept with the catalog, queries that cannot break it, bm25 ranking."""

import pytest
from django.db import connection

from papertide.catalog.models import Paper
from papertide.catalog.services import ingest
from papertide.catalog.sources.snapshot import from_listing
from papertide.search import backends, engine, keyword
from tests.search_data import listing_rows

pytestmark = pytest.mark.django_db


def indexed_count() -> int:
    """Rows in the keyword index: the FTS5 table, or the papers with a tsvector in PostgreSQL."""
    table = "search_fts" if connection.vendor == "sqlite" else "catalog_paper WHERE search_vector IS NOT NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def test_query_words_drop_stop_words_and_repeats():
    assert keyword.query_words("The attention of the Attention model") == ["attention", "model"]


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "title:foo OR", "NEAR(a b)", "a* AND -b", "^start", "col:x {}", "'); DROP TABLE x;--"],
)
def test_fts_syntax_in_a_query_is_only_words(query):
    ingest([from_listing(dict(r)) for r in listing_rows()[:20]], "test")
    engine.keyword_top(query, 10, engine.Filters())  # must not raise


def test_index_follows_imports_and_updates():
    rows = [dict(r) for r in listing_rows()[:50]]
    ingest([from_listing(r) for r in rows], "test")
    assert indexed_count() == 50
    ingest([from_listing(r) for r in rows], "test")
    assert indexed_count() == 50  # a re-import indexes nothing twice

    changed = dict(rows[0], title="Zymurgical quokkas for segmentation")
    ingest([from_listing(changed)], "test")
    assert indexed_count() == 50
    top = engine.keyword_top("zymurgical quokkas", 5, engine.Filters())
    assert [Paper.objects.get(pk=i).arxiv_id for i, _ in top] == [rows[0]["id"]]


def test_own_title_finds_the_paper_first():
    rows = [dict(r) for r in listing_rows()[:300]]
    ingest([from_listing(r) for r in rows], "test")
    found = 0
    for row in rows[:40]:
        top = engine.keyword_top(row["title"], 1, engine.Filters())
        found += bool(top) and Paper.objects.get(pk=top[0][0]).arxiv_id == row["id"]
    assert found >= 38  # near-duplicate titles may swap places, nothing more


def test_title_words_weigh_more_than_abstract_words():
    rows = [dict(r) for r in listing_rows()[:300]]
    ingest([from_listing(r) for r in rows], "test")
    word = "segmentation"
    in_title = {r["id"] for r in rows if word in r["title"].lower()}
    assert in_title
    top = engine.keyword_top(word, 5, engine.Filters())
    assert Paper.objects.get(pk=top[0][0]).arxiv_id in in_title


def test_common_words_are_left_out_when_they_would_cost_too_much(monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("the postings budget applies to the FTS5 index (SQLite mode)")
    rows = [dict(r) for r in listing_rows()[:300]]
    ingest([from_listing(r) for r in rows], "test")
    frequencies = backends.current().term_frequencies
    counts = frequencies(keyword.stems(["learning", "segmentation", "quokka"]))
    assert counts["learn"] > counts["segment"] > 0 and counts["quokka"] == 0
    monkeypatch.setattr(keyword, "POSTINGS_BUDGET", counts["segment"] + 1)
    # rarest first within the budget; the query's own order kept
    assert (
        keyword.match_expression("learning segmentation quokka", frequencies) == '"segmentation" OR "quokka"'
    )
    # a query of common words keeps its rarest one
    monkeypatch.setattr(keyword, "POSTINGS_BUDGET", 1)
    assert keyword.match_expression("learning segmentation", frequencies) == '"segmentation"'
    # without frequencies nothing is left out
    assert keyword.match_expression("learning segmentation") == '"learning" OR "segmentation"'


def test_stems_are_the_index_terms():
    assert keyword.stems(["Networks", "learning", "Übersetzung"]) == ["network", "learn", "ubersetzung"]


def test_common_words_are_left_out_on_postgresql_too(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's full text and its word counts (the PostgreSQL run)")
    from papertide.search import keyword_pg

    rows = [dict(r) for r in listing_rows()[:300]]
    ingest([from_listing(r) for r in rows], "test")
    monkeypatch.setattr(keyword_pg, "STORED_FROM", 1)  # 300 papers: keep every count
    assert keyword_pg.refresh_term_stats() > 1000
    counts = dict(keyword_pg.lexemes("learning segmentation quokka"))
    assert counts["learn"] > counts["segment"] > 0 and counts["quokka"] == 0
    monkeypatch.setattr(keyword_pg, "POSTINGS_BUDGET", counts["segment"] + 1)
    assert keyword_pg.ts_query("learning segmentation quokka") == "'quokka' | 'segment'"  # rarest first
    monkeypatch.setattr(keyword_pg, "POSTINGS_BUDGET", counts["segment"])
    assert keyword_pg.ts_query("learning segmentation") == "'segment'"  # the rarest always stays
    monkeypatch.setattr(keyword_pg, "POSTINGS_BUDGET", 1)  # even the rarest is over it: both are required
    assert keyword_pg.ts_query("learning segmentation") == "'segment' & 'learn'"
    top = engine.keyword_top("learning segmentation", 5, engine.Filters())
    assert top and all(
        "segment" in Paper.objects.get(pk=i).abstract.lower() + Paper.objects.get(pk=i).title.lower()
        for i, _ in top
    )
    assert keyword_pg.ts_query("the of and") == ""


def test_a_deleted_paper_leaves_the_keyword_index():
    rows = [dict(r) for r in listing_rows()[:50]]
    ingest([from_listing(r) for r in rows], "test")
    gone = Paper.objects.get(arxiv_id=rows[0]["id"])
    assert gone.pk in [i for i, _ in engine.keyword_top(gone.title, 5, engine.Filters())]
    gone.delete()
    assert indexed_count() == 49
    assert gone.pk not in [i for i, _ in engine.keyword_top(rows[0]["title"], 50, engine.Filters())]
