"""Search over the catalog: keyword, semantic and hybrid, the same for every database.

A backend (backends/) answers the database's part: its keyword ranking, its vector search, its filter
SQL. What is done with the answers (the candidates of each side, the fusion, the modes and their
fallbacks) is decided here once, for SQLite and PostgreSQL alike, and for the BEIR evaluation, which
runs this same code on a database of its own (beir.py).
"""

from collections.abc import Callable

import numpy as np

from . import backends, keyword
from .backends import Backend, Ranked
from .encoder import get_encoder
from .fusion import FusionParams, hybrid_rank, scale
from .query import CODE_KINDS, MAX_QUERY_CHARS, Filters, Hit, Results, SearchError, check_query

__all__ = [
    "CODE_KINDS",
    "FILTERED_DEPTH",
    "MAX_QUERY_CHARS",
    "Filters",
    "Hit",
    "Results",
    "SearchError",
    "catalog_vectors",
    "check_query",
    "keyword_top",
    "search",
    "similar",
]

# With filters, look deeper into the semantic ranking, since many of its best papers may be filtered out.
FILTERED_DEPTH = 1000


def encode_query(text: str) -> np.ndarray:
    return get_encoder("queries").encode([text])[0]


def catalog_vectors() -> backends.Vectors:
    """The configured model's vectors: in this process's memory (SQLite), or pgvector (PostgreSQL)."""
    return backends.current().vectors()


def keyword_top(text: str, limit: int, filters: Filters) -> Ranked:
    """(paper id, keyword score) of the papers best matching the query's words."""
    return backends.current().keyword_top(text, limit, filters)


def search(
    text: str,
    limit: int = 20,
    filters: Filters | None = None,
    mode: str = "hybrid",
    params: FusionParams | None = None,
    *,
    backend: Backend | None = None,
    embed: Callable[[str], np.ndarray] = encode_query,
) -> Results:
    """The best papers for a free-text query, with each one's keyword and semantic share.

    backend: the site's database unless given; embed: the query's vector (the evaluation gives the
    vectors it encoded in one batch)."""
    text = check_query(text)
    backend = backend or backends.current()
    filters = filters or Filters()
    params = params or FusionParams()
    depth = max(params.candidates, limit)
    vectors = backend.vectors() if mode != "keyword" else None
    if vectors is not None and not vectors:
        vectors = None  # nothing embedded yet: every mode falls back to the words
    words = keyword.query_words(text)

    if mode == "semantic" and vectors is not None:
        keyword_side = backends.KeywordSide([])
    else:
        keyword_side = backend.keyword_side(text, depth, filters, params)
    if vectors is None:
        keyword_hits = keyword_side.ranked
        scaled = scale(dict(keyword_hits))
        hits = [Hit(i, scaled[i], keyword=scaled[i]) for i, _ in keyword_hits[:limit]]
        return Results(hits, "keyword", words)

    query = embed(text)
    dense = vectors.top(query, FILTERED_DEPTH if filters else depth)
    if filters:
        allowed = backend.passing([i for i, _ in dense], filters)
        dense = [(i, s) for i, s in dense if i in allowed]
    dense = dense[:depth]
    if mode == "semantic":
        semantic = scale(dict(dense), floor=min((s for _, s in dense), default=0.0))
        hits = [Hit(i, semantic[i], semantic=semantic[i]) for i, _ in dense[:limit]]
        return Results(hits, "semantic", words)

    ranked, k, d = hybrid_rank(
        keyword_side.ranked,
        dense,
        lambda ids: vectors.scores_for(query, ids),
        params,
        keyword_side.scores_of,
    )
    hits = [Hit(i, s, keyword=k.get(i, 0.0), semantic=d.get(i, 0.0)) for i, s in ranked[:limit]]
    return Results(hits, "hybrid", words)


def similar(paper_id: int, limit: int = 5) -> list[tuple[int, float]]:
    """Papers nearest to this one in the embedding space: (id, cosine), best first."""
    vectors = catalog_vectors()
    vector = vectors.vector_of(paper_id)
    if vector is None:
        return []
    return [(i, s) for i, s in vectors.top(vector, limit + 1) if i != paper_id][:limit]
