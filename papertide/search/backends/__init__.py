"""Search backends: one per database, each owning its keyword ranking, its vector search and its filter SQL.

The engine (engine.py) asks a backend for keyword candidates and vectors and fuses them; it never asks
which database it runs on. The site's backend is chosen once per process, by the vendor of the default
database, at first use (current()). Another SQLite database (the BEIR evaluation's) gets a backend of its
own with for_alias(): the same code, the same SQL.

A backend keeps no state of its own: what it remembers between searches (the vectors held in memory, the
word counts) lives in papertide.caches.ProcessCache instances keyed by the database's alias.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections

from papertide.caches import ProcessCache

from ..fusion import FusionParams
from ..query import CODE_KINDS, Filters

Ranked = list[tuple[int, float]]  # (paper id, score), best first


class Vectors(Protocol):
    """The configured model's vectors of one database, searched by cosine (vectors are normalised).
    True when any paper has a vector (PostgresVectors says so without counting them)."""

    def __len__(self) -> int: ...

    def top(self, query: np.ndarray, k: int) -> Ranked: ...

    def scores_for(self, query: np.ndarray, ids: Iterable[int]) -> dict[int, float]: ...  # those with one

    def vector_of(self, paper_id: int) -> np.ndarray | None: ...

    def vectors_of(self, ids: Iterable[int]) -> tuple[list[int], np.ndarray]: ...  # (those with one, rows)


@dataclass
class KeywordSide:
    """The keyword side of a hybrid search: `ranked` best first; `scores_of(ids)`, when the backend gives
    it, scores the semantic candidates that `ranked` leaves out (else they count as not matching)."""

    ranked: Ranked
    scores_of: Callable[[set[int]], dict[int, float]] | None = None


class Backend(ABC):
    """Search over one database, named by its alias in settings.DATABASES."""

    def __init__(self, alias: str = DEFAULT_DB_ALIAS):
        self.alias = alias

    @property
    def connection(self):
        # Looked up on each use: Django's connections belong to the thread that opened them.
        return connections[self.alias]

    @abstractmethod
    def category_sql(self, category: str) -> tuple[str, list]:
        """A condition on catalog_paper: listed in this category, as primary or cross-list."""

    def filter_sql(self, filters: Filters) -> tuple[str, list]:
        """A WHERE fragment over catalog_paper, and its parameters ("" when nothing is filtered)."""
        clauses, params = [], []
        if filters.category:
            clause, values = self.category_sql(filters.category)
            clauses.append(clause)
            params += values
        if filters.since:
            clauses.append("catalog_paper.listed_on >= %s")
            params.append(filters.since)
        if filters.until:
            clauses.append("catalog_paper.listed_on <= %s")
            params.append(filters.until)
        if filters.has_code:
            marks = ",".join(["%s"] * len(CODE_KINDS))
            clauses.append(
                "EXISTS (SELECT 1 FROM catalog_codelink WHERE catalog_codelink.paper_id = catalog_paper.id "
                f"AND catalog_codelink.kind IN ({marks}))"
            )
            params += list(CODE_KINDS)
        return " AND ".join(clauses), params

    @abstractmethod
    def keyword_top(self, text: str, limit: int, filters: Filters) -> Ranked:
        """The papers best matching the query's words, at most `limit`."""

    @abstractmethod
    def keyword_side(self, text: str, depth: int, filters: Filters, params: FusionParams) -> KeywordSide:
        """The keyword candidates of a hybrid search `depth` deep, and how the others get their score."""

    @abstractmethod
    def vectors(self) -> Vectors:
        """The configured model's vectors."""

    @abstractmethod
    def passing(self, ids: list[int], filters: Filters) -> set[int]:
        """The ids among these whose papers pass the filters."""

    def index_papers(self, papers, replace: bool) -> None:
        """Keep the keyword index in step with these papers (in the upsert's transaction); some may be
        indexed already when `replace`. Nothing to do where the database indexes the papers itself."""
        return

    def refresh_term_counts(self) -> int | None:
        """Count how many papers each word occurs in, where the backend keeps such counts itself (None
        where the index keeps them)."""
        return None

    def forget(self) -> None:
        """Forget what this process remembers of the database (its vectors, its word counts)."""
        return


def for_alias(alias: str) -> Backend:
    """The backend for a database, by its vendor."""
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        from .sqlite import SqliteBackend

        return SqliteBackend(alias)
    if vendor == "postgresql":
        from .postgres import PostgresBackend

        return PostgresBackend(alias)
    raise ImproperlyConfigured(f"search has no backend for {vendor} (SQLite and PostgreSQL have one)")


_chosen = ProcessCache("search.backend")


def current() -> Backend:
    """The default database's backend, chosen on first use in this process."""
    return _chosen.get(DEFAULT_DB_ALIAS, lambda: for_alias(DEFAULT_DB_ALIAS))
