"""The SQLite backend: FTS5 and bm25 for the words, exact vectors in this process's memory.

Each process keeps the stored vectors of the configured model in a VectorMatrix, loaded on first use and
topped up with the vectors stored since (checked at most once a second), so the site searches what is
embedded while the worker is still embedding the rest.
"""

import threading
import time
from datetime import datetime

import numpy as np
from django.db.models import Q

from papertide.caches import ProcessCache

from .. import keyword
from ..encoder import DIMENSIONS, model_name
from ..fusion import FusionParams
from ..models import PaperVector
from ..query import Filters
from ..vectors import VectorMatrix
from . import Backend, KeywordSide, Ranked

REFRESH_SECONDS = 1.0  # how often a process looks for vectors stored since it last looked
# Document frequencies of index terms change slowly: each process remembers them for ten minutes.
TERM_COUNTS_SECONDS = 600.0

# By database alias: the CatalogVectors of that database, and its {index term: documents} read so far.
_vectors = ProcessCache("search.vectors")
_term_counts = ProcessCache("search.term_frequencies", ttl=TERM_COUNTS_SECONDS)


class CatalogVectors:
    """The configured model's vectors of one database, in this process's memory."""

    def __init__(self, alias: str):
        self.alias = alias
        self.lock = threading.Lock()
        self.matrix = VectorMatrix(dims=DIMENSIONS)
        self.model = ""
        self.seen: tuple[datetime, int] | None = None  # (updated_at, paper_id) of the newest vector loaded
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
            rows = PaperVector.objects.using(self.alias).filter(model=name)
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


class SqliteBackend(Backend):
    def category_sql(self, category: str) -> tuple[str, list]:
        # Categories are stored as JSON text: the quoted name matches a whole category only.
        return (
            "(catalog_paper.primary_category = %s OR catalog_paper.categories LIKE %s)",
            [category, f'%"{category}"%'],
        )

    def term_frequencies(self, terms: list[str]) -> dict[str, int]:
        """How many documents each index term (a stem) is in, from FTS5's vocabulary table."""
        known = _term_counts.get(self.alias, dict)  # emptied every TERM_COUNTS_SECONDS
        missing = [t for t in terms if t not in known]
        if missing:
            marks = ",".join(["%s"] * len(missing))
            with self.connection.cursor() as cursor:
                cursor.execute(f"SELECT term, doc FROM {keyword.VOCABULARY} WHERE term IN ({marks})", missing)
                found = dict(cursor.fetchall())
            known.update({t: found.get(t, 0) for t in missing})
        return {t: known[t] for t in terms}

    def match_expression(self, text: str) -> str:
        """The FTS5 query: the words within keyword.POSTINGS_BUDGET, rarest first."""
        return keyword.match_expression(text, self.term_frequencies)

    def keyword_top(self, text: str, limit: int, filters: Filters) -> Ranked:
        expression = self.match_expression(text)
        if not expression:
            return []
        where, params = self.filter_sql(filters)
        join = " JOIN catalog_paper ON catalog_paper.id = search_fts.rowid" if filters else ""
        # bm25() is lower for better matches; negated so that larger is better everywhere else.
        sql = (
            f"SELECT search_fts.rowid, -bm25(search_fts, {keyword.TITLE_WEIGHT}, {keyword.ABSTRACT_WEIGHT}, "
            f"{keyword.AUTHORS_WEIGHT}) AS score FROM search_fts{join} WHERE search_fts MATCH %s"
            + (f" AND {where}" if where else "")
            + " ORDER BY score DESC LIMIT %s"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [expression, *params, limit])
            return [(row[0], row[1]) for row in cursor.fetchall()]

    def keyword_side(self, text: str, depth: int, filters: Filters, params: FusionParams) -> KeywordSide:
        # One query read keyword_depth deep, where the semantic candidates find their bm25: FTS5's bm25
        # comes from the index, so reading deeper costs little, and a second query scoring the semantic
        # candidates cost up to 290 ms on common words.
        return KeywordSide(self.keyword_top(text, max(depth, params.keyword_depth), filters))

    def vectors(self) -> VectorMatrix:
        return self.memory().current()

    def memory(self) -> CatalogVectors:
        """This process's vectors of the database, before any top-up."""
        return _vectors.get(self.alias, lambda: CatalogVectors(self.alias))

    def passing(self, ids: list[int], filters: Filters) -> set[int]:
        if not filters or not ids:
            return set(ids)
        where, params = self.filter_sql(filters)
        marks = ",".join(["%s"] * len(ids))
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM catalog_paper WHERE id IN ({marks}) AND {where}", [*ids, *params])
            return {row[0] for row in cursor.fetchall()}

    def index_papers(self, papers, replace: bool) -> None:
        if not papers:
            return
        rows = [(p.pk, p.title, p.abstract, " ".join(p.authors or [])) for p in papers]
        with self.connection.cursor() as cursor:
            if replace:
                marks = ",".join(["%s"] * len(rows))
                cursor.execute(f"DELETE FROM {keyword.TABLE} WHERE rowid IN ({marks})", [r[0] for r in rows])
            cursor.executemany(
                f"INSERT INTO {keyword.TABLE}(rowid, title, abstract, authors) VALUES (%s, %s, %s, %s)", rows
            )

    def forget(self) -> None:
        _vectors.forget(self.alias)
        _term_counts.forget(self.alias)
