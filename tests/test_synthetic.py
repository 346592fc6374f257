"""Synthetic load-test copies (bench/scale.py) load the indexes like real papers but are never shown."""

import dataclasses

import pytest

from papertide.catalog.models import Paper
from papertide.catalog.services import ingest
from papertide.catalog.sources.snapshot import from_listing
from papertide.search import engine
from tests.search_data import listing_rows

pytestmark = pytest.mark.django_db


def copies(rows, n: int):
    for copy in range(1, n + 1):
        for row in rows:
            record = dataclasses.replace(from_listing(dict(row)), synthetic=True)
            record.arxiv_id = f"synthetic-{copy}-{row['id']}"
            yield record


def test_synthetic_copies_are_indexed_but_never_shown(client):
    rows = list(listing_rows()[:20])
    ingest([from_listing(dict(r)) for r in rows], "test")
    stats, _ = ingest(copies(rows, 2), "synthetic")
    assert stats.new == 40 and not stats.rejected
    assert Paper.everything.filter(synthetic=True).count() == 40 and Paper.objects.count() == 20
    assert ingest(copies(rows, 2), "synthetic")[0].unchanged == 40  # re-imports find them

    target = rows[0]
    words = " ".join(target["title"].split()[:6])
    ids = [i for i, _ in engine.keyword_top(words, 100, engine.Filters())]
    synthetic = set(Paper.everything.filter(synthetic=True).values_list("id", flat=True))
    assert synthetic & set(ids)  # they load the keyword index like the real ones

    assert "synthetic-" not in client.get("/").content.decode()
    assert client.get(f"/papers/synthetic-1-{target['id']}/").status_code == 404
    found = client.get("/api/papers/search", {"q": words}).json()
    assert found and all(not hit["paper"]["id"].startswith("synthetic") for hit in found)
    assert target["id"] in [hit["paper"]["id"] for hit in found]
    listed = client.get("/api/papers/search", {"q": words, "limit": 100}).json()
    assert len({hit["paper"]["id"] for hit in listed}) == len(listed)


def test_a_synthetic_record_needs_a_synthetic_id():
    row = dict(listing_rows()[0])
    record = dataclasses.replace(from_listing(row), synthetic=True)
    stats, _ = ingest([record], "synthetic")  # a real arXiv id marked synthetic: refused, never mixed up
    assert stats.new == 0 and stats.rejected
