"""`papertide eval recommend`: the recommender measured on real reading histories.

Two sets of readers, both real:

- "hf": Hugging Face users of the daily-papers archive (`hf_user_paper_links.csv.gz`: a link is a paper
  the user *submitted* to the daily list or *claimed authorship* of; not a like or an upvote). A user's
  papers are both kinds together, dated by the day the paper was on the daily list. The candidates of a
  week are all the papers on the daily list that week (from `snapshots.jsonl.gz`, the same folder).
- "authors": authors (by name, as arXiv writes it) of the listing records; a paper is dated by its first
  listing day. The candidates of a week are all the listing papers first listed that week.

A query is one reader and one week: the reader's papers before that week are the interest's papers, the
reader's papers of that week are the relevant ones, and every paper of that week is ranked. Each reader
gives at most `weeks` queries, the last weeks in which they had papers and at least `MIN_HISTORY` earlier
papers. Readers are split in two fixed halves by a hash of their name: "tune" (for choosing parameters)
and "test" (for reporting).

The systems, run in the same process on the same queries:

- papertide: recommend.fit on the catalog's embeddings, with the site's negatives: a sample of
  NEGATIVE_SAMPLE papers among the RECENT_POOL most recent ones before the week (recommend.sample_recent,
  the rule the site's recent_sample applies to its catalog), ranked by Model.decision (Model.match is
  its monotone image);
- sanity: arxiv-sanity-lite's method, from its source (karpathy/arxiv-sanity-lite, compute.py and
  serve.py svm_rank): tf-idf of title and abstract with its TfidfVectorizer parameters, fitted on the
  corpus, and per query a LinearSVC(class_weight="balanced", C=0.01, tol=1e-6, max_iter=10000) with the
  reader's papers as positives and every other paper known by the end of the week as negatives;
- linear: the same fit's linear part alone (the site's model before the nearest-paper part was added);
- centroid: cosine to the mean of the interest's embeddings;
- random: a seeded shuffle.
"""

import csv
import gzip
import hashlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from papertide.catalog import text
from papertide.catalog.models import Paper
from papertide.search import engine
from papertide.search.beir import ndcg_at, recall_at
from papertide.search.encoder import document_text, get_encoder, model_name

from . import recommend

log = logging.getLogger("papertide.library")

K = 20
MIN_HISTORY = 3  # earlier papers a query needs
SYSTEMS = ("papertide", "linear", "sanity", "centroid", "random")
# arxiv-sanity-lite's compute.py (defaults -n 20000, --min_df 5, --max_df 0.1) and serve.py svm_rank.
SANITY_TFIDF = dict(
    input="content",
    encoding="utf-8",
    decode_error="replace",
    strip_accents="unicode",
    lowercase=True,
    analyzer="word",
    stop_words="english",
    token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
    ngram_range=(1, 2),
    max_features=20000,
    norm="l2",
    use_idf=True,
    smooth_idf=True,
    sublinear_tf=True,
    max_df=0.1,
    min_df=5,
)
SANITY_SVM = dict(class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01)


class EvaluationError(Exception):
    pass


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


@dataclass
class Corpus:
    """The papers of one benchmark, in the order they arrived (by day, then arXiv id)."""

    ids: list[str]
    titles: list[str]
    abstracts: list[str]
    days: np.ndarray  # date ordinals

    def __post_init__(self) -> None:
        self.row = {arxiv_id: r for r, arxiv_id in enumerate(self.ids)}
        self.weeks = np.array([week_of(date.fromordinal(int(d))).toordinal() for d in self.days])

    def __len__(self) -> int:
        return len(self.ids)

    def texts(self, rows: Iterable[int] | None = None) -> list[str]:
        """Title and abstract as the sources wrote them (arxiv-sanity-lite's tf-idf reads them so)."""
        rows = range(len(self)) if rows is None else rows
        return [f"{self.titles[r]} {self.abstracts[r]}" for r in rows]

    def embedding_texts(self, rows: Iterable[int]) -> list[str]:
        """What the catalog embeds (search.embedding.paper_text): the cleaned title and abstract."""
        return [document_text(text.clean(self.titles[r]), text.clean(self.abstracts[r])) for r in rows]


@dataclass
class Query:
    reader: str
    week: date
    history: list[int]  # corpus rows of the reader's earlier papers
    relevant: list[int]  # corpus rows of the reader's papers of the week
    candidates: np.ndarray  # corpus rows of every paper of the week


@dataclass
class Benchmark:
    name: str
    corpus: Corpus
    readers: dict[str, list[int]]  # reader -> corpus rows of their papers
    queries: list[Query] = field(default_factory=list)


def _corpus(papers: dict[str, tuple[str, str, date]]) -> Corpus:
    ordered = sorted(papers, key=lambda i: (papers[i][2], i))
    return Corpus(
        ids=ordered,
        titles=[papers[i][0] for i in ordered],
        abstracts=[papers[i][1] for i in ordered],
        days=np.array([papers[i][2].toordinal() for i in ordered], dtype=np.int64),
    )


def load_authors(path: str | Path, min_papers: int = 8) -> Benchmark:
    """Authors of the listing records with at least min_papers papers."""
    path = Path(path)
    if not path.exists():
        raise EvaluationError(f"{path}: no such file")
    papers: dict[str, tuple[str, str, date]] = {}
    authors: dict[str, list[str]] = defaultdict(list)
    with gzip.open(path, "rt") as lines:
        for line in lines:
            record = json.loads(line)
            day = record.get("first_listing_date") or min(record.get("listing_dates") or [None])
            if not day or record["id"] in papers:
                continue
            papers[record["id"]] = (record["title"], record["summary"], date.fromisoformat(day))
            for name in dict.fromkeys(record.get("authors") or []):
                authors[name].append(record["id"])
    corpus = _corpus(papers)
    readers = {
        name: sorted(corpus.row[i] for i in ids) for name, ids in authors.items() if len(ids) >= min_papers
    }
    return Benchmark("authors", corpus, readers)


def load_hf(folder: str | Path, min_papers: int = 5) -> Benchmark:
    """Hugging Face users with at least min_papers papers (submitted or claimed) on the daily list."""
    folder = Path(folder)
    snapshots, links = folder / "snapshots.jsonl.gz", folder / "derived" / "hf_user_paper_links.csv.gz"
    for path in (snapshots, links):
        if not path.exists():
            raise EvaluationError(f"{path}: no such file")
    papers: dict[str, tuple[str, str, date]] = {}
    with gzip.open(snapshots, "rt") as lines:
        for line in lines:
            capture = json.loads(line)
            day = date.fromisoformat(capture["date"])
            for entry in capture["response"]:
                paper = entry.get("paper") or {}
                arxiv_id = paper.get("id")
                if not arxiv_id:
                    continue
                known = papers.get(arxiv_id)
                if known is None or day < known[2]:  # a paper listed on two days: its first
                    title = paper.get("title") or entry.get("title") or ""
                    summary = paper.get("summary") or entry.get("summary") or ""
                    papers[arxiv_id] = (title, summary, day)
    corpus = _corpus(papers)
    users: dict[str, set[str]] = defaultdict(set)
    with gzip.open(links, "rt", newline="") as rows:
        for row in csv.DictReader(rows):
            if row["arxiv_id"] in corpus.row:
                users[row["hf_user"]].add(row["arxiv_id"])
    readers = {
        user: sorted(corpus.row[i] for i in ids) for user, ids in users.items() if len(ids) >= min_papers
    }
    return Benchmark("hf", corpus, readers)


def part_of(reader: str) -> str:
    """The reader's fixed half: "tune" or "test"."""
    return "tune" if hashlib.sha256(reader.encode()).digest()[0] % 2 == 0 else "test"


def make_queries(
    bench: Benchmark,
    part: str = "test",
    weeks: int = 2,
    readers: int | None = None,
    seed: int = 0,
) -> list[Query]:
    """Each chosen reader's last `weeks` weeks with papers and at least MIN_HISTORY earlier papers.
    `readers`: at most this many readers of the part, drawn with `seed`."""
    corpus = bench.corpus
    names = sorted(n for n in bench.readers if part == "all" or part_of(n) == part)
    if readers is not None and readers < len(names):
        names = sorted(np.random.default_rng(seed).choice(names, size=readers, replace=False).tolist())
    rows_of_week: dict[int, np.ndarray] = {}
    for week in np.unique(corpus.weeks):
        rows_of_week[int(week)] = np.flatnonzero(corpus.weeks == week)
    queries: list[Query] = []
    for name in names:
        rows = bench.readers[name]
        own_weeks = sorted({int(corpus.weeks[r]) for r in rows})
        chosen = []
        for week in reversed(own_weeks):
            history = [r for r in rows if corpus.weeks[r] < week]
            if len(history) < MIN_HISTORY:
                break
            relevant = [r for r in rows if corpus.weeks[r] == week]
            chosen.append(Query(name, date.fromordinal(week), history, relevant, rows_of_week[week]))
            if len(chosen) == weeks:
                break
        queries += reversed(chosen)
    bench.queries = queries
    return queries


# --- vectors -----------------------------------------------------------------------------------------


def vectors_for(
    corpus: Corpus, cache: str | Path | None = None, progress: Callable[[int], None] | None = None
) -> tuple[np.ndarray, dict[str, int]]:
    """The corpus's embeddings, row for row: the catalog's stored vectors where the catalog has the paper,
    else the cache file's (an .npz keyed by arXiv id, for this model and encoder), else embedded now by the
    worker's encoder and added to the cache. Returns the matrix and how many came from where."""
    matrix = np.zeros((len(corpus), 384), dtype=np.float32)
    have = np.zeros(len(corpus), dtype=bool)
    pk_of = dict(Paper.objects.filter(arxiv_id__in=corpus.ids).values_list("arxiv_id", "id"))
    if pk_of:
        found, stored = engine.catalog_vectors().vectors_of(list(pk_of.values()))
        arxiv_of = {pk: arxiv_id for arxiv_id, pk in pk_of.items()}
        for pk, vector in zip(found, stored, strict=True):
            r = corpus.row[arxiv_of[pk]]
            matrix[r], have[r] = vector, True
    counts = {"catalog": int(have.sum()), "cache": 0, "embedded": 0}
    missing = np.flatnonzero(~have)
    if not len(missing):
        return matrix, counts
    encoder = get_encoder("documents")
    cached: dict[str, np.ndarray] = {}
    path = None
    if cache:
        slug = f"{model_name().replace('/', '_')}-{encoder.candidate}"
        path = Path(cache) / f"vectors-{slug}.npz"
        if path.exists():
            with np.load(path) as saved:
                cached = dict(zip(saved["ids"].tolist(), saved["vectors"], strict=True))
    todo: list[int] = []
    for r in missing.tolist():
        vector = cached.get(corpus.ids[r])
        if vector is None:
            todo.append(r)
        else:
            matrix[r] = vector
            counts["cache"] += 1
    for start in range(0, len(todo), 256):
        rows = todo[start : start + 256]
        matrix[rows] = encoder.encode(corpus.embedding_texts(rows))
        cached.update({corpus.ids[r]: matrix[r] for r in rows})
        counts["embedded"] += len(rows)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, ids=np.array(list(cached)), vectors=np.array(list(cached.values())))
            tmp.replace(path)
        if progress:
            progress(len(rows))
    return matrix, counts


# --- the systems -------------------------------------------------------------------------------------


class Systems:
    """Scores a query's candidates with each system; the tf-idf of the corpus is fitted once."""

    def __init__(self, bench: Benchmark, vectors: np.ndarray, systems: Sequence[str] = SYSTEMS):
        self.bench, self.vectors, self.systems = bench, vectors, list(systems)
        self.tfidf = None
        if "sanity" in self.systems:
            from sklearn.feature_extraction.text import TfidfVectorizer

            vectorizer = TfidfVectorizer(**SANITY_TFIDF)  # type: ignore[arg-type]
            self.tfidf = vectorizer.fit_transform(bench.corpus.texts()).astype(np.float32).tocsr()
        self.seconds: dict[str, float] = dict.fromkeys(self.systems, 0.0)
        self._fitted: tuple[Query, recommend.Model] | None = None

    def negatives(self, query: Query, seed: int) -> np.ndarray:
        """The site's rule: NEGATIVE_SAMPLE papers among the RECENT_POOL most recent before the week."""
        before = int(np.searchsorted(self.bench.corpus.weeks, query.week.toordinal()))
        pool = np.arange(max(0, before - recommend.RECENT_POOL), before)
        return np.array(recommend.sample_recent(pool, query.history, seed=seed), dtype=np.int64)

    def model(self, query: Query, seed: int) -> recommend.Model:
        """recommend.fit on the reader's earlier papers and the site's negatives (one fit a query)."""
        if self._fitted is None or self._fitted[0] is not query:
            sample = self.negatives(query, seed)
            model = recommend.fit(self.vectors[query.history], self.vectors[:0], self.vectors[sample])
            self._fitted = (query, model)
        return self._fitted[1]

    def score(self, system: str, query: Query, seed: int) -> np.ndarray:
        started = time.perf_counter()
        candidates = query.candidates
        if system in ("papertide", "linear"):
            model = self.model(query, seed)
            if system == "papertide":
                scores = model.decision(self.vectors[candidates])
            else:  # the linear part alone: the site's model before the nearest-paper part
                scores = self.vectors[candidates] @ model.weights
        elif system == "centroid":
            centre = self.vectors[query.history].mean(axis=0)
            scores = self.vectors[candidates] @ (centre / max(float(np.linalg.norm(centre)), 1e-12))
        elif system == "sanity":
            from sklearn import svm

            # arxiv-sanity-lite fits on every paper it has: here, every paper known by the week's end.
            known = int(np.searchsorted(self.bench.corpus.weeks, query.week.toordinal() + 7))
            y = np.zeros(known)
            y[query.history] = 1.0
            classifier = svm.LinearSVC(**SANITY_SVM)  # type: ignore[arg-type]
            assert self.tfidf is not None
            classifier.fit(self.tfidf[:known], y)
            scores = classifier.decision_function(self.tfidf[candidates])
        elif system == "random":
            scores = np.random.default_rng(seed).random(len(candidates))
        else:
            raise EvaluationError(f"unknown system {system!r}")
        self.seconds[system] += time.perf_counter() - started
        return np.asarray(scores, dtype=np.float64)


def ranking(scores: np.ndarray, candidates: np.ndarray, k: int = K) -> list[int]:
    """The top k candidates' rows, best first (ties: the earlier row first)."""
    order = np.argsort(-scores, kind="stable")[:k]
    return [int(candidates[i]) for i in order]


def metrics(ranked: Sequence, relevant: Iterable, k: int = K) -> tuple[float, float]:
    """(recall@k, nDCG@k) with binary relevance: the project's one definition (search.beir)."""
    judged = {str(r): 1 for r in relevant}
    ranked = [str(r) for r in ranked]
    return recall_at(ranked, judged, k), ndcg_at(ranked, judged, k)


@dataclass
class Result:
    system: str
    recall: float
    ndcg: float
    seconds: float


def evaluate(
    bench: Benchmark,
    vectors: np.ndarray,
    systems: Sequence[str] = SYSTEMS,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Result]:
    """Mean recall@K and nDCG@K of each system over the benchmark's queries."""
    if not bench.queries:
        raise EvaluationError(f"{bench.name}: no queries")
    runner = Systems(bench, vectors, systems)
    sums = {s: [0.0, 0.0] for s in systems}
    for n, query in enumerate(bench.queries):
        for system in systems:
            scores = runner.score(system, query, seed=n)
            recall, ndcg = metrics(ranking(scores, query.candidates), query.relevant)
            sums[system][0] += recall
            sums[system][1] += ndcg
        if progress:
            progress(1)
    count = len(bench.queries)
    return {s: Result(s, sums[s][0] / count, sums[s][1] / count, runner.seconds[s] / count) for s in systems}
