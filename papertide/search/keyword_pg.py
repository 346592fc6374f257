"""Keyword search on PostgreSQL: the generated, GIN-indexed tsvector column, ranked by ts_rank, with the
postings budget like the FTS5 index's (keyword.POSTINGS_BUDGET, smaller here): a query's words are kept
rarest first until the papers they occur in add up to the budget, since ts_rank reads the tsvector of
every paper that matches. At a million papers a query of common words matched most of them and took
seconds.

The budget picks which papers the keyword side proposes; it does not decide the keyword score of the
semantic side's candidates, which are ranked by id (backends/postgres.py), a hundred or so a query."""

from collections.abc import Callable
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from . import backends, keyword

# Lexemes in fewer papers than this are not stored: they count as rare, and are always kept.
STORED_FROM = 100
# ts_rank reads each matching paper's tsvector out of TOAST (about 5 µs a paper at a million papers), far
# more than FTS5's bm25 reads from its index: PostgreSQL's budget is smaller. At a million papers a query's
# ranking took 40 to 150 ms within 10,000 postings, 2 to 57 ms within 3,000, and 0 to 15 ms within 1,000
# (docs/benchmarks.md).
POSTINGS_BUDGET = 1_000
# The most papers one query ranks, whatever its words match: the two rarest words together can still be
# in tens of thousands of papers ("chain" & "thought": 32,000 at a million, 133 ms to rank).
RANK_CAP = POSTINGS_BUDGET
# With filters (category, dates, code), the most matching papers a query looks at before filtering.
FILTERED_MATCHES = 5 * RANK_CAP


def lexemes(text: str, using: str = DEFAULT_DB_ALIAS) -> list[tuple[str, int]]:
    """The query's lexemes (English stemming, stop words out) with the number of papers each occurs in."""
    words = keyword.query_words(text)
    if not words:
        return []
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT t.lexeme, coalesce(s.docs, 0) FROM unnest(to_tsvector('english', %s)) t "
            "LEFT JOIN search_termstat s ON s.term = t.lexeme",
            [" ".join(words)],
        )
        return [(lexeme, docs) for lexeme, docs in cursor.fetchall()]


def ts_query(text: str, using: str = DEFAULT_DB_ALIAS) -> str:
    """A to_tsquery('simple', ...) expression, "" when nothing is left: the lexemes kept within the
    budget, OR'ed. When even the rarest one is over the budget on its own, papers must have the two
    rarest: ranking every paper with one common word cost 150 ms at a million papers."""
    found = sorted(set(lexemes(text, using)), key=lambda item: item[1])
    spent = 0
    kept: list[str] = []
    for lexeme, docs in found:
        if kept and spent + docs > POSTINGS_BUDGET:
            break
        spent += docs
        kept.append(lexeme)
    quoted = ["'" + lexeme.replace("'", "''") + "'" for lexeme in kept]
    if len(found) > 1 and found[0][1] > POSTINGS_BUDGET:
        second = found[1][0]
        return f"{quoted[0]} & '" + second.replace("'", "''") + "'"
    return " | ".join(quoted)


def refresh_term_stats(using: str = DEFAULT_DB_ALIAS) -> int:
    """Count every lexeme's papers again (a scan of the whole full-text column); returns lexemes stored."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("DELETE FROM search_termstat")
        cursor.execute(
            "INSERT INTO search_termstat (term, docs) SELECT word, ndoc "
            "FROM ts_stat('SELECT search_vector FROM catalog_paper') WHERE ndoc >= %s",
            [STORED_FROM],
        )
        return cursor.rowcount


def term_stats_job(*, now: datetime, should_stop: Callable[[], bool], write: Callable[[str], None]) -> str:
    """For the worker (every PAPERTIDE_JOB_KEYWORD_STATS_SECONDS): count again where the backend keeps
    word counts of its own (PostgreSQL); SQLite's FTS5 index keeps them itself."""
    stored = backends.current().refresh_term_counts()
    if stored is None:
        return "nothing to count: the keyword index keeps its own word counts"
    return f"counted the papers of {stored:,} common words"
