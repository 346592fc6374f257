"""The one upsert path: idempotent re-imports, versions, merging across sources, all-or-nothing batches."""

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from papertide.catalog.models import CodeLink, IngestRun, Paper, Version
from papertide.catalog.records import Checkpoint, PaperRecord, RejectedRecord, SourceError
from papertide.catalog.services import ingest
from papertide.catalog.sources.oai_pmh import PageInfo, parse_list_records
from papertide.catalog.sources.snapshot import from_kaggle, from_listing
from tests.conftest import data_path

pytestmark = pytest.mark.django_db


def kaggle_head() -> list[dict]:
    with data_path("arxiv/kaggle-snapshot-head200.jsonl").open() as f:
        return [json.loads(line) for line in f]


def kaggle_record(arxiv_id: str) -> dict:
    return next(r for r in kaggle_head() if r["id"] == arxiv_id)


def first_listings(n: int) -> list[dict]:
    import gzip
    from itertools import islice

    with gzip.open(data_path("arxiv/listings-2025-03-to-2026-07.jsonl.gz"), "rt") as f:
        return [json.loads(line) for line in islice(f, n)]


def test_reimport_changes_nothing():
    records = [from_kaggle(r) for r in kaggle_head()]
    stats, _ = ingest(copy.deepcopy(records), "test")
    assert (stats.new, stats.updated, stats.unchanged) == (200, 0, 0)
    before = {p.arxiv_id: p.modified_at for p in Paper.objects.all()}
    counts = (Paper.objects.count(), Version.objects.count(), CodeLink.objects.count())

    stats, _ = ingest(copy.deepcopy(records), "test")

    assert (stats.new, stats.updated, stats.unchanged) == (0, 0, 200)
    assert {p.arxiv_id: p.modified_at for p in Paper.objects.all()} == before
    assert (Paper.objects.count(), Version.objects.count(), CodeLink.objects.count()) == counts


def test_newer_version_updates_paper_and_adds_version():
    # 0704.0001 as Kaggle knows it has two versions; as it stood at v1 the record listed only the first.
    raw = kaggle_record("0704.0001")
    at_v1 = dict(raw, versions=raw["versions"][:1], comments="first version")
    ingest([from_kaggle(at_v1)], "test")
    paper = Paper.objects.get(arxiv_id="0704.0001")
    assert paper.current_version == 1
    assert list(paper.versions.values_list("number", flat=True)) == [1]

    stats, _ = ingest([from_kaggle(raw)], "test")

    assert stats.updated == 1
    paper.refresh_from_db()
    assert paper.current_version == 2
    assert paper.comments == raw["comments"]
    assert list(paper.versions.values_list("number", flat=True)) == [1, 2]
    assert paper.updated.date().isoformat() == "2007-07-24"


def test_first_seen_is_set_when_the_paper_arrives_and_never_moves():
    raw = kaggle_record("0704.0001")
    at_v1 = dict(raw, versions=raw["versions"][:1], comments="first version")
    arrived = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    with time_machine.travel(arrived, tick=False):
        ingest([from_kaggle(at_v1)], "test")
    with time_machine.travel(arrived + timedelta(days=30), tick=False):
        stats, _ = ingest([from_kaggle(raw)], "kaggle")  # a later version, another source
        Paper.objects.create(arxiv_id="0704.0002", title="made by hand")

    assert stats.updated == 1
    paper = Paper.objects.get(arxiv_id="0704.0001")
    assert paper.first_seen == arrived and paper.modified_at == arrived + timedelta(days=30)
    assert Paper.objects.get(arxiv_id="0704.0002").first_seen == arrived + timedelta(days=30)
    # First seen in that second, but announced in 2007: an import of old papers is not "new papers".
    assert paper.listed_on.year == 2007
    assert not Paper.objects.new_between(arrived, arrived + timedelta(seconds=1)).exists()


def test_older_version_never_overwrites_newer():
    raw = kaggle_record("0704.0001")
    ingest([from_kaggle(raw)], "test")
    at_v1 = dict(raw, versions=raw["versions"][:1], comments="first version")

    stats, _ = ingest([from_kaggle(at_v1)], "test")

    paper = Paper.objects.get(arxiv_id="0704.0001")
    assert stats.unchanged == 1
    assert paper.current_version == 2
    assert paper.comments == raw["comments"]


def test_sources_merge_without_wiping_fields():
    # The listing format has no DOI or journal-ref; importing it after Kaggle must keep them.
    raw = kaggle_record("0704.0001")
    ingest([from_kaggle(raw)], "test")
    listing = {
        "id": raw["id"],
        "title": raw["title"],
        "summary": raw["abstract"],
        "authors": ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"],
        "categories": ["hep-ph"],
        "comment": None,
        "first_listing_date": "2007-04-03",
    }
    ingest([from_listing(listing)], "test")
    paper = Paper.objects.get(arxiv_id="0704.0001")
    assert paper.doi == "10.1103/PhysRevD.76.013009"
    assert paper.journal_ref == "Phys.Rev.D76:013009,2007"
    assert paper.comments == "37 pages, 15 figures; published version"
    assert paper.announced.isoformat() == "2007-04-03"
    assert paper.listed_on == paper.announced


def test_oai_and_kaggle_records_of_the_same_papers_settle():
    """The 2018 OAI-PMH page and the Kaggle head share 200 papers; importing both, in any order and
    again, must settle: the second round changes nothing."""
    page = data_path("oai-pmh/listrecords-chain-2018/page_00.xml").read_bytes()

    def oai():
        return [r for r in parse_list_records(page, PageInfo()) if isinstance(r, PaperRecord)]

    def kaggle():
        return [from_kaggle(r) for r in kaggle_head()]

    ingest(kaggle(), "test")
    ingest(oai(), "test")
    second_kaggle, _ = ingest(kaggle(), "test")
    second_oai, _ = ingest(oai(), "test")
    assert second_kaggle.new == second_oai.new == 0
    assert second_oai.updated == 0
    assert second_kaggle.updated == 0


def test_duplicate_ids_in_one_batch_are_one_paper():
    rows = first_listings(3)
    records = [from_listing(r) for r in rows + rows]
    stats, _ = ingest(records, "test")
    assert Paper.objects.count() == 3
    assert stats.new == 3
    assert stats.unchanged == 3


def test_rejected_record_leaves_no_trace_and_batch_lands():
    rows = first_listings(5)
    bad = dict(rows[2], title="A title with a bell \x07 in it")
    records = [from_listing(r) for r in rows[:2] + [bad] + rows[3:]]
    stats, _ = ingest(records, "test", batch_size=2)
    assert stats.new == 4
    assert stats.rejected == {"title contains the control character U+0007": 1}
    assert not Paper.objects.filter(arxiv_id=bad["id"]).exists()


def test_source_error_keeps_what_came_before_and_marks_run_failed():
    rows = first_listings(4)

    def stream():
        yield from (from_listing(r) for r in rows[:3])
        yield Checkpoint("token-after-3", cursor=3, total=10)
        raise SourceError("HTTP 503 for https://example.invalid (after 5 attempts)")

    stats, run = ingest(stream(), "oai-pmh", "verb=ListRecords")
    assert Paper.objects.count() == 3
    assert stats.error.startswith("HTTP 503")
    run.refresh_from_db()
    assert run.state == IngestRun.FAILED
    assert (run.resume_token, run.cursor, run.total, run.new) == ("token-after-3", 3, 10, 3)


def test_source_rejections_are_counted_with_reasons():
    stream = [RejectedRecord("line 3: invalid JSON (Expecting value at column 1)")]
    stats, run = ingest(stream, "test")
    assert stats.total_rejected == 1
    assert run.rejected == 1
    assert "invalid JSON" in "\n".join(stats.summary_lines())


def test_code_links_follow_the_abstract():
    rows = [r for r in first_listings(400) if "github.com" in (r["summary"] or "")][:1]
    assert rows, "expected a listing record with a GitHub link in its first 400 lines"
    ingest([from_listing(rows[0])], "test")
    paper = Paper.objects.get(arxiv_id=rows[0]["id"])
    assert paper.code_links.filter(kind="github").exists()

    without = dict(rows[0], summary=rows[0]["summary"].split("http")[0].strip())
    stats, _ = ingest([from_listing(without)], "test")
    assert stats.updated == 1
    assert not paper.code_links.filter(kind="github").exists()
