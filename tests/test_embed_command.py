"""`papertide embed` and `papertide worker`: resumable embedding with the real model."""

import io

import numpy as np
import pytest
from django.core.management import call_command

from papertide.search.embedding import coverage, paper_text
from papertide.search.encoder import get_encoder, model_name
from papertide.search.models import PaperVector
from tests.search_data import import_sample

pytestmark = pytest.mark.django_db


def test_embed_is_resumable_and_stores_the_models_name():
    papers = import_sample(30, embed=False)
    out = io.StringIO()
    call_command("embed", "--limit", "10", "--batch-size", "4", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == "10 papers embedded"
    assert coverage() == (10, 30)

    call_command("embed", stdout=out, stderr=io.StringIO())
    assert coverage() == (30, 30)
    assert set(PaperVector.objects.values_list("model", flat=True)) == {model_name()}

    # A stored vector is the model's embedding of the cleaned title and abstract.
    paper = papers[0]
    stored = PaperVector.objects.get(paper=paper).vector
    fresh = get_encoder(fast=False).encode([paper_text(paper)])[0]
    assert np.linalg.norm(stored) == pytest.approx(1.0, abs=1e-3)
    assert float(stored @ fresh) > 0.99


def test_worker_once_embeds_what_is_pending_and_exits():
    import_sample(12, embed=False)
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "embedded 12 papers" in out.getvalue()
    assert "worker stopped" in out.getvalue()
    assert coverage() == (12, 12)
