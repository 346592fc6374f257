"""Interests as linear classifiers over the paper embeddings the catalog already has, plus each paper's
cosine to the nearest of the interest's papers (Model), and the for-you ranking that reads them.

Training (train) happens when an interest's papers or ratings change: at once after a rating (so that
"sharpen" learns from each answer) and by the worker's `interests` job for the rest. A page only scores
the period's new papers with the stored weights: one matrix product, no training per request.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.db.models import F, Q
from django.utils import timezone
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from papertide.catalog.models import Paper
from papertide.community.rows import row_queryset
from papertide.search import engine

from .models import Entry, Interest, Rating

log = logging.getLogger("papertide.library")

# Negatives besides the rated ones: a sample of this many of the catalog's most recent papers. Recent,
# because what an interest must tell apart is what arrives now, not the whole history of the field.
NEGATIVE_SAMPLE = 1000
RECENT_POOL = 10_000
# Rated "less like this" counts as much as this many sampled papers: the reader said it, the sample guesses.
RATED_NEGATIVE_WEIGHT = 5.0
# The weight of a paper's cosine to the nearest of the interest's papers, beside the linear part (Model):
# chosen on the "tune" half of `papertide eval recommend`'s readers (docs/benchmarks.md, Recommendations).
NEAREST_WEIGHT = 10.0
# The most new papers a for-you page scores (the newest first, when a period holds more).
MAX_CANDIDATES = 20_000
# The for-you periods (page, API, feeds): the new papers of the window that ends now.
PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
# Papers its words found, for an interest started from words.
SEEDS_FROM_WORDS = 20


@dataclass
class Model:
    """A trained interest: a linear part over the embedding, plus NEAREST_WEIGHT times the cosine to the
    nearest of the interest's papers (`positives`, their vectors). match(x) = sigmoid(decision(x)), a
    paper's match from 0 to 1. The stored intercept already holds the nearest part's centring (fit), so a
    model without positives (none has a vector) scores by the linear part alone."""

    weights: np.ndarray
    intercept: float
    positives: np.ndarray | None = None
    positive_ids: list[int] = field(default_factory=list)  # the papers of `positives`, row by row

    def decision(self, vectors: np.ndarray) -> np.ndarray:
        linear = vectors @ self.weights + self.intercept
        if self.positives is None or not len(self.positives):
            return linear
        return linear + NEAREST_WEIGHT * nearest(vectors, self.positives)

    def match(self, vectors: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.decision(vectors)))

    @classmethod
    def of(cls, interest: Interest, vectors=None) -> "Model | None":
        """The interest's stored model, with its papers' vectors (from `vectors`, by default the
        catalog's)."""
        if not interest.weights:
            return None
        vectors = vectors if vectors is not None else engine.catalog_vectors()
        found, positives = vectors.vectors_of(positive_ids(interest))
        return cls(
            np.frombuffer(bytes(interest.weights), dtype="<f4"),
            interest.intercept,
            positives.astype(np.float32) if found else None,
            found,
        )


def nearest(vectors: np.ndarray, positives: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Each vector's cosine to the nearest of the positives (the vectors are L2-normalised)."""
    out = np.empty(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), chunk):
        out[start : start + chunk] = (vectors[start : start + chunk] @ positives.T).max(axis=1)
    return out


def fit(positives: np.ndarray, negatives: np.ndarray, sample: np.ndarray) -> Model:
    """A linear classifier: positives against rated negatives and sampled papers. Classes balanced, since
    an interest has tens of positives against a thousand sampled papers. Then the nearest-paper part
    (Model.decision), centred by the negatives' mean nearest cosine, which goes into the intercept: a
    typical recent paper keeps about the match the linear part gives it. Used by the site and by the
    evaluation (library.evaluate), so that what is measured is what readers get."""
    features = np.vstack([positives, negatives, sample]).astype(np.float32)
    labels = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives) + len(sample))])
    weights = np.concatenate(
        [np.ones(len(positives)), np.full(len(negatives), RATED_NEGATIVE_WEIGHT), np.ones(len(sample))]
    )
    # Balance the classes by total weight: the positives as heavy as all the negatives together.
    weights[: len(positives)] *= weights[len(positives) :].sum() / max(len(positives), 1)
    classifier = LogisticRegression(C=1.0, max_iter=300)
    # One BLAS thread: on 1,200 x 384 the threads cost more than they share (lbfgs took 96 ms with
    # OpenBLAS's two threads beside torch, 6 ms with one, on this 2-core Xeon); retraining at every rating
    # must stay well under 100 ms.
    with threadpool_limits(limits=1):
        classifier.fit(features, labels, sample_weight=weights)
    kept = features[: len(positives)]
    others = features[len(positives) :]
    centre = float(nearest(others, kept).mean()) if len(others) and len(kept) else 0.0
    intercept = float(classifier.intercept_[0]) - NEAREST_WEIGHT * centre
    return Model(classifier.coef_[0].astype(np.float32), intercept, kept)


def positive_ids(interest: Interest) -> list[int]:
    """Its papers: the collection's, the seeds its words found, those rated "more like this"; less those
    rated "less like this" (the latest word of the reader wins over the collection)."""
    ids: dict[int, None] = dict.fromkeys(interest.seeds or [])
    if interest.collection_id:
        ids.update(
            dict.fromkeys(
                Entry.objects.filter(collection_id=interest.collection_id).values_list("paper_id", flat=True)
            )
        )
    rated = dict(Rating.objects.filter(interest=interest).values_list("paper_id", "value"))
    ids.update(dict.fromkeys(i for i, v in rated.items() if v > 0))
    return [i for i in ids if rated.get(i, 1) > 0]


def negative_ids(interest: Interest) -> list[int]:
    return list(
        Rating.objects.filter(interest=interest, value=Rating.LESS).values_list("paper_id", flat=True)
    )


def recent_sample(exclude: Iterable[int], size: int = NEGATIVE_SAMPLE, seed: int = 0) -> list[int]:
    """A sample of the catalog's most recent papers (by id: the order they arrived in), the same one for
    the same seed while the catalog does not change."""
    recent = Paper.objects.order_by("-id").values_list("id", flat=True)[:RECENT_POOL]
    return sample_recent(np.array(recent, dtype=np.int64), exclude, size, seed)


def sample_recent(
    pool: np.ndarray, exclude: Iterable[int], size: int = NEGATIVE_SAMPLE, seed: int = 0
) -> list[int]:
    """The rule of recent_sample on a given pool (the evaluation's "catalog before the week"): `size` of
    the pool's ids not in `exclude`, drawn with `seed`; the whole rest when it holds no more."""
    pool = np.asarray(pool, dtype=np.int64)
    pool = pool[~np.isin(pool, np.fromiter(exclude, dtype=np.int64))]
    if len(pool) <= size:
        return pool.tolist()
    return np.random.default_rng(seed).choice(pool, size=size, replace=False).tolist()


def train(interest: Interest) -> bool:
    """Train the interest on its examples' vectors and store the model; False (and the model cleared)
    when none of its papers has a vector yet (the worker's next run tries again)."""
    started = timezone.now()
    vectors = engine.catalog_vectors()
    positives = positive_ids(interest)
    negatives = negative_ids(interest)
    _, pos = vectors.vectors_of(positives)
    _, neg = vectors.vectors_of(negatives)
    _, sample = vectors.vectors_of(recent_sample(set(positives) | set(negatives), seed=interest.pk))
    fields = {"trained_at": started, "positives": len(pos), "negatives": len(neg)}
    if not len(pos) or not len(neg) + len(sample):
        Interest.objects.filter(pk=interest.pk).update(weights=None, intercept=0.0, **fields)
        interest.weights, interest.intercept = None, 0.0
    else:
        model = fit(pos, neg, sample)
        fields.update(weights=model.weights.astype("<f4").tobytes(), intercept=model.intercept)
        Interest.objects.filter(pk=interest.pk).update(**fields)
        interest.weights, interest.intercept = fields["weights"], model.intercept
    interest.trained_at, interest.positives, interest.negatives = started, len(pos), len(neg)
    return interest.weights is not None


def retrain_stale(limit: int | None = None) -> int:
    """Train the interests whose papers or ratings changed since their last training."""
    stale = Interest.objects.filter(Q(trained_at__isnull=True) | Q(changed_at__gt=F("trained_at")))
    done = 0
    for interest in stale.order_by("changed_at")[:limit]:
        train(interest)
        done += 1
    return done


# --- the for-you ranking -------------------------------------------------------------------------------


@dataclass
class Recommendation:
    """A paper recommended for one of the reader's interests: how well it matches (0 to 1) and the two
    papers of the interest it is closest to, for the why line."""

    paper_id: int
    interest: Interest
    match: float
    near: list[int] = field(default_factory=list)
    paper: Paper | None = None
    near_papers: list[Paper] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(100 * self.match)


def library_ids(user) -> set[int]:
    """Papers in any of the reader's collections."""
    return set(Entry.objects.filter(collection__owner=user).values_list("paper_id", flat=True))


def trained_interests(user, only: Sequence[int] | None = None) -> list[Interest]:
    interests = Interest.objects.filter(owner=user, weights__isnull=False)
    if only:
        interests = interests.filter(pk__in=only)
    return list(interests)


def rank(
    interests: Sequence[Interest],
    candidates: Sequence[int],
    exclude: set[int] = frozenset(),  # type: ignore[assignment]
    limit: int = 50,
    least: float = 0.0,
) -> list[Recommendation]:
    """The candidates ranked by their best match among the interests, at least `least`, best first;
    papers in `exclude` (the reader's library) and those rated for the interest left out."""
    models = [(i, m) for i in interests if (m := Model.of(i)) is not None]
    ids = [c for c in candidates if c not in exclude]
    if not models or not ids:
        return []
    vectors = engine.catalog_vectors()
    found, matrix = vectors.vectors_of(ids)
    if not found:
        return []
    with threadpool_limits(limits=1):  # see fit(): small products, one BLAS thread is faster
        scores = np.column_stack([m.match(matrix) for _, m in models])  # papers x interests
    # A paper rated for an interest is not offered for it again (whatever the rating said).
    row_of = {paper_id: row for row, paper_id in enumerate(found)}
    column_of = {interest.pk: column for column, (interest, _) in enumerate(models)}
    rated = Rating.objects.filter(interest__in=list(column_of))  # a reader's ratings: hundreds, not thousands
    for interest_id, paper_id in rated.values_list("interest_id", "paper_id"):
        if paper_id in row_of:
            scores[row_of[paper_id], column_of[interest_id]] = -1.0
    best = scores.argmax(axis=1)
    top = scores[np.arange(len(found)), best]
    order = [r for r in np.argsort(-top, kind="stable") if top[r] >= least][:limit]
    picked = [Recommendation(found[r], models[best[r]][0], float(top[r])) for r in order]
    explain(picked, {i.pk: m for i, m in models}, {found[r]: matrix[r] for r in order})
    return picked


def explain(
    recommendations: list[Recommendation], models: dict[int, Model], candidate_vectors: dict[int, np.ndarray]
) -> None:
    """Fill each recommendation's `near`: the two papers of its interest closest to it, from the papers
    its model was loaded with (Model.of), not read again."""
    for rec in recommendations:
        model = models[rec.interest.pk]
        if model.positives is None or not model.positive_ids:
            continue
        similarity = model.positives @ candidate_vectors[rec.paper_id]
        rec.near = [model.positive_ids[r] for r in np.argsort(-similarity)[:2]]


def paper_rows():
    """Papers as the rows of a recommendation list show them: the rows of every list (community.rows)."""
    return row_queryset()


def attach_papers(recommendations: list[Recommendation], papers=None) -> list[Recommendation]:
    """Load the recommended papers (from `papers`, a queryset, for the annotations a list needs) and the
    papers named in their why lines, in two queries."""
    papers = papers if papers is not None else Paper.objects.all()
    by_id = papers.in_bulk([r.paper_id for r in recommendations])
    near = Paper.objects.only("arxiv_id", "title", "title_clean").in_bulk(
        {i for r in recommendations for i in r.near}
    )
    for rec in recommendations:
        rec.paper = by_id.get(rec.paper_id)
        rec.near_papers = [near[i] for i in rec.near if i in near]
    return [r for r in recommendations if r.paper is not None]


def for_you(
    user,
    start: datetime,
    end: datetime,
    interest_ids: Sequence[int] | None = None,
    limit: int = 50,
    least: float = 0.0,
) -> list[Recommendation]:
    """The papers new from start to end (Paper.objects.new_between, the one rule of "new"), ranked for
    the reader by their interests, without the papers already in their library."""
    interests = trained_interests(user, interest_ids)
    if not interests:
        return []
    candidates = list(
        Paper.objects.new_between(start, end).order_by("-id").values_list("id", flat=True)[:MAX_CANDIDATES]
    )
    return rank(interests, candidates, library_ids(user), limit=limit, least=least)


def uncertain(interest: Interest, candidates: Sequence[int], count: int = 5) -> list[Recommendation]:
    """Sharpen: the candidates the interest is least sure about (match nearest one half), not yet rated
    nor among its papers: the answers that teach it most (uncertainty sampling)."""
    model = Model.of(interest)
    if model is None:
        return []
    known = set(positive_ids(interest)) | set(
        Rating.objects.filter(interest=interest).values_list("paper_id", flat=True)
    )
    vectors = engine.catalog_vectors()
    found, matrix = vectors.vectors_of([c for c in candidates if c not in known])
    if not found:
        return []
    with threadpool_limits(limits=1):
        match = model.match(matrix)
    order = np.argsort(np.abs(match - 0.5), kind="stable")[:count]
    picked = [Recommendation(found[r], interest, float(match[r])) for r in order]
    explain(picked, {interest.pk: model}, {found[r]: matrix[r] for r in order})
    return picked


def seeds_from_words(words: str) -> list[int]:
    """The papers an interest started from words begins with: the words' best search results."""
    return [hit.paper_id for hit in engine.search(words, limit=SEEDS_FROM_WORDS).hits]


def interests_job(*, now: datetime, should_stop, write) -> str:
    """The worker's `interests` job: train the interests whose papers or ratings changed, and those whose
    papers had no vector when they last tried."""
    done = 0
    stale = Interest.objects.filter(Q(trained_at__isnull=True) | Q(changed_at__gt=F("trained_at")))
    untrained = Interest.objects.filter(weights__isnull=True)
    for interest in (stale | untrained).distinct().order_by("changed_at"):
        if should_stop():
            break
        train(interest)
        done += 1
    return f"interests: {done} trained"
