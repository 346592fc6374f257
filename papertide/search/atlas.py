"""The map of the field: every embedded paper as a point in 2-D, with regions named by their own words.

A full layout runs UMAP (umap-learn) over the paper embeddings: over all of them up to
PAPERTIDE_MAP_FIT_SAMPLE papers, else over a random sample of that many, the others placed like new papers.
A new paper is placed among its PAPERTIDE_MAP_NEIGHBOURS nearest already-placed papers (cosine over the
embeddings: the weighted mean of their points), which costs a matrix product, not a UMAP run; the layout
is computed again from scratch once the embedded papers have grown by PAPERTIDE_MAP_REFIT_GROWTH since the
last full layout. Regions: k-means over the 2-D points, each named by the words of its papers' titles that
are most its own (class-based tf-idf). Everything here is derived from the vectors and can be rebuilt
(`MapLayout`, `MapPoint` and `MapRegion` rows); docs/map.md.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from papertide.catalog import text
from papertide.catalog.models import Paper

from .encoder import model_name
from .models import MapLayout, MapPoint, MapRegion, PaperVector

log = logging.getLogger("papertide.search")

LABEL_WORDS = 3  # words in a region's name
CHUNK = 256  # rows of new vectors scored against the placed ones at a time (256 x 75,000 floats: 77 MB)


@dataclass
class Layout:
    ids: np.ndarray  # paper ids, int64
    points: np.ndarray  # (n, 2) float32
    regions: np.ndarray  # (n,) int, the region of each point
    labels: list[str]  # region number -> its name
    fitted: int  # how many papers UMAP itself laid out (the others were placed among them)


def embedded_vectors(exclude: set[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of the papers with a vector of the configured model, in id order."""
    rows = (
        PaperVector.objects.filter(model=model_name()).order_by("paper_id").values_list("paper_id", "vector")
    )
    ids, vectors = [], []
    for paper_id, vector in rows.iterator(chunk_size=2000):
        if exclude is None or paper_id not in exclude:
            ids.append(paper_id)
            vectors.append(vector)
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 384), dtype=np.float32)
    return np.asarray(ids, dtype=np.int64), np.vstack(vectors).astype(np.float32, copy=False)


def umap_points(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    """UMAP to 2-D (cosine, 15 neighbours), on one thread unless NUMBA_NUM_THREADS says otherwise."""
    n = len(vectors)
    if n < 4:  # too few for a neighbour graph: a small circle
        angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
        return np.stack([np.cos(angle), np.sin(angle)], axis=1).astype(np.float32)
    import umap  # imported here: numba compiles on first import (seconds), which pages never need

    model = umap.UMAP(
        n_neighbors=min(15, n - 1),
        min_dist=0.1,
        metric="cosine",
        random_state=seed,  # a fixed seed: the same catalog gives the same map (and runs on one thread)
        init="spectral" if n > 16 else "random",
        low_memory=True,
        n_jobs=1,
    )
    return np.asarray(model.fit_transform(vectors), dtype=np.float32)


def place_near(
    vectors: np.ndarray, placed_vectors: np.ndarray, placed_points: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Points for new vectors among placed ones: the mean of the points of their k nearest placed papers,
    weighted towards the nearest; also the row of the nearest (whose region a new paper takes)."""
    out = np.zeros((len(vectors), 2), dtype=np.float32)
    nearest = np.zeros(len(vectors), dtype=np.int64)
    k = max(1, min(k, len(placed_vectors)))
    for start in range(0, len(vectors), CHUNK):
        scores = vectors[start : start + CHUNK] @ placed_vectors.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1)
        top, top_scores = (
            np.take_along_axis(top, order, axis=1),
            np.take_along_axis(top_scores, order, axis=1),
        )
        # Weights fall off fast with distance from the best neighbour, so that a paper whose neighbours
        # lie in two islands lands on the nearer island rather than in the sea between them.
        weights = np.exp((top_scores - top_scores[:, :1]) / 0.02)
        weights /= weights.sum(axis=1, keepdims=True)
        out[start : start + CHUNK] = np.einsum("rk,rkd->rd", weights, placed_points[top])
        nearest[start : start + CHUNK] = top[:, 0]
    return out, nearest


def regions_of(points: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """k-means over the 2-D points: a region number for each."""
    from sklearn.cluster import KMeans

    k = max(1, min(count, 255, len(points) // 20 or 1))  # 255: a region number is one byte in points.bin
    if k == 1:
        return np.zeros(len(points), dtype=np.int64)
    return KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(points).astype(np.int64)


def region_labels(titles: list[str], regions: np.ndarray, words: int = LABEL_WORDS) -> list[str]:
    """Each region's name: its titles' words with the highest class-based tf-idf (a word's share of the
    region's words, times log(1 + average words per region / the word's count over all regions))."""
    from sklearn.feature_extraction.text import CountVectorizer

    count = int(regions.max()) + 1 if len(regions) else 0
    try:
        vectorizer = CountVectorizer(
            lowercase=True, stop_words="english", token_pattern=r"(?u)\b[a-z][a-z0-9]{2,}\b"
        )
        counts = vectorizer.fit_transform(titles)
    except ValueError:  # no word at all
        return [""] * count
    vocabulary = vectorizer.get_feature_names_out()
    per_region = np.zeros((count, len(vocabulary)), dtype=np.float64)
    for region in range(count):
        rows = np.flatnonzero(regions == region)
        if len(rows):
            per_region[region] = np.asarray(counts[rows].sum(axis=0)).ravel()
    totals = per_region.sum(axis=1, keepdims=True)
    tf = per_region / np.maximum(totals, 1)
    idf = np.log(1 + totals.mean() / np.maximum(per_region.sum(axis=0), 1))
    scores = tf * idf
    labels = []
    for region in range(count):
        best = [i for i in np.argsort(-scores[region])[:words] if per_region[region, i] > 0]
        labels.append(" · ".join(str(vocabulary[i]) for i in best))
    return labels


def titles_of(ids: np.ndarray) -> list[str]:
    found: dict[int, str] = {}
    id_list = [int(i) for i in ids]
    for start in range(0, len(id_list), 5000):
        rows = Paper.objects.filter(id__in=id_list[start : start + 5000]).values_list(
            "id", "title_clean", "title"
        )
        found.update({pk: clean or text.clean(raw) for pk, clean, raw in rows})
    return [found.get(i, "") for i in id_list]


class Stopped(Exception):
    """The worker asked the job to stop (or lost its lease) while UMAP ran."""


def while_asking(
    compute: Callable[[], np.ndarray], should_stop: Callable[[], bool], poll: float = 5.0
) -> np.ndarray:
    """Run compute() (UMAP: minutes) in a thread while this one asks should_stop() every few seconds, which
    renews the job's lease (ops.runner) and hears a stop request. On a stop the thread is left to finish on
    its own (a daemon: a worker that exits does not wait for it) and Stopped is raised."""
    result: list = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(compute())
        except BaseException as exc:  # handed to the waiting thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="map-umap", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(timeout=poll)
        if thread.is_alive() and should_stop():
            raise Stopped
    if failure:
        raise failure[0]
    return result[0]


def compute_layout(
    ids: np.ndarray,
    vectors: np.ndarray,
    *,
    sample: int,
    regions: int,
    k: int,
    should_stop: Callable[[], bool] = lambda: False,
) -> Layout:
    """The full layout of these papers (no database access but for their titles)."""
    n = len(ids)
    rng = np.random.default_rng(0)
    if n > sample:
        fit_rows = np.sort(rng.choice(n, size=sample, replace=False))
        rest = np.setdiff1d(np.arange(n), fit_rows)
    else:
        fit_rows, rest = np.arange(n), np.zeros(0, dtype=np.int64)
    points = np.zeros((n, 2), dtype=np.float32)
    points[fit_rows] = while_asking(lambda: umap_points(vectors[fit_rows]), should_stop)
    if should_stop():
        raise Stopped
    if len(rest):
        points[rest], _ = place_near(vectors[rest], vectors[fit_rows], points[fit_rows], k)
    region = regions_of(points, regions)
    labels = region_labels(titles_of(ids), region)
    return Layout(ids=ids, points=points, regions=region, labels=labels, fitted=len(fit_rows))


def store_layout(layout: Layout, model: str, now: datetime) -> None:
    """Replace the map in one short transaction."""
    point_rows = [
        MapPoint(paper_id=int(i), x=float(p[0]), y=float(p[1]), region=int(r), fitted=True)
        for i, p, r in zip(layout.ids, layout.points, layout.regions, strict=True)
    ]
    region_rows = []
    for number, label in enumerate(layout.labels):
        members = layout.regions == number
        if members.any():
            centre = layout.points[members].mean(axis=0)
            region_rows.append(
                MapRegion(
                    number=number,
                    label=label,
                    x=float(centre[0]),
                    y=float(centre[1]),
                    papers=int(members.sum()),
                )
            )
    with transaction.atomic():
        MapPoint.objects.all().delete()
        MapRegion.objects.all().delete()
        # A paper deleted while UMAP ran (minutes) has no row left to point to.
        existing = set(Paper.objects.values_list("id", flat=True))
        point_rows = [row for row in point_rows if row.paper_id in existing]
        MapPoint.objects.bulk_create(point_rows, batch_size=2000)
        MapRegion.objects.bulk_create(region_rows)
        MapLayout.objects.update_or_create(
            id=1,
            defaults={"model": model, "fitted_at": now, "fitted_papers": len(point_rows), "updated_at": now},
        )


def place_new(now: datetime, k: int) -> int:
    """Place the embedded papers that have no point yet among those that have; return how many."""
    if not PaperVector.objects.filter(model=model_name(), paper__map_point__isnull=True).exists():
        return 0  # the hourly look when nothing is new: one query, not a read of every vector
    placed = dict(
        (pid, (x, y, r)) for pid, x, y, r in MapPoint.objects.values_list("paper_id", "x", "y", "region")
    )
    all_ids, all_vectors = embedded_vectors()
    is_new = np.array([int(i) not in placed for i in all_ids], dtype=bool)
    if not is_new.any():
        return 0
    old = ~is_new
    old_points = np.array([placed[int(i)][:2] for i in all_ids[old]], dtype=np.float32).reshape(-1, 2)
    old_regions = np.array([placed[int(i)][2] for i in all_ids[old]], dtype=np.int64)
    points, nearest = place_near(all_vectors[is_new], all_vectors[old], old_points, k)
    rows = [
        MapPoint(paper_id=int(i), x=float(p[0]), y=float(p[1]), region=int(old_regions[r]), fitted=False)
        for i, p, r in zip(all_ids[is_new], points, nearest, strict=True)
    ]
    with transaction.atomic():
        existing = set(Paper.objects.values_list("id", flat=True))
        rows = [row for row in rows if row.paper_id in existing]  # none deleted meanwhile
        MapPoint.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        MapLayout.objects.filter(id=1).update(updated_at=now)
    return len(rows)


def needs_full_layout(embedded: int) -> bool:
    layout = MapLayout.objects.filter(id=1).first()
    if layout is None or layout.model != model_name() or not layout.fitted_papers:
        return True
    if not MapPoint.objects.exists():  # every paper of the last layout deleted since
        return True
    return embedded > layout.fitted_papers * (1 + settings.PAPERTIDE_MAP_REFIT_GROWTH)


def map_job(*, now: datetime, should_stop: Callable[[], bool], write: Callable[[str], None]) -> str:
    """Keep the map in step with the embeddings: a full layout when there is none or the embedded papers
    have grown by PAPERTIDE_MAP_REFIT_GROWTH since the last, else place the new papers near their
    neighbours. Reads, computes with no transaction open, then writes in one short transaction."""
    embedded = PaperVector.objects.filter(model=model_name()).count()
    if not embedded:
        return "map: no embedded paper yet"
    if needs_full_layout(embedded):
        started = time.monotonic()
        ids, vectors = embedded_vectors()
        write(f"laying out {len(ids):,} papers (UMAP over up to {settings.PAPERTIDE_MAP_FIT_SAMPLE:,})")
        try:
            layout = compute_layout(
                ids,
                vectors,
                sample=settings.PAPERTIDE_MAP_FIT_SAMPLE,
                regions=settings.PAPERTIDE_MAP_REGIONS,
                k=settings.PAPERTIDE_MAP_NEIGHBOURS,
                should_stop=should_stop,
            )
        except Stopped:
            return f"map: stopped while laying out {len(ids):,} papers; the old map stays"
        store_layout(layout, model_name(), now)
        return (
            f"map: laid out {len(ids):,} papers ({layout.fitted:,} by UMAP) in "
            f"{len(set(layout.regions.tolist()))} regions, {time.monotonic() - started:.0f} s"
        )
    placed = place_new(timezone.now(), settings.PAPERTIDE_MAP_NEIGHBOURS)
    return f"map: placed {placed:,} new papers near their neighbours"
