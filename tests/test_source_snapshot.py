"""The snapshot source: Kaggle's arxiv-metadata-oai-snapshot and the daily-listing JSONL, gzip or plain."""

import gzip
import itertools
import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command

from papertide.catalog.models import CodeLink, IngestRun, Paper, Version
from papertide.catalog.records import MAX_ABSTRACT
from papertide.catalog.services import ingest
from papertide.catalog.sources.snapshot import read_snapshot
from tests.conftest import data_path

KAGGLE_HEAD = "arxiv/kaggle-snapshot-head200.jsonl"
LISTINGS = "arxiv/listings-2025-03-to-2026-07.jsonl.gz"

pytestmark = pytest.mark.django_db


def listing_lines(count: int) -> list[str]:
    """The first `count` lines of the recent listings, as they are in the file."""
    with gzip.open(data_path(LISTINGS), "rt", encoding="utf-8") as f:
        return list(itertools.islice(f, count))


def kaggle_lines() -> list[str]:
    return data_path(KAGGLE_HEAD).read_text(encoding="utf-8").splitlines(keepends=True)


def write(path, lines: list[str], compress: bool = False):
    data = "".join(line if line.endswith("\n") else line + "\n" for line in lines).encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def import_file(path):
    return ingest(read_snapshot(path), "snapshot", str(path))


def reasons(stats) -> list[str]:
    return [reason for _, reason in stats.examples]


# --- Kaggle snapshot ------------------------------------------------------------------------------------


def test_kaggle_head_imports_all_200_papers():
    stats, run = import_file(data_path(KAGGLE_HEAD))
    assert (stats.new, stats.updated, stats.unchanged, stats.total_rejected) == (200, 0, 0, 0)
    assert Paper.objects.count() == 200
    assert run.state == IngestRun.DONE and run.new == 200 and run.finished_at is not None
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {f"0704.{n:04d}" for n in range(1, 201)}


def test_kaggle_authors_come_from_authors_parsed_in_order():
    import_file(data_path(KAGGLE_HEAD))
    paper = Paper.objects.get(arxiv_id="0704.0001")
    # authors_parsed: [["Balázs", "C.", ""], ["Berger", "E. L.", ""], ...]; the typed string has Bal\'azs.
    assert paper.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert Paper.objects.get(arxiv_id="0704.0002").authors == ["Ileana Streinu", "Louis Theran"]


def test_kaggle_categories_keep_the_primary_first():
    import_file(data_path(KAGGLE_HEAD))
    paper = Paper.objects.get(arxiv_id="0704.0002")  # "math.CO cs.CG"
    assert paper.categories == ["math.CO", "cs.CG"]
    assert paper.primary_category == "math.CO"
    assert Paper.objects.get(arxiv_id="0704.0001").categories == ["hep-ph"]


def test_kaggle_versions_are_stored_with_their_dates():
    import_file(data_path(KAGGLE_HEAD))
    paper = Paper.objects.get(arxiv_id="0704.0001")
    assert [(v.number, v.submitted) for v in paper.versions.all()] == [
        (1, datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)),
        (2, datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)),
    ]
    assert paper.current_version == 2
    assert paper.published == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert paper.updated == datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert paper.listed_on == date(2007, 4, 2)  # no announcement day in Kaggle: the first version's day
    assert paper.announced is None


def test_kaggle_doi_journal_ref_report_no_comments_and_license():
    import_file(data_path(KAGGLE_HEAD))
    paper = Paper.objects.get(arxiv_id="0704.0001")
    assert paper.doi == "10.1103/PhysRevD.76.013009"
    assert paper.journal_ref == "Phys.Rev.D76:013009,2007"
    assert paper.report_no == "ANL-HEP-PR-07-12"
    assert paper.comments == "37 pages, 15 figures; published version"
    assert paper.license == ""  # null in the file
    assert paper.title.startswith(
        "Calculation of prompt diphoton production cross sections at Tevatron and\n"
    )
    assert paper.abstract.lstrip().startswith("A fully differential calculation in perturbative quantum")
    other = Paper.objects.get(arxiv_id="0704.0002")
    assert other.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert other.doi == "" and other.journal_ref == ""


# --- listing format -------------------------------------------------------------------------------------


def test_listing_records_import_with_the_announcement_day(tmp_path):
    lines = listing_lines(300)
    stats, _ = import_file(write(tmp_path / "listings.jsonl", lines))
    assert (stats.new, stats.total_rejected) == (300, 0)
    first = json.loads(lines[0])
    paper = Paper.objects.get(arxiv_id=first["id"])
    assert paper.announced == date.fromisoformat(first["first_listing_date"]) == date(2025, 3, 18)
    assert paper.listed_on == paper.announced
    assert paper.authors == first["authors"]
    assert paper.title == first["title"]
    assert paper.abstract == first["summary"]
    assert paper.categories == ["cs.HC", "cs.CV"] and paper.primary_category == "cs.HC"
    assert paper.current_version is None and not paper.versions.exists()


def test_listing_msc_and_acm_classes_are_filtered_from_categories(tmp_path):
    import_file(write(tmp_path / "listings.jsonl", listing_lines(300)))
    # In the file: [..., "math.IT", "94A29, 94A08, 94B05, 68T01, 68P30", "I.4.2; E.4; I.2.10; I.5.4; ..."]
    assert Paper.objects.get(arxiv_id="2503.11954").categories == [
        "eess.IV",
        "cs.AI",
        "cs.CV",
        "cs.IT",
        "cs.LG",
        "math.IT",
    ]
    assert Paper.objects.get(arxiv_id="2503.12180").categories == ["cs.RO", "cs.CV"]  # "68T45" dropped
    assert Paper.objects.get(arxiv_id="2503.12260").categories == ["cs.CV"]  # "I.4" dropped


def test_listing_code_links_are_extracted(tmp_path):
    import_file(write(tmp_path / "listings.jsonl", listing_lines(300)))
    urls = list(Paper.objects.get(arxiv_id="2503.11892").code_links.values_list("url", "kind"))
    assert urls == [
        ("https://taco-group.github.io/DecAlign", "project"),
        ("https://github.com/taco-group/decalign", "github"),
    ]


def test_gzip_and_plain_files_give_the_same_papers(tmp_path):
    lines = listing_lines(200)
    plain = write(tmp_path / "listings.jsonl", lines)
    packed = write(tmp_path / "listings.jsonl.gz", lines, compress=True)
    assert packed.read_bytes()[:2] == b"\x1f\x8b"
    from_plain = list(read_snapshot(plain))
    from_gzip = list(read_snapshot(packed))
    assert len(from_plain) == 200 and from_plain == from_gzip
    stats, _ = import_file(packed)
    assert stats.new == 200
    stats, _ = import_file(plain)
    assert (stats.new, stats.updated, stats.unchanged) == (0, 0, 200)


def test_gzip_detection_does_not_depend_on_the_file_name(tmp_path):
    packed = write(tmp_path / "kaggle.json", kaggle_lines()[:10], compress=True)
    stats, _ = import_file(packed)
    assert stats.new == 10


# --- re-import ------------------------------------------------------------------------------------------


def test_reimporting_kaggle_changes_nothing():
    path = data_path(KAGGLE_HEAD)
    import_file(path)
    before = dict(Paper.objects.values_list("arxiv_id", "modified_at"))
    counts = (Version.objects.count(), CodeLink.objects.count())
    stats, run = import_file(path)
    assert (stats.new, stats.updated, stats.unchanged, stats.total_rejected) == (0, 0, 200, 0)
    assert (run.new, run.updated, run.unchanged) == (0, 0, 200)
    assert dict(Paper.objects.values_list("arxiv_id", "modified_at")) == before
    assert (Version.objects.count(), CodeLink.objects.count()) == counts


def test_reimporting_listings_changes_nothing(tmp_path):
    path = write(tmp_path / "listings.jsonl.gz", listing_lines(300), compress=True)
    import_file(path)
    before = dict(Paper.objects.values_list("arxiv_id", "modified_at"))
    links = list(CodeLink.objects.order_by("pk").values_list("pk", "url"))
    stats, _ = import_file(path)
    assert (stats.new, stats.updated, stats.unchanged) == (0, 0, 300)
    assert dict(Paper.objects.values_list("arxiv_id", "modified_at")) == before
    assert list(CodeLink.objects.order_by("pk").values_list("pk", "url")) == links


def test_a_changed_record_counts_as_updated_and_only_it_changes(tmp_path):
    lines = kaggle_lines()[:20]
    import_file(write(tmp_path / "a.jsonl", lines))
    before = dict(Paper.objects.values_list("arxiv_id", "modified_at"))
    record = json.loads(lines[1])
    record["comments"] = "To appear in Graphs and Combinatorics; see https://github.com/Example/Pebble."
    stats, _ = import_file(write(tmp_path / "b.jsonl", lines[:1] + [json.dumps(record)] + lines[2:]))
    assert (stats.new, stats.updated, stats.unchanged) == (0, 1, 19)
    after = dict(Paper.objects.values_list("arxiv_id", "modified_at"))
    assert [i for i in after if after[i] != before[i]] == ["0704.0002"]
    paper = Paper.objects.get(arxiv_id="0704.0002")
    assert paper.comments == record["comments"]
    assert list(paper.code_links.values_list("url", flat=True)) == ["https://github.com/example/pebble"]


# --- bad input ------------------------------------------------------------------------------------------


def damaged_file(tmp_path):
    """Ten real Kaggle lines with damaged real lines between them; returns (path, good ids, bad ids)."""
    lines = kaggle_lines()
    good = lines[:10]
    real = [json.loads(line) for line in lines[10:20]]

    def variant(record, **changes):
        return json.dumps({**record, **changes})

    oversized = real[6]["abstract"] * (MAX_ABSTRACT // len(real[6]["abstract"]) + 2)
    assert len(oversized) > MAX_ABSTRACT
    bad = [
        (lines[10][: len(lines[10]) // 2], None),  # invalid JSON: a line cut in half
        (json.dumps([real[1]["id"], real[1]["title"]]), None),  # a JSON list, not an object
        (variant(real[2], id="abc"), "abc"),
        (variant(real[3], id="2501.1"), "2501.1"),
        (variant(real[4], title=real[4]["title"] + "\x00"), real[4]["id"]),
        (variant(real[5], title="\x07" + real[5]["title"]), real[5]["id"]),
        (
            variant(real[6], abstract=real[6]["abstract"] * (MAX_ABSTRACT // len(real[6]["abstract"]) + 2)),
            real[6]["id"],
        ),
        (json.dumps({k: v for k, v in real[7].items() if k != "title"}), real[7]["id"]),
        (variant(real[8], title="   "), real[8]["id"]),
    ]
    mixed = []
    for position, line in enumerate(good):
        mixed.append(line)
        if position < len(bad):
            mixed.append(bad[position][0])
    path = write(tmp_path / "damaged.jsonl", mixed)
    good_ids = {json.loads(line)["id"] for line in good}
    bad_ids = {real[i]["id"] for i in range(len(bad))} | {"abc", "2501.1"}
    return path, good_ids, bad_ids


def test_damaged_lines_are_rejected_with_reasons_and_the_good_ones_land(tmp_path):
    path, good_ids, bad_ids = damaged_file(tmp_path)
    stats, run = import_file(path)
    assert stats.new == 10
    assert stats.total_rejected == 9
    assert run.rejected == 9 and run.state == IngestRun.DONE and "9 rejected" in run.message
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == good_ids
    # Nothing half-written: no paper, version or link for a rejected id.
    assert not Paper.objects.filter(arxiv_id__in=bad_ids).exists()
    assert not Version.objects.exclude(paper__arxiv_id__in=good_ids).exists()
    messages = reasons(stats)
    expected = [
        "line 2: invalid JSON",
        "line 4: a JSON list, not an object",
        "'abc' is not an arXiv id",
        "'2501.1' is not an arXiv id",
        "title contains the control character U+0000",
        "title contains the control character U+0007",
        "characters, more than 10,000",
        "line 16: the field 'title' is missing",
        "the title is missing",
    ]
    for fragment in expected:
        assert any(fragment in message for message in messages), (fragment, messages)
    assert any(reason.startswith("abstract") for reason in stats.rejected), stats.rejected


def test_rejected_examples_name_the_record(tmp_path):
    path, _, _ = damaged_file(tmp_path)
    stats, _ = import_file(path)
    by_id = dict(stats.examples)
    assert "not an arXiv id" in by_id["abc"]
    assert by_id["0704.0015"] == "title contains the control character U+0000"
    assert by_id["0704.0018"] == "line 16: the field 'title' is missing"


def test_a_truncated_gzip_file_keeps_what_came_before_and_says_it_ended_early(tmp_path):
    data = gzip.compress("".join(listing_lines(300)).encode("utf-8"))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    stats, run = import_file(path)
    assert stats.total_rejected == 1
    assert "file ends early" in reasons(stats)[0]
    assert 100 < stats.new < 300
    assert Paper.objects.count() == stats.new
    assert run.state == IngestRun.DONE


def test_a_line_that_is_not_utf8_is_rejected_alone(tmp_path):
    lines = kaggle_lines()[:4]
    # A Latin-1 "é" in the third line's title, as a careless export would write it.
    latin1 = lines[2].encode().replace(b'"title":"', b'"title":"\xe9', 1)
    assert latin1 != lines[2].encode()
    path = tmp_path / "latin1.jsonl"
    path.write_bytes("".join(lines[:2]).encode() + latin1 + lines[3].encode())
    stats, _ = import_file(path)
    assert stats.new == 3
    assert len(reasons(stats)) == 1 and reasons(stats)[0].startswith("line 3: not UTF-8")
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {"0704.0001", "0704.0002", "0704.0004"}


def test_a_title_that_is_not_text_is_rejected_not_a_crash(tmp_path):
    record = json.loads(kaggle_lines()[0])
    lines = [json.dumps({**record, "title": 42}), kaggle_lines()[1]]
    stats, _ = import_file(write(tmp_path / "x.jsonl", lines))
    assert stats.new == 1
    assert reasons(stats) == ["line 1: unreadable record (expected text, got int)"]


def test_damaged_gzip_data_is_reported(tmp_path):
    data = bytearray(gzip.compress("".join(listing_lines(300)).encode("utf-8")))
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path = tmp_path / "damaged.jsonl.gz"
    path.write_bytes(bytes(data))
    stats, _ = import_file(path)
    assert stats.total_rejected >= 1
    # Garbage lines are rejected one by one, and the failed checksum at the end is reported.
    assert any("unreadable compressed data" in reason for reason in stats.rejected), stats.rejected
    assert 0 < stats.new < 300


def test_blank_lines_are_skipped(tmp_path):
    lines = kaggle_lines()[:3]
    stats, _ = import_file(write(tmp_path / "blank.jsonl", [lines[0], "\n", "   \n", lines[1], lines[2]]))
    assert (stats.new, stats.total_rejected) == (3, 0)


# --- the command ----------------------------------------------------------------------------------------


def test_command_imports_a_snapshot_file(capsys):
    call_command("ingest", "snapshot", str(data_path(KAGGLE_HEAD)))
    assert Paper.objects.count() == 200
    assert "200 new, 0 updated, 0 unchanged, 0 rejected" in capsys.readouterr().out
    run = IngestRun.objects.get()
    assert (run.source, run.params, run.state) == ("snapshot", str(data_path(KAGGLE_HEAD)), IngestRun.DONE)


def test_command_on_a_missing_file_says_it_cannot_read_it(tmp_path):
    missing = tmp_path / "nope.jsonl.gz"
    with pytest.raises(CommandError, match=f"cannot read {missing}: No such file or directory"):
        call_command("ingest", "snapshot", str(missing))
    assert not IngestRun.objects.exists()


def test_command_fails_when_nothing_could_be_imported(tmp_path):
    record = json.loads(kaggle_lines()[0])
    lines = ["{not json", json.dumps([1, 2]), json.dumps({**record, "id": "abc"})]
    with pytest.raises(CommandError, match="nothing could be imported"):
        call_command("ingest", "snapshot", str(write(tmp_path / "bad.jsonl", lines)))
    assert not Paper.objects.exists()
    assert IngestRun.objects.get().rejected == 3


def test_command_succeeds_when_some_records_landed(tmp_path, capsys):
    path, good_ids, _ = damaged_file(tmp_path)
    call_command("ingest", "snapshot", str(path))  # no CommandError: the exit status is zero
    out = capsys.readouterr().out
    assert "10 new, 0 updated, 0 unchanged, 9 rejected" in out
    assert "e.g. abc: 'abc' is not an arXiv id" in out
    assert Paper.objects.count() == len(good_ids)


def test_command_on_an_empty_file_imports_nothing_without_failing(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    call_command("ingest", "snapshot", str(path))
    assert IngestRun.objects.get().state == IngestRun.DONE
