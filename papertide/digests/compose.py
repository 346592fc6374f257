"""What goes into a digest: the period's top trending papers, and the new papers matching each saved search.

A saved search is matched against the period's new papers (Paper.objects.new_between: first seen in the
window that schedule.new_papers_window gives), by words and by meaning:

    score = 0.5 × words + 0.5 × meaning

words: the share of the query's words (stop words and words found in over half the period's papers left
out) that occur in the title or abstract, Porter-stemmed; meaning: the cosine similarity of the query's
and the paper's embeddings (0 when negative). A paper not embedded yet is scored by words alone. Papers at
or above the search's threshold are kept, best first, at most PAPERTIDE_DIGEST_MATCHES per search.

All of this is computed once per period and query in a process, so ten thousand digests over the same
day cost little more than their distinct queries; each digest then only leaves out what its reader has
already received.

A reader with an account also gets a "For you" section per interest of theirs that is in the digest
(Interest.in_digest) and trained: the period's same new papers ranked by that interest
(library.recommend.for_you), those at or above its threshold, best first, at most FOR_YOU_PER_INTEREST,
each with its why line (library/why.html).
"""

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from django.conf import settings
from django.template.loader import render_to_string

from papertide.catalog.models import CodeLink, Paper
from papertide.community.trending import trending_between
from papertide.library import recommend
from papertide.library.models import Interest
from papertide.library.why import settings_path, why_text
from papertide.search.encoder import DIMENSIONS, get_encoder, model_name
from papertide.search.keyword import TOKENIZE, query_words
from papertide.search.models import PaperVector

from .models import SavedSearch

WORDS_WEIGHT = 0.5
COMMON_SHARE = 0.5  # a word in more than this share of the period's papers says nothing
TRENDING_DEPTH = 200
FOR_YOU_PER_INTEREST = 5


@dataclass
class Match:
    paper_id: int
    score: float
    words: float
    meaning: float | None  # None: the paper has no embedding yet


@dataclass
class Entry:
    paper_id: int
    why: list[str] = field(default_factory=list)


@dataclass
class Section:
    title: str
    entries: list[Entry]
    link: str = ""  # where the reader changes what the section holds (an interest's settings)


def search_vector(search: SavedSearch) -> np.ndarray:
    """The saved search's embedding, computed now if it is missing or from another model."""
    if search.vector is None or search.model != model_name():
        search.vector = get_encoder("queries").encode([search.query])[0]
        search.model = model_name()
        SavedSearch.objects.filter(pk=search.pk).update(vector=search.vector, model=search.model)
    return search.vector


class Period:
    """The daily lists from start to end (for trending) and the papers new from `since` to `until` (for
    saved searches), with their vectors and a small word index of their own."""

    def __init__(self, start: date, end: date, now: datetime, since: datetime, until: datetime):
        self.start, self.end, self.now = start, end, now
        new = Paper.objects.new_between(since, until)
        rows = list(
            new.order_by("id").values_list("id", "title", "title_clean", "abstract", "abstract_clean")
        )
        self.ids = np.array([row[0] for row in rows], dtype=np.int64)
        self.position = {paper_id: i for i, paper_id in enumerate(self.ids.tolist())}
        self.vectors = np.zeros((len(rows), DIMENSIONS), dtype=np.float32)
        self.embedded = np.zeros(len(rows), dtype=bool)
        for paper_id, vector in PaperVector.objects.filter(
            paper__in=new.values("id"), model=model_name()
        ).values_list("paper_id", "vector"):
            i = self.position[paper_id]
            self.vectors[i], self.embedded[i] = vector, True
        self.index = sqlite3.connect(":memory:")
        self.index.execute(
            f"CREATE VIRTUAL TABLE papers USING fts5(title, abstract, tokenize = '{TOKENIZE}')"
        )
        self.index.executemany(
            "INSERT INTO papers(rowid, title, abstract) VALUES (?, ?, ?)",
            ((i, row[2] or row[1], row[4] or row[3]) for i, row in enumerate(rows)),
        )
        self._word_rows: dict[str, np.ndarray] = {}
        self._matches: dict[tuple, list[Match]] = {}
        self._trending: list | None = None
        self._papers: dict[int, Paper] = {}
        self._blocks: dict[int, tuple[str, str]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def trending(self) -> list:
        """The top papers of the period's daily lists with their breakdowns, scored as of now: enough of
        them that a reader who already received some still gets their top N."""
        if self._trending is None:
            self._trending = trending_between(self.start, self.end, self.now, TRENDING_DEPTH)
        return self._trending

    def _rows_with(self, word: str) -> np.ndarray:
        """Which of the period's papers contain the word: a boolean per paper."""
        if word not in self._word_rows:
            present = np.zeros(len(self.ids), dtype=bool)
            rows = [
                r
                for (r,) in self.index.execute("SELECT rowid FROM papers WHERE papers MATCH ?", [f'"{word}"'])
            ]
            present[rows] = True
            self._word_rows[word] = present
        return self._word_rows[word]

    def words(self, query: str) -> np.ndarray:
        """The share of the query's telling words each paper contains."""
        if not len(self.ids):
            return np.zeros(0)
        found = [self._rows_with(word) for word in query_words(query)]
        telling = [rows for rows in found if rows.mean() <= COMMON_SHARE] or found
        if not telling:
            return np.zeros(len(self.ids))
        return np.mean(telling, axis=0)

    def matches(self, search: SavedSearch) -> list[Match]:
        key = (" ".join(search.query.lower().split()), search.threshold)
        if key not in self._matches:
            self._matches[key] = self._match(search)
        return self._matches[key]

    def _match(self, search: SavedSearch) -> list[Match]:
        if not len(self.ids):
            return []
        words = self.words(search.query)
        meaning = np.clip(self.vectors @ search_vector(search), 0.0, 1.0)
        score = np.where(self.embedded, WORDS_WEIGHT * words + (1 - WORDS_WEIGHT) * meaning, words)
        keep = np.flatnonzero(score >= search.threshold)
        keep = keep[np.argsort(-score[keep], kind="stable")]
        return [
            Match(
                int(self.ids[i]),
                float(score[i]),
                float(words[i]),
                float(meaning[i]) if self.embedded[i] else None,
            )
            for i in keep[: settings.PAPERTIDE_DIGEST_MATCHES * 4]  # room for papers a reader already has
        ]

    def blocks(self, paper_ids: list[int]) -> dict[int, tuple[str, str]]:
        """Each paper rendered once per period, as HTML and as text: title, authors, a short abstract and
        its links. A digest then only adds the "why" lines around them."""
        missing = [i for i in paper_ids if i not in self._blocks]
        if missing:
            papers = Paper.objects.in_bulk(missing)
            code: dict[int, str] = {}
            for paper_id, url in (
                CodeLink.objects.filter(paper_id__in=missing, kind__in=CodeLink.CODE_KINDS)
                .order_by("id")
                .values_list("paper_id", "url")
            ):
                code.setdefault(paper_id, url)
            for paper_id, paper in papers.items():
                context = {
                    "paper": paper,
                    "code": code.get(paper_id),
                    "site_url": settings.PAPERTIDE_SITE_URL,
                }
                self._blocks[paper_id] = (
                    render_to_string("emails/digest-paper.html", context),
                    render_to_string("emails/digest-paper.txt", context),
                )
        return {i: self._blocks[i] for i in paper_ids if i in self._blocks}


def trending_why(trend) -> str:
    code = f" + {trend.code_bonus:g} for code" if trend.code_bonus else ""
    return (
        f"trending: {trend.votes} votes{code}, {trend.age_days:.1f} days in the daily list "
        f"(score {trend.score:.2f})"
    )


def match_why(search: SavedSearch, match: Match) -> str:
    meaning = "not embedded yet" if match.meaning is None else f"meaning {match.meaning:.0%}"
    return f"matches your search “{search.query}”: words {match.words:.0%} · {meaning}"


def recommendations(
    user, interests: list[Interest], since: datetime, until: datetime
) -> list[tuple[Interest, list[recommend.Recommendation]]]:
    """[(interest, its recommendations)] for the papers new from since to until: per interest, those at or
    above its threshold, best first, with room for papers the reader already has."""
    found = []
    for interest in interests:
        recs = recommend.for_you(
            user,
            since,
            until,
            interest_ids=[interest.pk],
            limit=FOR_YOU_PER_INTEREST * 4,
            least=interest.threshold,
        )
        # The papers' blocks come from the period; here only the why lines' papers are needed.
        recs = recommend.attach_papers(recs, Paper.objects.only("id"))
        if recs:
            found.append((interest, recs))
    return found


def compose(
    period: Period,
    top_n: int,
    searches: list[SavedSearch],
    received: set[int],
    for_you: Sequence[tuple[Interest, list[recommend.Recommendation]]] = (),
) -> list[Section]:
    """The sections of one reader's digest. A paper appears once, in its first section, with every reason
    it is there; papers in `received` (already sent to this reader) are left out. `for_you`: the reader's
    recommendations(), a section per interest, after the saved searches."""
    sections: list[Section] = []
    placed: dict[int, Entry] = {}

    def add(section: Section, paper_id: int, why: str) -> bool:
        if paper_id in received:
            return False
        if paper_id in placed:
            placed[paper_id].why.append(why)
            return False
        placed[paper_id] = Entry(paper_id, [why])
        section.entries.append(placed[paper_id])
        return True

    if top_n:
        section = Section("Trending", [])
        for trend in period.trending():
            if len(section.entries) >= top_n:
                break
            add(section, trend.entry.paper_id, trending_why(trend))
        sections.append(section)
    for search in searches:
        section = Section(f"New for “{search.query}”", [])
        for match in period.matches(search):
            if len(section.entries) >= settings.PAPERTIDE_DIGEST_MATCHES:
                break
            add(section, match.paper_id, match_why(search, match))
        sections.append(section)
    site = settings.PAPERTIDE_SITE_URL.rstrip("/")
    for interest, recs in for_you:
        section = Section(f"For you: {interest.name}", [], link=site + settings_path(interest))
        for rec in recs:
            if len(section.entries) >= FOR_YOU_PER_INTEREST:
                break
            add(section, rec.paper_id, why_text(rec))
        sections.append(section)
    return [s for s in sections if s.entries]
