"""`papertide embed` and `papertide worker`: resumable embedding with the real model."""

import io

import numpy as np
import pytest
from django.core.management import call_command

from papertide.catalog import counts
from papertide.search.embedding import coverage, paper_text
from papertide.search.encoder import get_encoder, model_name
from papertide.search.models import PaperVector
from tests.concurrency import at_once
from tests.search_data import import_sample

pytestmark = pytest.mark.django_db


def test_embed_is_resumable_and_stores_the_models_name():
    papers = import_sample(30, embed=False)
    out = io.StringIO()
    call_command("embed", "--limit", "10", "--batch-size", "4", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == "10 papers embedded"
    assert coverage() == (10, 30)

    assert coverage(remember=True) == (10, 30)
    call_command("embed", stdout=out, stderr=io.StringIO())
    assert coverage() == (30, 30)
    # The search page's figure is counted at most once a minute per process (a million took 450 ms).
    assert coverage(remember=True) == (10, 30)
    counts.COUNTS.reset()
    assert coverage(remember=True) == (30, 30)
    assert set(PaperVector.objects.values_list("model", flat=True)) == {model_name()}

    # A stored vector is the model's embedding of the cleaned title and abstract.
    paper = papers[0]
    stored = PaperVector.objects.get(paper=paper).vector
    fresh = get_encoder("fp32").encode([paper_text(paper)])[0]
    assert np.linalg.norm(stored) == pytest.approx(1.0, abs=1e-3)
    assert float(stored @ fresh) > 0.99


def test_worker_once_embeds_what_is_pending_and_exits():
    import_sample(12, embed=False)
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "embedded 12 papers" in out.getvalue()
    assert "worker stopped" in out.getvalue()
    assert coverage() == (12, 12)


def test_embedding_keeps_display_text_and_a_changed_abstract_is_embedded_again():
    from papertide.catalog.models import Paper
    from papertide.catalog.services import ingest
    from papertide.catalog.sources.snapshot import from_listing
    from papertide.search.embedding import pending
    from tests.search_data import listing_rows

    import_sample(5, embed=False)
    call_command("embed", stdout=io.StringIO(), stderr=io.StringIO())
    paper = Paper.objects.order_by("id").first()
    assert paper.title_clean and paper.abstract_clean
    assert pending().count() == 0

    row = dict(next(r for r in listing_rows() if r["id"] == paper.arxiv_id))
    ingest([from_listing(dict(row, summary=row["summary"] + " We release the code."))], "test")
    paper.refresh_from_db()
    assert paper.abstract_clean == "" and paper.title_clean  # only the changed text waits for cleaning
    assert list(pending()) == [paper]
    assert paper.abstract_display.endswith("We release the code.")


@pytest.mark.django_db(transaction=True)
def test_workers_at_once_share_the_embedding_work(monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("workers share the work through claims on one database: the PostgreSQL run")
    from papertide.search import embedding

    import_sample(48, embed=False)
    embedded: list[int] = []
    real = embedding.embed_batch

    def counting(papers):
        embedded.extend(p.pk for p in papers)
        return real(papers)

    monkeypatch.setattr(embedding, "embed_batch", counting)
    get_encoder("documents")  # loaded once, before the race
    assert not at_once(lambda _: embedding.embed_pending(batch_size=8), 2)
    assert len(embedded) == len(set(embedded)) == 48  # every paper embedded once, by one of them
    assert coverage() == (48, 48)


def test_papers_claimed_by_another_worker_are_left_to_it_until_its_claim_runs_out():
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from papertide.search import embedding
    from papertide.search.models import EmbeddingClaim

    papers = import_sample(6, embed=False)
    now = timezone.now()
    held, dead = papers[:2], papers[2:4]
    for paper in held:  # a live worker's claim
        EmbeddingClaim.objects.create(paper=paper, owner="alive:1", until=now + timedelta(minutes=5))
    for paper in dead:  # a worker that died mid-batch
        EmbeddingClaim.objects.create(paper=paper, owner="dead:2", until=now - timedelta(seconds=1))

    assert embedding.embed_pending(batch_size=3) == 4
    assert set(embedding.pending()) == set(held)
    assert set(EmbeddingClaim.objects.values_list("owner", flat=True)) == {"alive:1"}  # ours released
    with time_machine.travel(now + timedelta(minutes=6)):
        assert embedding.embed_pending(batch_size=3) == 2
    assert coverage() == (6, 6) and not EmbeddingClaim.objects.exists()


def test_a_batch_that_fails_to_encode_releases_its_claims(monkeypatch):
    from papertide.search import embedding
    from papertide.search.models import EmbeddingClaim

    import_sample(4, embed=False)

    def broken(papers):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(embedding, "embed_batch", broken)
    with pytest.raises(RuntimeError):
        embedding.embed_pending(batch_size=2)
    assert not EmbeddingClaim.objects.exists()  # the next run takes them at once, not after the lease
    assert embedding.pending().count() == 4
