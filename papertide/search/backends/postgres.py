"""The PostgreSQL backend: the weighted tsvector column ranked by ts_rank, pgvector's HNSW index.

Nothing is held in memory but whether the model has any vector: web processes stay stateless, and any
number of them can search one database.
"""

import json
from functools import lru_cache

import numpy as np
from django.conf import settings

from papertide.caches import ProcessCache

from .. import keyword_pg
from ..encoder import DIMENSIONS, model_name
from ..fusion import FusionParams
from ..models import PaperVector
from ..query import Filters
from . import Backend, KeywordSide, Ranked

MAX_EF_SEARCH = 1000  # pgvector's ceiling

# By (database alias, model): True once that model has a vector (a catalog does not lose them all).
_embedded = ProcessCache("search.embedded_models")


@lru_cache(maxsize=16)
def _vector_literal(packed: bytes) -> str:
    """pgvector's text form of a float32 vector; a search sends its query vector three times."""
    return "[" + ",".join(f"{x:.7g}" for x in np.frombuffer(packed, dtype=np.float32).tolist()) + "]"


class PostgresVectors:
    """The same interface as VectorMatrix, answered by pgvector's HNSW index in PostgreSQL."""

    def __init__(self, backend: "PostgresBackend"):
        self.backend = backend
        self.model = model_name()

    def _rows(self):
        return PaperVector.objects.using(self.backend.alias).filter(model=self.model)

    def __len__(self) -> int:
        return self._rows().count()

    def __bool__(self) -> bool:
        # Whether any paper is embedded, without counting them: a count of a million vectors cost each
        # search 17 ms (and two parallel workers). Once a model has vectors, the process remembers it.
        key = (self.backend.alias, self.model)
        if not _embedded.peek(key):
            if not self._rows().exists():
                return False
            _embedded.set(key, True)
        return True

    @staticmethod
    def _literal(vector: np.ndarray) -> str:
        return _vector_literal(vector.astype(np.float32).tobytes())

    def top(self, query: np.ndarray, k: int) -> Ranked:
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

    def _nearest(self, query: np.ndarray, k: int, ef: int) -> Ranked:
        with self.backend.connection.cursor() as cursor:
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
        with self.backend.connection.cursor() as cursor:
            # One array parameter, not a placeholder per id: psycopg parsed a 100-placeholder query in 0.6 ms.
            cursor.execute(
                "SELECT paper_id, 1 - (vector <=> %s::vector) FROM search_papervector "
                "WHERE model = %s AND paper_id = ANY(%s)",
                [self._literal(query), self.model, ids],
            )
            return {row[0]: float(row[1]) for row in cursor.fetchall()}

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        row = self._rows().filter(paper_id=paper_id).values_list("vector", flat=True)
        return row[0] if row else None

    def vectors_of(self, ids) -> tuple[list[int], np.ndarray]:
        ids = list(ids)
        rows = list(self._rows().filter(paper_id__in=ids).values_list("paper_id", "vector")) if ids else []
        by_id = dict(rows)
        found = [int(i) for i in ids if i in by_id]
        matrix = np.array([by_id[i] for i in found], dtype=np.float32).reshape(len(found), DIMENSIONS)
        return found, matrix


class PostgresBackend(Backend):
    def category_sql(self, category: str) -> tuple[str, list]:
        return (
            "(catalog_paper.primary_category = %s OR catalog_paper.categories @> %s::jsonb)",
            [category, json.dumps([category])],
        )

    def ts_query(self, text: str) -> str:
        return keyword_pg.ts_query(text, using=self.alias)

    def keyword_top(self, text: str, limit: int, filters: Filters) -> Ranked:
        return self.rank(self.ts_query(text), limit, filters)

    def keyword_side(self, text: str, depth: int, filters: Filters, params: FusionParams) -> KeywordSide:
        # The best `depth` by ts_rank; the semantic candidates' own ts_rank is asked for by id, so
        # PostgreSQL never ranks 1,000 deep (FTS5 does: its bm25 comes from the index, not the rows).
        query = self.ts_query(text)
        return KeywordSide(
            self.rank(query, depth, filters),
            lambda ids: dict(self.rank(query, len(ids), Filters(), ids=list(ids))),
        )

    def rank(self, query: str, limit: int, filters: Filters, ids: list[int] | None = None) -> Ranked:
        """(id, ts_rank) of the papers matching a to_tsquery('simple') expression, best first; only among
        `ids` when given (looked up by primary key: ts_rank costs about 5 µs a paper, for reading its
        tsvector out of TOAST, so the papers ranked are what costs)."""
        if not query or ids == []:
            return []
        where, params = self.filter_sql(filters)
        rank = "SELECT m.id, ts_rank(m.search_vector, to_tsquery('simple', %s)) AS score FROM ({}) m "
        rank += "ORDER BY score DESC LIMIT %s"
        matches = "catalog_paper.search_vector @@ to_tsquery('simple', %s)"
        args: list[object]
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
            # stands in for catalog_paper, so it carries every column filter_sql() reads.
            looked_at = (
                "SELECT catalog_paper.id, catalog_paper.search_vector, catalog_paper.primary_category, "
                "catalog_paper.categories, catalog_paper.listed_on FROM catalog_paper "
                f"WHERE {matches} LIMIT %s"
            )
            inner = f"SELECT catalog_paper.id, catalog_paper.search_vector FROM ({looked_at}) catalog_paper "
            inner += f"WHERE {where} LIMIT %s"
            args = [query, keyword_pg.FILTERED_MATCHES, *params, keyword_pg.RANK_CAP]
        # ts_rank's default weights make a title (A) word count 2.5 times an abstract (B) word.
        with self.connection.cursor() as cursor:
            cursor.execute(rank.format(inner), [query, *args, limit])
            return [(row[0], float(row[1])) for row in cursor.fetchall()]

    def vectors(self) -> PostgresVectors:
        return PostgresVectors(self)

    def passing(self, ids: list[int], filters: Filters) -> set[int]:
        if not filters or not ids:
            return set(ids)
        where, params = self.filter_sql(filters)
        with self.connection.cursor() as cursor:
            # One array parameter: psycopg parses each placeholder.
            sql = f"SELECT id FROM catalog_paper WHERE id = ANY(%s) AND {where}"
            cursor.execute(sql, [list(ids), *params])
            return {row[0] for row in cursor.fetchall()}

    def refresh_term_counts(self) -> int | None:
        return keyword_pg.refresh_term_stats(using=self.alias)

    def forget(self) -> None:
        _embedded.forget((self.alias, model_name()))
