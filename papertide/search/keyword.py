"""Keyword queries: a query's words (for both backends), and SQLite FTS5's match expression for them,
which the SQLite backend ranks with bm25 (backends/sqlite.py). The index itself is created by migration
search.0001 and written by the backend with each paper.

The index holds each paper's title, abstract and authors under its rowid (= the paper's id), tokenised
with the Porter stemmer over unicode61 (case and diacritics folded). A query is reduced to its words,
less common English stop words, each quoted, joined with OR: bm25 ranks papers with more and rarer
matching words first, and no character a user types can be FTS5 syntax.
"""

import re
import sqlite3
import threading
from collections.abc import Callable

TABLE = "search_fts"
VOCABULARY = "search_fts_vocab"
TOKENIZE = "porter unicode61 remove_diacritics 2"
# Matching costs in proportion to the documents each query word occurs in (its postings). Words are kept
# rarest first until their postings add up to this budget; the rarest word always stays. A query of
# common words ("vision language models") scored 63,562 of 74,728 papers in 90 ms; within the budget it
# takes a few. Left-out words weigh little in bm25 (they are in many papers) and the semantic side still
# reads the whole query.
POSTINGS_BUDGET = 10_000
# Column weights for bm25(): a word in the title counts more than one in the abstract.
TITLE_WEIGHT, ABSTRACT_WEIGHT, AUTHORS_WEIGHT = 2.0, 1.0, 1.0
WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 64
# Words so common that matching them says nothing and costs a scan of most of the index.
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my no nor not now
    of off on once only or other our ours out over own same she should so some such than that the their
    theirs them then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours""".split()
)


def query_words(text: str) -> list[str]:
    """The words of a query that go to the index: lower-cased, stop words dropped, each once, in order."""
    words = []
    for word in WORD.findall(text.lower()):
        if word not in STOP_WORDS and word not in words:
            words.append(word)
    return words[:MAX_QUERY_WORDS]


_local = threading.local()


def stems(words: list[str]) -> list[str]:
    """Each word as the index stores it (Porter stem, folded), asked of FTS5's own tokenizer."""
    db = getattr(_local, "db", None)
    if db is None:
        db = _local.db = sqlite3.connect(":memory:")
        db.execute(f"CREATE VIRTUAL TABLE words USING fts5(word, tokenize = '{TOKENIZE}')")
        db.execute("CREATE VIRTUAL TABLE word_terms USING fts5vocab(words, 'instance')")
    out = []
    for word in words:
        db.execute("INSERT INTO words(rowid, word) VALUES (1, ?)", [word])
        row = db.execute("SELECT term FROM word_terms ORDER BY offset LIMIT 1").fetchone()
        db.execute("DELETE FROM words WHERE rowid = 1")
        out.append(row[0] if row else word)
    return out


def match_expression(text: str, frequencies: Callable[[list[str]], dict[str, int]] | None = None) -> str:
    """An FTS5 MATCH expression for free text, or "" when nothing searchable is left.

    With ``frequencies`` (stems -> number of documents), words are kept rarest first within
    POSTINGS_BUDGET; the query's own word order is kept.
    """
    words = query_words(text)
    if words and frequencies:
        terms = stems(words)
        counts = frequencies(sorted(set(terms)))
        spent = 0
        kept: set[str] = set()
        for count, word in sorted(
            (counts.get(term, 0), word) for term, word in zip(terms, words, strict=True)
        ):
            if kept and spent + count > POSTINGS_BUDGET:
                break
            spent += count
            kept.add(word)
        words = [w for w in words if w in kept]
    return " OR ".join(f'"{word}"' for word in words)
