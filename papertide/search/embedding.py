"""Embedding the catalog: papers without a vector of the configured model get one, in batches."""

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from papertide.catalog.counts import remembered
from papertide.catalog.models import Paper

from . import calibration
from .encoder import document_text, get_encoder, model_name
from .models import EmbeddingClaim, PaperVector
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
    """Embed and store vectors for these papers, releasing their claims; return how many were stored.

    The model encodes with no transaction open; the vectors are written in a short one."""
    if not papers:
        return 0
    for paper in papers:  # the display forms, kept since they are made here anyway
        paper.title_clean, paper.abstract_clean = paper.title_display, paper.abstract_display
    texts = [paper_text(p) for p in papers]
    vectors = get_encoder("documents").encode(texts)
    name = model_name()
    ids = [p.pk for p in papers]
    rows = [PaperVector(paper_id=p.pk, model=name, vector=v) for p, v in zip(papers, vectors, strict=True)]
    with transaction.atomic():
        # Replacing rows (delete + insert) gives them a fresh updated_at, which web processes follow.
        PaperVector.objects.filter(paper_id__in=ids).delete()
        PaperVector.objects.bulk_create(rows)
        Paper.objects.bulk_update(papers, ["title_clean", "abstract_clean"])
        EmbeddingClaim.objects.filter(paper_id__in=ids).delete()
    return len(rows)


def claim(owner: str, size: int) -> list[Paper]:
    """Claim up to `size` pending papers for `owner`, newest first, in one short transaction.

    Papers another worker holds a live claim on are left to it; an expired claim (its worker died) is
    taken over by a conditional UPDATE, which two claimers cannot both win. Papers another worker
    embedded between our look and our claim are released at once rather than embedded twice."""
    now = timezone.now()
    until = now + timedelta(seconds=settings.PAPERTIDE_EMBEDDING_LEASE_SECONDS)
    fields = ("id", "title", "abstract", "title_clean", "abstract_clean")
    # Read outside any transaction: on SQLite (IMMEDIATE) a transaction holds the write lock from BEGIN.
    ids = list(pending().exclude(embedding_claim__until__gte=now).values_list("id", flat=True)[:size])
    if not ids:
        return []
    with transaction.atomic():
        EmbeddingClaim.objects.filter(paper_id__in=ids, until__lt=now).update(owner=owner, until=until)
        EmbeddingClaim.objects.bulk_create(
            [EmbeddingClaim(paper_id=i, owner=owner, until=until) for i in ids], ignore_conflicts=True
        )
    claims = EmbeddingClaim.objects.filter(owner=owner, paper_id__in=ids)
    mine = set(claims.values_list("paper_id", flat=True))
    # Asked after our claims committed: a batch another worker wrote before them is seen here.
    vectors = PaperVector.objects.filter(paper_id__in=mine, model=model_name())
    done = set(vectors.values_list("paper_id", flat=True))
    if done:
        release(owner, done)
    return list(Paper.objects.filter(pk__in=mine - done).only(*fields).order_by("-listed_on", "-id"))


def release(owner: str, ids) -> None:
    EmbeddingClaim.objects.filter(owner=owner, paper_id__in=list(ids)).delete()


def forget_expired_claims(now: datetime) -> int:
    """Claims whose worker died and that no one took over (for housekeeping)."""
    return EmbeddingClaim.objects.filter(until__lt=now).delete()[0]


def embed_pending(
    batch_size: int = 256,
    limit: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Embed pending papers batch by batch until none are left (or the limit, or a stop request).

    Each batch is claimed, encoded with no transaction open, and written with its claims released in a
    short transaction, so an interrupted run loses at most one batch of work (its claims run out) and no
    writer ever waits on the encoding. Workers running at once (any database) embed different papers.
    """
    owner = f"{socket.gethostname()[:100]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    done = 0
    while not should_stop() and (limit is None or done < limit):
        size = batch_size if limit is None else min(batch_size, limit - done)
        papers = claim(owner, size)
        if not papers:
            # Nothing left, or every candidate went to another worker between our look and our claim.
            if not pending().exclude(embedding_claim__until__gte=timezone.now()).exists():
                break
            continue
        try:
            done += embed_batch(papers)
        except BaseException:
            release(owner, [p.pk for p in papers])  # for the next run, not after the lease
            raise
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


# --- the worker's jobs (ops.jobs registers them; the contract is in docs/operations.md, "Jobs") --------


def embedding_job(*, now: datetime, should_stop: Callable[[], bool], write: Callable[[str], None]) -> str:
    """Embed every pending paper, PAPERTIDE_EMBEDDING_BATCH at a time, until none is left or a stop."""
    embedded, papers = coverage()
    if embedded == papers:
        # Every paper has a vector of this model (one at most each): the idle worker's look every few
        # seconds costs two index counts (1 ms at 75,000 papers), not pending()'s scan of the catalog (37 ms).
        return "embedded 0 papers"
    # A run ends after PAPERTIDE_EMBEDDING_RUN_SECONDS, so that a large backlog (40 minutes for 75,000
    # papers) does not keep the other jobs (the harvests, the digests) waiting; it is due again at once.
    deadline = time.monotonic() + settings.PAPERTIDE_EMBEDDING_RUN_SECONDS
    out_of_time = lambda: time.monotonic() > deadline  # noqa: E731
    done = embed_reporting(
        write, settings.PAPERTIDE_EMBEDDING_BATCH, should_stop=lambda: should_stop() or out_of_time()
    )
    return f"embedded {done:,} papers" + (
        " (stopped)" if should_stop() else " (more left)" if out_of_time() else ""
    )


def display_text_job(*, now: datetime, should_stop: Callable[[], bool], write: Callable[[str], None]) -> str:
    return f"cleaned the display text of {clean_pending(should_stop=should_stop):,} papers"


def coverage(remember: bool = False) -> tuple[int, int]:
    """(papers with a vector of the configured model, papers); with remember, as counted in this process
    within the last minute (catalog.counts: for pages, where a million papers took 450 ms to count)."""
    name = model_name()
    embedded = lambda: PaperVector.objects.filter(model=name).count()  # noqa: E731
    if not remember:
        return embedded(), Paper.objects.count()
    # "papers:" is also the unfiltered paper list's key (catalog.views): the same count.
    return remembered(f"embedded:{name}", embedded), remembered("papers:", Paper.objects.count)
