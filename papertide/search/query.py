"""What a search is asked and what it answers: the checked query, its filters, its hits and results.

Plain data, the same whatever the database: each backend (backends/) turns Filters into its own SQL.
"""

from dataclasses import dataclass, field
from datetime import date

from papertide.catalog.models import CodeLink

from .keyword import WORD

MAX_QUERY_CHARS = 500
CODE_KINDS = CodeLink.CODE_KINDS


class SearchError(ValueError):
    """A query that cannot be searched; the message says why."""


@dataclass(frozen=True)
class Filters:
    category: str = ""  # arXiv category, primary or cross-listed
    since: date | None = None  # first listing day
    until: date | None = None  # last listing day
    has_code: bool = False  # only papers with a code link of CODE_KINDS

    def __bool__(self) -> bool:
        return bool(self.category or self.since or self.until or self.has_code)


@dataclass
class Hit:
    paper_id: int
    score: float
    keyword: float = 0.0  # bm25 scaled to [0, 1] among the candidates
    semantic: float = 0.0  # cosine scaled to [0, 1] among the candidates (0 for a paper without a vector)


@dataclass
class Results:
    hits: list[Hit]
    mode: str  # hybrid, keyword or semantic
    words: list[str] = field(default_factory=list)


def check_query(text: str) -> str:
    """The query, stripped; SearchError when there is nothing to search or too much."""
    text = (text or "").strip()
    if not text:
        raise SearchError("the query is empty: say what to search for")
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError(f"the query has {len(text):,} characters; at most {MAX_QUERY_CHARS} are searched")
    if not WORD.search(text):
        raise SearchError("the query has no words to search for")
    return text
