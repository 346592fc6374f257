"""Search over the catalog: keyword (FTS5 bm25), semantic (exact vectors in memory) and hybrid.

The database is the source of truth. Each process keeps the stored vectors of the configured model in a
VectorMatrix, loaded on first use and topped up with the vectors stored since (checked at most once a
second), so the site searches what is embedded while the worker is still embedding the rest.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Q

from papertide.catalog.models import CodeLink

from . import keyword, keyword_pg
from .encoder import DIMENSIONS, get_encoder, model_name
from .fusion import FusionParams, hybrid_rank, scale
from .models import PaperVector
from .vectors import VectorMatrix

REFRESH_SECONDS = 1.0
MAX_QUERY_CHARS = 500
# With filters, look deeper into the semantic ranking, since many of its best papers may be filtered out.
FILTERED_DEPTH = 1000
CODE_KINDS = CodeLink.CODE_KINDS


class SearchError(ValueError):
    """A query that cannot be searched; the message says why."""


@dataclass(frozen=True)
class Filters:
    category: str = ""
    since: date | None = None
    until: date | None = None
    has_code: bool = False

    def __bool__(self) -> bool:
        return bool(self.category or self.since or self.until or self.has_code)

    def sql(self) -> tuple[str, list]:
        """A WHERE fragment over catalog_paper, and its parameters."""
        clauses, params = [], []
        if self.category:
            if connection.vendor == "postgresql":
                clauses.append(
                    "(catalog_paper.primary_category = %s OR catalog_paper.categories @> %s::jsonb)"
                )
                params += [self.category, json.dumps([self.category])]
            else:
                clauses.append("(catalog_paper.primary_category = %s OR catalog_paper.categories LIKE %s)")
                params += [self.category, f'%"{self.category}"%']
        if self.since:
            clauses.append("catalog_paper.listed_on >= %s")
            params.append(self.since)
        if self.until:
            clauses.append("catalog_paper.listed_on <= %s")
            params.append(self.until)
        if self.has_code:
            marks = ",".join(["%s"] * len(CODE_KINDS))
            clauses.append(
                "EXISTS (SELECT 1 FROM catalog_codelink WHERE catalog_codelink.paper_id = catalog_paper.id "
                f"AND catalog_codelink.kind IN ({marks}))"
            )
            params += list(CODE_KINDS)
        return " AND ".join(clauses), params


@dataclass
class Hit:
    paper_id: int
    score: float
    keyword: float = 0.0  # bm25 scaled to [0, 1] among the candidates
    semantic: float = 0.0  # cosine scaled to [0, 1] among the candidates


@dataclass
class Results:
    hits: list[Hit]
    mode: str  # hybrid, keyword or semantic
    words: list[str] = field(default_factory=list)


def check_query(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise SearchError("the query is empty: say what to search for")
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError(f"the query has {len(text):,} characters; at most {MAX_QUERY_CHARS} are searched")
    if not keyword.WORD.search(text):
        raise SearchError("the query has no words to search for")
    return text


class CatalogVectors:
    """The configured model's vectors, per process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.matrix = VectorMatrix(dims=DIMENSIONS)
        self.model = ""
        self.seen = None  # (updated_at, paper_id) of the newest vector loaded, in that order
        self.checked = 0.0

    def _load(self, rows) -> None:
        """The first load: straight into one preallocated matrix (a list of rows stacked afterwards
        would hold the vectors three times over at the peak: 345 MB instead of 115 for 74,728 papers)."""
        size = rows.count()
        if not size:
            return
        ids = np.empty(size, dtype=np.int64)
        matrix = np.empty((size, DIMENSIONS), dtype=np.float32)
        count, seen = 0, None
        for paper_id, vector, when in rows.values_list("paper_id", "vector", "updated_at").iterator(
            chunk_size=2000
        ):
            if count == size:  # rows stored while loading: the next top-up takes them
                break
            ids[count], matrix[count] = paper_id, vector
            seen = (when, paper_id) if seen is None or (when, paper_id) > seen else seen
            count += 1
        self.matrix = VectorMatrix(ids[:count], matrix[:count], dims=DIMENSIONS)
        self.seen = seen

    def current(self) -> VectorMatrix:
        now = time.monotonic()
        if now - self.checked < REFRESH_SECONDS and self.model == model_name():
            return self.matrix
        with self.lock:
            self.checked = now
            name = model_name()
            if name != self.model:
                self.matrix, self.model, self.seen = VectorMatrix(dims=DIMENSIONS), name, None
            rows = PaperVector.objects.filter(model=name)
            if self.seen is None:
                self._load(rows)
            else:
                # After the newest (updated_at, paper_id) seen, not every row of that instant again: a
                # million vectors stored by one bulk insert share one timestamp, and were all read again
                # every second. A row of the very same microsecond with a lower id would be missed until
                # the process restarts; one worker writes vectors, in increasing time.
                when, last = self.seen
                fresh = list(
                    rows.filter(Q(updated_at__gt=when) | Q(updated_at=when, paper_id__gt=last)).values_list(
                        "paper_id", "vector", "updated_at"
                    )
                )
                if fresh:
                    self.matrix.add([i for i, _, _ in fresh], np.vstack([v for _, v, _ in fresh]))
                    self.seen = max(self.seen, *((t, i) for i, _, t in fresh))
            return self.matrix


_embedded_models: set[str] = set()
MAX_EF_SEARCH = 1000  # pgvector's ceiling


@lru_cache(maxsize=16)
def _vector_literal(packed: bytes) -> str:
    """pgvector's text form of a float32 vector; a search sends its query vector three times."""
    return "[" + ",".join(f"{x:.7g}" for x in np.frombuffer(packed, dtype=np.float32).tolist()) + "]"


class PostgresVectors:
    """The same interface as VectorMatrix, answered by pgvector's HNSW index in PostgreSQL."""

    def __init__(self):
        self.model = model_name()

    def __len__(self) -> int:
        return PaperVector.objects.filter(model=self.model).count()

    def __bool__(self) -> bool:
        # Whether any paper is embedded, without counting them: a count of a million vectors cost each
        # search 17 ms (and two parallel workers). Once a model has vectors, the process remembers it.
        if self.model not in _embedded_models:
            if not PaperVector.objects.filter(model=self.model).exists():
                return False
            _embedded_models.add(self.model)
        return True

    @staticmethod
    def _literal(vector: np.ndarray) -> str:
        return _vector_literal(vector.astype(np.float32).tobytes())

    def top(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        # The index returns ef_search candidates at most, and finds more of the true nearest the more it
        # looks at: at least PAPERTIDE_HNSW_EF_SEARCH, twice k (pgvector's ceiling is 1000).
        ef = min(MAX_EF_SEARCH, max(settings.PAPERTIDE_HNSW_EF_SEARCH, 2 * k))
        nearest = self._nearest(query, k, ef)
        # A query far from every paper (its 10th nearest below PAPERTIDE_HNSW_FAR_SIMILARITY) gets a
        # second, deeper look. At a million papers, recall@10 at ef_search 100 was 0.36 for queries whose
        # 10th nearest is under 0.3, and 0.99 for those above 0.6 (docs/benchmarks.md).
        far = settings.PAPERTIDE_HNSW_FAR_SIMILARITY
        if far and nearest and ef < MAX_EF_SEARCH and nearest[min(len(nearest), 10) - 1][1] < far:
            nearest = self._nearest(query, k, MAX_EF_SEARCH)
        return nearest

    def _nearest(self, query: np.ndarray, k: int, ef: int) -> list[tuple[int, float]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SET hnsw.ef_search = {int(ef)}")
            cursor.execute(
                "SELECT paper_id, 1 - (vector <=> %s::vector) FROM search_papervector WHERE model = %s "
                "ORDER BY vector <=> %s::vector LIMIT %s",
                [self._literal(query), self.model, self._literal(query), k],
            )
            return [(row[0], float(row[1])) for row in cursor.fetchall()]

    def scores_for(self, query: np.ndarray, ids) -> dict[int, float]:
        ids = list(ids)
        if not ids:
            return {}
        with connection.cursor() as cursor:
            # One array parameter, not a placeholder per id: psycopg parsed a 100-placeholder query in 0.6 ms.
            cursor.execute(
                "SELECT paper_id, 1 - (vector <=> %s::vector) FROM search_papervector "
                "WHERE model = %s AND paper_id = ANY(%s)",
                [self._literal(query), self.model, ids],
            )
            return {row[0]: float(row[1]) for row in cursor.fetchall()}

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        row = PaperVector.objects.filter(paper_id=paper_id, model=self.model).values_list("vector", flat=True)
        return row[0] if row else None


_vectors = CatalogVectors()


def catalog_vectors():
    """The configured model's vectors: in this process's memory (SQLite), or pgvector (PostgreSQL)."""
    if connection.vendor == "postgresql":
        return PostgresVectors()
    return _vectors.current()


# --- keyword side (SQLite FTS5) ------------------------------------------------------------------------


class TermFrequencies:
    """Document frequencies of index terms, cached per process for a while: they change slowly."""

    def __init__(self, ttl: float = 600.0):
        self.ttl, self.cache, self.since = ttl, {}, time.monotonic()

    def __call__(self, terms: list[str]) -> dict[str, int]:
        if time.monotonic() - self.since > self.ttl:
            self.cache, self.since = {}, time.monotonic()
        missing = [t for t in terms if t not in self.cache]
        if missing:
            marks = ",".join(["%s"] * len(missing))
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT term, doc FROM {keyword.VOCABULARY} WHERE term IN ({marks})", missing)
                found = dict(cursor.fetchall())
            self.cache.update({t: found.get(t, 0) for t in missing})
        return {t: self.cache[t] for t in terms}


_frequencies = TermFrequencies()


def match_expression(text: str) -> str:
    return keyword.match_expression(text, _frequencies)


def keyword_top(text: str, limit: int, filters: Filters) -> list[tuple[int, float]]:
    if connection.vendor == "postgresql":
        return _pg_rank(keyword_pg.ts_query(text), limit, filters)
    expression = match_expression(text)
    if not expression:
        return []
    where, params = filters.sql()
    join = " JOIN catalog_paper ON catalog_paper.id = search_fts.rowid" if filters else ""
    sql = (
        f"SELECT search_fts.rowid, -bm25(search_fts, {keyword.TITLE_WEIGHT}, {keyword.ABSTRACT_WEIGHT}, "
        f"{keyword.AUTHORS_WEIGHT}) AS score FROM search_fts{join} WHERE search_fts MATCH %s"
        + (f" AND {where}" if where else "")
        + " ORDER BY score DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression, *params, limit])
        return [(row[0], row[1]) for row in cursor.fetchall()]


def _pg_rank(
    query: str, limit: int, filters: Filters, ids: list[int] | None = None
) -> list[tuple[int, float]]:
    """(id, ts_rank) of the papers matching a to_tsquery('simple') expression, best first; only among
    `ids` when given (looked up by primary key: ts_rank costs about 5 µs a paper, for reading its
    tsvector out of TOAST, so the papers ranked are what costs)."""
    if not query or ids == []:
        return []
    where, params = filters.sql()
    rank = "SELECT m.id, ts_rank(m.search_vector, to_tsquery('simple', %s)) AS score FROM ({}) m "
    rank += "ORDER BY score DESC LIMIT %s"
    matches = "catalog_paper.search_vector @@ to_tsquery('simple', %s)"
    if ids is not None:
        inner = f"SELECT id, search_vector FROM catalog_paper WHERE id = ANY(%s) AND {matches}"
        args = [list(ids), query]
        if where:
            inner, args = f"{inner} AND {where}", [*args, *params]
    elif not where:
        # At most RANK_CAP matching papers are ranked, taken in the table's order: the words kept within
        # the postings budget can still match tens of thousands together ("chain" & "thought": 32,000
        # papers at a million, 133 ms to rank). Semantic candidates are ranked by id, so none misses its
        # score.
        inner = f"SELECT id, search_vector FROM catalog_paper WHERE {matches} LIMIT %s"
        args = [query, keyword_pg.RANK_CAP]
    else:
        # With filters, at most FILTERED_MATCHES matching papers are looked at, then the filters: a filter
        # few papers pass (has code) made PostgreSQL read all 32,000 matches, 80 to 120 ms. The subquery
        # stands in for catalog_paper, so it carries every column Filters.sql() reads.
        looked_at = (
            "SELECT catalog_paper.id, catalog_paper.search_vector, catalog_paper.primary_category, "
            "catalog_paper.categories, catalog_paper.listed_on FROM catalog_paper "
            f"WHERE {matches} LIMIT %s"
        )
        inner = f"SELECT catalog_paper.id, catalog_paper.search_vector FROM ({looked_at}) catalog_paper "
        inner += f"WHERE {where} LIMIT %s"
        args = [query, keyword_pg.FILTERED_MATCHES, *params, keyword_pg.RANK_CAP]
    # ts_rank's default weights make a title (A) word count 2.5 times an abstract (B) word.
    with connection.cursor() as cursor:
        cursor.execute(rank.format(inner), [query, *args, limit])
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


def passing(ids: list[int], filters: Filters) -> set[int]:
    """The ids among these whose papers pass the filters."""
    if not filters or not ids:
        return set(ids)
    where, params = filters.sql()
    if connection.vendor == "postgresql":  # one array parameter: psycopg parses each placeholder
        among, ids_params = "id = ANY(%s)", [list(ids)]
    else:
        among, ids_params = f"id IN ({','.join(['%s'] * len(ids))})", list(ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM catalog_paper WHERE {among} AND {where}", [*ids_params, *params])
        return {row[0] for row in cursor.fetchall()}


# --- the search ----------------------------------------------------------------------------------------


def search(
    text: str,
    limit: int = 20,
    filters: Filters | None = None,
    mode: str = "hybrid",
    params: FusionParams | None = None,
) -> Results:
    """The best papers for a free-text query, with each one's keyword and semantic share."""
    text = check_query(text)
    filters = filters or Filters()
    params = params or FusionParams()
    depth = max(params.candidates, limit)
    vectors = catalog_vectors() if mode != "keyword" else VectorMatrix()
    use_vectors = mode != "keyword" and bool(vectors)
    words = keyword.query_words(text)

    # Semantic mode with nothing embedded yet falls back to the words, like the other modes.
    wanted = mode != "semantic" or not use_vectors
    keyword_of = None
    if not wanted:
        keyword_hits = []
    elif connection.vendor == "postgresql":
        # The best `depth` by ts_rank; the semantic candidates' own ts_rank is asked for by id below, so
        # PostgreSQL never ranks 1,000 deep (FTS5 does: its bm25 comes from the index, not the rows).
        ts_query = keyword_pg.ts_query(text)
        keyword_hits = _pg_rank(ts_query, depth, filters)
        keyword_of = lambda ids: dict(_pg_rank(ts_query, len(ids), Filters(), ids=list(ids)))  # noqa: E731
    else:
        keyword_hits = keyword_top(text, max(depth, params.keyword_depth), filters)
    if not use_vectors:
        scaled = scale(dict(keyword_hits))
        hits = [Hit(i, scaled[i], keyword=scaled[i]) for i, _ in keyword_hits[:limit]]
        return Results(hits, "keyword", words)

    query = get_encoder("queries").encode([text])[0]
    dense = vectors.top(query, FILTERED_DEPTH if filters else depth)
    if filters:
        allowed = passing([i for i, _ in dense], filters)
        dense = [(i, s) for i, s in dense if i in allowed]
    dense = dense[:depth]
    if mode == "semantic":
        semantic = scale(dict(dense), floor=min((s for _, s in dense), default=0.0))
        hits = [Hit(i, semantic[i], semantic=semantic[i]) for i, _ in dense[:limit]]
        return Results(hits, "semantic", words)

    ranked, k, d = hybrid_rank(
        keyword_hits, dense, lambda ids: vectors.scores_for(query, ids), params, keyword_of
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
