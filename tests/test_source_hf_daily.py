"""The Hugging Face daily papers source: the PaperExplorer scrape (753 papers) and the API response shape."""

import gzip
import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max, Min

from papertide.catalog.models import IngestRun, Paper
from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import read_hf_daily
from papertide.community.models import DailyEntry
from tests.conftest import data_path

SCRAPE = "hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json"
API = "hf-daily-papers/deep-diver_paper-reviewer_api_excerpt/daily_papers_2024-10-25_first2entries.json"

pytestmark = pytest.mark.django_db


def import_file(path):
    return ingest(read_hf_daily(path), "hf-daily", str(path))


def scrape() -> dict:
    return json.loads(data_path(SCRAPE).read_text(encoding="utf-8"))


def write_json(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def reasons(stats) -> list[str]:
    return [reason for _, reason in stats.examples]


def test_the_753_scraped_papers_land_each_with_a_daily_entry():
    stats, run = import_file(data_path(SCRAPE))
    assert (stats.new, stats.updated, stats.unchanged, stats.total_rejected) == (753, 0, 0, 0)
    assert run.state == IngestRun.DONE
    assert Paper.objects.count() == 753
    assert DailyEntry.objects.count() == 753
    assert set(DailyEntry.objects.values_list("source", flat=True)) == {DailyEntry.HUGGINGFACE}
    assert DailyEntry.objects.aggregate(low=Min("imported_upvotes"), high=Max("imported_upvotes")) == {
        "low": 1,
        "high": 553,
    }


def test_each_entry_has_the_json_upvotes_on_the_day_of_its_publication_date():
    import_file(data_path(SCRAPE))
    data = scrape()
    entries = {
        arxiv_id: (day, upvotes)
        for arxiv_id, day, upvotes in DailyEntry.objects.values_list(
            "paper__arxiv_id", "day", "imported_upvotes"
        )
    }
    expected = {
        arxiv_id: (date.fromisoformat(item["publication_date"][:10]), item["upvotes"])
        for arxiv_id, item in data.items()
    }
    assert entries == expected
    assert entries["2402.17764"] == (date(2024, 2, 27), 553)


def test_scraped_paper_fields():
    import_file(data_path(SCRAPE))
    item = scrape()["2312.17681"]
    paper = Paper.objects.get(arxiv_id="2312.17681")
    assert paper.title == item["title"]  # raw, with arXiv's hard line break
    assert (
        paper.title_display
        == "FlowVid: Taming Imperfect Optical Flows for Consistent Video-to-Video Synthesis"
    )
    assert paper.authors == item["authors"] and paper.authors[0] == "Feng Liang"
    assert paper.abstract == item["abstract"]
    assert paper.published == datetime(2023, 12, 29, 16, 57, 12, tzinfo=UTC)
    assert paper.listed_on == date(2023, 12, 29)
    # The scrape says nothing of categories or versions: the catalog does not invent them.
    assert paper.categories == [] and paper.current_version is None


def test_imported_upvotes_are_kept_apart_from_local_votes():
    import_file(data_path(SCRAPE))
    entry = DailyEntry.objects.get(paper__arxiv_id="2402.17764")
    # An imported entry: it belongs to the Hugging Face list, nobody here submitted it, and its count is
    # Hugging Face's, in its own field (no vote of this instance exists yet to mix it with).
    assert entry.source == DailyEntry.HUGGINGFACE
    assert entry.submitted_by is None
    assert entry.imported_upvotes == 553
    assert not DailyEntry.objects.filter(source=DailyEntry.LOCAL).exists()


def test_reimporting_the_scrape_is_unchanged():
    import_file(data_path(SCRAPE))
    before = dict(Paper.objects.values_list("arxiv_id", "modified_at"))
    entries = list(DailyEntry.objects.order_by("pk").values_list("pk", "day", "imported_upvotes"))
    stats, _ = import_file(data_path(SCRAPE))
    assert (stats.new, stats.updated, stats.unchanged, stats.total_rejected) == (0, 0, 753, 0)
    assert dict(Paper.objects.values_list("arxiv_id", "modified_at")) == before
    assert list(DailyEntry.objects.order_by("pk").values_list("pk", "day", "imported_upvotes")) == entries


def test_changed_upvotes_update_the_entry_and_count_as_updated(tmp_path):
    import_file(data_path(SCRAPE))
    data = scrape()
    changed = {
        arxiv_id: data[arxiv_id]["upvotes"] + 7 for arxiv_id in ("2402.17764", "2312.17653", "2401.11002")
    }
    for arxiv_id, upvotes in changed.items():
        data[arxiv_id]["upvotes"] = upvotes
    stats, _ = import_file(write_json(tmp_path / "papers.json", data))
    assert (stats.new, stats.updated, stats.unchanged) == (0, 3, 750)
    assert DailyEntry.objects.count() == 753
    for arxiv_id, upvotes in changed.items():
        assert DailyEntry.objects.get(paper__arxiv_id=arxiv_id).imported_upvotes == upvotes


def test_a_gzipped_scrape_is_read_too(tmp_path):
    data = dict(list(scrape().items())[:20])
    path = tmp_path / "papers.json.gz"
    path.write_bytes(gzip.compress(json.dumps(data).encode()))
    stats, _ = import_file(path)
    assert stats.new == 20


def test_api_shape_imports_its_two_entries_on_the_day_of_the_list():
    stats, _ = import_file(data_path(API))
    assert (stats.new, stats.total_rejected) == (2, 0)
    raw = json.loads(data_path(API).read_text(encoding="utf-8"))
    for item in raw:
        entry = DailyEntry.objects.get(paper__arxiv_id=item["paper"]["id"])
        # The day of the list is the entry's own publishedAt (2024-10-25), not the paper's (2024-10-22).
        assert entry.day == date.fromisoformat(item["publishedAt"][:10]) == date(2024, 10, 25)
        assert entry.imported_upvotes == item["paper"]["upvotes"]
        assert entry.source == DailyEntry.HUGGINGFACE
    paper = Paper.objects.get(arxiv_id="2410.17243")
    assert DailyEntry.objects.get(paper=paper).imported_upvotes == 64
    assert paper.published == datetime(2024, 10, 22, 17, 59, 30, tzinfo=UTC)
    assert paper.title.startswith("Breaking the Memory Barrier: Near Infinite Batch Size Scaling for\n")
    assert paper.authors[:3] == ["Zesen Cheng", "Hang Zhang", "Kehan Li"]
    assert paper.abstract.startswith("Contrastive loss is a powerful approach for representation learning")


def test_api_shape_leaves_out_hidden_authors(tmp_path):
    raw = json.loads(data_path(API).read_text(encoding="utf-8"))
    raw[0]["paper"]["authors"][1]["hidden"] = True
    import_file(write_json(tmp_path / "daily.json", raw))
    authors = Paper.objects.get(arxiv_id="2410.17243").authors
    assert "Hang Zhang" not in authors and authors[:2] == ["Zesen Cheng", "Kehan Li"]


def test_bad_scrape_entries_are_reported_and_the_rest_land(tmp_path):
    data = dict(list(scrape().items())[:10])
    ids = list(data)
    del data[ids[0]]["title"]
    del data[ids[1]]["publication_date"]
    data[ids[2]]["upvotes"] = -3
    data[ids[3]]["upvotes"] = "12"
    data[ids[4]]["title"] = 42
    data[ids[5]]["authors"] = "Ming Yan, Ruihao Li"
    data["abc"] = dict(data[ids[9]])
    stats, _ = import_file(write_json(tmp_path / "papers.json", data))
    assert stats.new == 4
    assert stats.total_rejected == 7
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == set(ids[6:])
    assert DailyEntry.objects.count() == 4
    by_id = dict(stats.examples)
    assert by_id[ids[0]] == f"entry {ids[0]}: the field 'title' is missing"
    assert by_id[ids[1]] == f"entry {ids[1]}: the field 'publication_date' is missing"
    assert by_id[ids[2]] == f"entry {ids[2]}: upvotes must be a count, not -3"
    assert by_id[ids[3]] == f"entry {ids[3]}: upvotes must be a count, not '12'"
    assert by_id[ids[4]] == f"entry {ids[4]}: title must be text, not int"
    assert by_id[ids[5]] == f"entry {ids[5]}: authors must be a list, not str"
    assert "not an arXiv id" in by_id["abc"]


def test_bad_api_entries_are_reported(tmp_path):
    raw = json.loads(data_path(API).read_text(encoding="utf-8"))
    del raw[0]["publishedAt"]
    raw[1]["paper"]["upvotes"] = -1
    stats, _ = import_file(write_json(tmp_path / "daily.json", raw + ["not an entry"]))
    assert stats.stored == 0
    assert reasons(stats)[:2] == [
        "entry 0: the field 'publishedAt' is missing",
        "entry 1: upvotes must be a count, not -1",
    ]
    assert reasons(stats)[2].startswith("entry 2: ")
    assert not Paper.objects.exists()


def test_an_invalid_json_file_is_reported(tmp_path):
    text = data_path(API).read_text(encoding="utf-8")
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    stats, run = import_file(path)
    assert stats.stored == 0
    assert reasons(stats) == [reasons(stats)[0]] and reasons(stats)[0].startswith("cut.json: invalid JSON (")
    assert run.rejected == 1


def test_a_truncated_gzip_file_is_reported(tmp_path):
    data = gzip.compress(data_path(SCRAPE).read_bytes())
    path = tmp_path / "papers.json.gz"
    path.write_bytes(data[: len(data) // 2])
    stats, _ = import_file(path)
    assert stats.stored == 0
    assert reasons(stats)[0].startswith("papers.json.gz: file ends early")


def test_json_that_is_neither_shape_is_reported(tmp_path):
    stats, _ = import_file(write_json(tmp_path / "n.json", 42))
    assert reasons(stats) == ["n.json: neither a daily_papers list nor a papers object"]


def test_command_imports_the_scrape(capsys):
    call_command("ingest", "hf-daily", str(data_path(SCRAPE)))
    assert "753 new, 0 updated, 0 unchanged, 0 rejected" in capsys.readouterr().out
    assert DailyEntry.objects.count() == 753


def test_command_fails_on_an_invalid_json_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing could be imported"):
        call_command("ingest", "hf-daily", str(path))


def test_command_on_a_missing_file_says_it_cannot_read_it(tmp_path):
    with pytest.raises(CommandError, match="cannot read .*missing.json: No such file or directory"):
        call_command("ingest", "hf-daily", str(tmp_path / "missing.json"))
