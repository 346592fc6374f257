"""Keyword search with SQLite FTS5 and bm25, shared by the catalog index and the BEIR evaluation.

The index holds each paper's title, abstract and authors under its rowid (= the paper's id), tokenised
with the Porter stemmer over unicode61 (case and diacritics folded). A query is reduced to its words,
less common English stop words, each quoted, joined with OR: bm25 ranks papers with more and rarer
matching words first, and no character a user types can be FTS5 syntax.
"""

import re

TABLE = "search_fts"
CREATE_SQL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "title, abstract, authors, tokenize = 'porter unicode61 remove_diacritics 2')"
)
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


def match_expression(text: str) -> str:
    """An FTS5 MATCH expression for free text, or "" when nothing searchable is left."""
    return " OR ".join(f'"{word}"' for word in query_words(text))


def bm25_sql(where: str = "") -> str:
    # bm25() is lower for better matches; negated so that larger is better everywhere else.
    return (
        f"SELECT rowid, -bm25({TABLE}, {TITLE_WEIGHT}, {ABSTRACT_WEIGHT}, {AUTHORS_WEIGHT}) AS score "
        f"FROM {TABLE} WHERE {TABLE} MATCH ? {where} ORDER BY score DESC LIMIT ?"
    )


def search(cursor, text: str, limit: int) -> list[tuple[int, float]]:
    """(rowid, score) of the best keyword matches, best first."""
    expression = match_expression(text)
    if not expression:
        return []
    cursor.execute(bm25_sql(), [expression, limit])
    return [(row[0], row[1]) for row in cursor.fetchall()]


def scores_for(cursor, text: str, rowids: list[int]) -> dict[int, float]:
    """bm25 scores of the given rows (those matching no query word are absent)."""
    expression = match_expression(text)
    if not expression or not rowids:
        return {}
    marks = ",".join("?" * len(rowids))
    cursor.execute(bm25_sql(f"AND rowid IN ({marks})"), [expression, *rowids, len(rowids)])
    return {row[0]: row[1] for row in cursor.fetchall()}
