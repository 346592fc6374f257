"""Embedding the catalog: papers without a vector of the configured model get one, in batches."""

import logging
from collections.abc import Callable
from contextlib import nullcontext

from django.db import connection, transaction
from django.db.models import Q

from papertide.catalog.counts import remembered
from papertide.catalog.models import Paper

from . import calibration
from .encoder import document_text, get_encoder, model_name
from .models import PaperVector
from .progress import Progress

log = logging.getLogger("papertide.search")


def pending():
    """Papers whose vector is missing or was made by another model, newest first."""
    name = model_name()
    return Paper.objects.filter(Q(vector__isnull=True) | ~Q(vector__model=name)).order_by("-listed_on", "-id")


def paper_text(paper: Paper) -> str:
    """What is embedded: the cleaned title and abstract."""
    return document_text(paper.title_display, paper.abstract_display)


def embed_batch(papers: list[Paper]) -> int:
    """Embed and store vectors for these papers; return how many were stored."""
    if not papers:
        return 0
    for paper in papers:  # the display forms, kept since they are made here anyway
        paper.title_clean, paper.abstract_clean = paper.title_display, paper.abstract_display
    texts = [paper_text(p) for p in papers]
    vectors = get_encoder("documents").encode(texts)
    name = model_name()
    rows = [PaperVector(paper_id=p.pk, model=name, vector=v) for p, v in zip(papers, vectors, strict=True)]
    with transaction.atomic():
        # Replacing rows (delete + insert) gives them a fresh updated_at, which web processes follow.
        PaperVector.objects.filter(paper_id__in=[p.pk for p in papers]).delete()
        PaperVector.objects.bulk_create(rows)
        Paper.objects.bulk_update(papers, ["title_clean", "abstract_clean"])
    return len(rows)


def embed_pending(
    batch_size: int = 256,
    limit: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Embed pending papers batch by batch until none are left (or the limit, or a stop request).

    Each batch is committed on its own, so an interrupted run loses at most one batch of work and the
    next run starts with what is still pending. On PostgreSQL, workers running at once embed different
    papers (each batch is locked, the others skip it).
    """
    done = 0
    while not should_stop() and (limit is None or done < limit):
        size = batch_size if limit is None else min(batch_size, limit - done)
        shared = connection.features.has_select_for_update_skip_locked
        # SQLite (IMMEDIATE) takes the write lock at BEGIN: a transaction around the encoding made every
        # other writer wait for the whole batch (7.9 s measured). There the batch is read outside any
        # transaction, and embed_batch() writes its vectors in a short one of its own (one worker writes).
        with transaction.atomic() if shared else nullcontext():
            batch = pending().only("id", "title", "abstract", "title_clean", "abstract_clean")
            if shared:
                # PostgreSQL: several workers share the work. Each locks the batch it embeds until it
                # commits, and the others skip locked rows (on SQLite one writer at a time anyway).
                batch = batch.select_for_update(skip_locked=True, of=("self",))
            papers = list(batch[:size])
            if not papers:
                break
            if shared:
                # A batch another worker committed just before we locked it still looked pending to the
                # query that locked it (its snapshot predates that commit): ask again, now.
                done_by_others = set(
                    PaperVector.objects.filter(paper__in=papers, model=model_name()).values_list(
                        "paper_id", flat=True
                    )
                )
                papers = [p for p in papers if p.pk not in done_by_others]
            done += embed_batch(papers)
        if on_progress:
            on_progress(len(papers))
    return done


def embed_reporting(
    write: Callable[[str], None],
    batch_size: int = 256,
    limit: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[int], None] | None = None,
    every: float | None = None,
    total: int | None = None,
) -> int:
    """embed_pending for the worker and `papertide embed`: the encoders calibrated first when needed,
    and progress written as lines (papers done, rate, time left) every `every` seconds (a minute)."""
    calibration.ensure(write)
    progress = Progress(total if total is not None else lambda: pending().count(), write, every=every)

    def step(n: int) -> None:
        progress.update(n)
        if on_progress:
            on_progress(n)

    done = embed_pending(batch_size, limit, on_progress=step, should_stop=should_stop)
    progress.close()
    return done


def clean_pending(batch_size: int = 500, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Fill the display text of papers that have a vector but no cleaned text (catalogs embedded before
    the columns existed, or papers whose title alone changed)."""
    done = 0
    while not should_stop():
        papers = list(
            Paper.objects.filter(Q(title_clean="") | (Q(abstract_clean="") & ~Q(abstract=""))).only(
                "id", "title", "abstract", "title_clean", "abstract_clean"
            )[:batch_size]
        )
        if not papers:
            break
        for paper in papers:
            paper.title_clean, paper.abstract_clean = paper.title_display, paper.abstract_display
        Paper.objects.bulk_update(papers, ["title_clean", "abstract_clean"])
        done += len(papers)
    return done


def coverage(remember: bool = False) -> tuple[int, int]:
    """(papers with a vector of the configured model, papers); with remember, as counted in this process
    within the last minute (catalog.counts: for pages, where a million papers took 450 ms to count)."""
    name = model_name()
    embedded = lambda: PaperVector.objects.filter(model=name).count()  # noqa: E731
    if not remember:
        return embedded(), Paper.objects.count()
    # "papers:" is also the unfiltered paper list's key (catalog.views): the same count.
    return remembered(f"embedded:{name}", embedded), remembered("papers:", Paper.objects.count)
