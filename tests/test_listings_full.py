"""The whole real listing file: 74,728 records in, one rejected with its reason, re-import unchanged."""

import pytest

from papertide.catalog.models import CodeLink, Paper
from papertide.catalog.services import ingest
from papertide.catalog.sources.snapshot import read_snapshot
from tests.conftest import data_path

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_all_listing_records_import_and_reimport_changes_nothing(client):
    path = data_path("arxiv/listings-2025-03-to-2026-07.jsonl.gz")
    stats, _ = ingest(read_snapshot(path), "snapshot")
    # One real record has its 36 authors run together into one 512-character "name": reported, skipped.
    assert stats.new == 74_727
    assert dict(stats.rejected) == {"an author name too long": 1}
    assert Paper.objects.count() == 74_727
    assert Paper.objects.filter(announced__isnull=True).count() == 0
    assert CodeLink.objects.filter(kind="github").count() > 10_000

    again, _ = ingest(read_snapshot(path), "snapshot")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 74_727)

    newest = Paper.objects.newest().first()
    assert newest.listed_on.isoformat() == "2026-07-01"
    assert newest.arxiv_id in client.get("/").content.decode()
    assert client.get(newest.get_absolute_url()).status_code == 200
