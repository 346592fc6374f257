"""Real listing papers, imported and embedded, shared by the search tests."""

import gzip
import json
from functools import lru_cache
from itertools import islice

from papertide.catalog.models import Paper
from papertide.catalog.services import ingest
from papertide.catalog.sources.snapshot import from_listing
from papertide.search.embedding import paper_text
from papertide.search.encoder import get_encoder, model_name
from papertide.search.models import PaperVector
from tests.conftest import data_path

SAMPLE = 300


@lru_cache(maxsize=1)
def listing_rows() -> tuple[dict, ...]:
    with gzip.open(data_path("arxiv/listings-2025-03-to-2026-07.jsonl.gz"), "rt") as f:
        return tuple(json.loads(line) for line in islice(f, SAMPLE))


_vectors: dict[str, object] = {}


def import_sample(n: int = SAMPLE, embed: bool = True) -> list[Paper]:
    """Import the first n listing papers; with embed, store their vectors as embed_batch() would.

    The vectors come from the real encoder, computed once per test run and reused by every test.
    """
    ingest([from_listing(dict(r)) for r in listing_rows()[:n]], "test")
    papers = list(Paper.objects.order_by("id"))
    if embed:
        missing = [p for p in papers if p.arxiv_id not in _vectors]
        if missing:
            vectors = get_encoder("documents").encode([paper_text(p) for p in missing])
            _vectors.update({p.arxiv_id: v for p, v in zip(missing, vectors, strict=True)})
        PaperVector.objects.bulk_create(
            PaperVector(paper=p, model=model_name(), vector=_vectors[p.arxiv_id]) for p in papers
        )
    return papers
