"""`papertide ingest`: summaries, exit status, and what `make run` imports at start."""

import gzip
import io
import json
import os
import socket
import subprocess
from datetime import UTC, datetime
from itertools import islice

import pytest
import time_machine
from django.core.management import CommandError, call_command

from papertide.catalog.models import IngestRun, Paper
from papertide.community.models import DailyEntry, UpvoteCount
from tests.conftest import data_path
from tests.hf_captures import captures, serve, write_captures
from tests.replay import ReplayServer

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def listing_sample(tmp_path):
    path = tmp_path / "sample.jsonl.gz"
    with gzip.open(data_path("arxiv/listings-2025-03-to-2026-07.jsonl.gz"), "rt") as src:
        lines = list(islice(src, 300))
    with gzip.open(path, "wt") as dst:
        dst.writelines(lines)
    return path


def test_summary_counts_new_then_unchanged(listing_sample):
    out, err = run("snapshot", str(listing_sample))
    assert "300 new, 0 updated, 0 unchanged, 0 rejected" in out
    assert "importing from snapshot" in err
    out, _ = run("snapshot", str(listing_sample))
    assert "0 new, 0 updated, 300 unchanged, 0 rejected" in out
    assert IngestRun.objects.filter(state=IngestRun.DONE).count() == 2


def ended_process() -> str:
    """host:pid of a process of this host that has ended (as a killed import's)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return f"{socket.gethostname()[:150]}:{child.pid}"


def test_an_import_killed_mid_way_is_marked_failed_by_the_next_one(listing_sample):
    killed = IngestRun.objects.create(source="snapshot", params="killed.jsonl", owner=ended_process())
    running = IngestRun.objects.create(source="snapshot", params="running.jsonl")  # this (live) process's
    elsewhere = IngestRun.objects.create(source="snapshot", params="other.jsonl", owner="another-host:1")
    run("snapshot", str(listing_sample))
    for row in (killed, running, elsewhere):
        row.refresh_from_db()
    assert killed.state == IngestRun.FAILED
    assert killed.message == f"interrupted: its process ({killed.owner}) ended before the import finished"
    assert running.state == elsewhere.state == IngestRun.RUNNING  # alive, or not ours to ask
    latest = IngestRun.objects.get(params=str(listing_sample))
    assert latest.state == IngestRun.DONE and latest.owner.endswith(f":{os.getpid()}")


def test_fails_only_when_nothing_could_be_done(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "abc", "title": "x", "summary": "y", "authors": [], "categories": []}\nnot json\n')
    with pytest.raises(CommandError, match="nothing could be imported"):
        run("snapshot", str(bad))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read .*missing.jsonl"):
        run("snapshot", str(tmp_path / "missing.jsonl"))


def test_invalid_id_on_command_line_is_refused():
    with pytest.raises(CommandError, match="'not-an-id' is not an arXiv id"):
        run("arxiv", "not-an-id")


def test_startup_imports_the_file_named_in_papertide_import(settings, listing_sample):
    settings.PAPERTIDE_IMPORT = str(listing_sample)
    out, _ = run("startup")
    assert "300 new" in out
    assert Paper.objects.count() == 300


def test_startup_imports_hugging_face_json_by_its_extension(settings):
    settings.PAPERTIDE_IMPORT = str(
        data_path("hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json")
    )
    out, _ = run("startup")
    assert "753 new" in out


def test_startup_says_in_one_line_each_when_arxiv_and_hugging_face_are_unreachable(settings, listing_sample):
    run("snapshot", str(listing_sample))
    settings.PAPERTIDE_IMPORT = ""
    settings.PAPERTIDE_ARXIV_API_URL = "http://127.0.0.1:9/api/query"  # the discard port: refused
    settings.PAPERTIDE_HF_URL = "http://127.0.0.1:9"
    settings.PAPERTIDE_HTTP_RETRIES = 4  # not used at start-up
    out, _ = run("startup")  # does not raise: the service goes on serving what it has
    arxiv, hub = out.splitlines()  # one line each, and no retries that would delay the start
    assert arxiv.startswith("arXiv cannot be reached (cannot reach 127.0.0.1:9: ")
    assert "(after 1 attempt)" in arxiv
    assert "serving the 300 papers already in the catalog" in arxiv
    assert hub.startswith("Hugging Face cannot be reached (cannot reach 127.0.0.1:9: ")
    assert "(after 1 attempt)" in hub


def test_startup_online_brings_the_last_days_of_hugging_face(settings):
    settings.PAPERTIDE_IMPORT = ""
    settings.PAPERTIDE_ARXIV_API_URL = "http://127.0.0.1:9/api/query"
    settings.PAPERTIDE_HF_IMPORT_DAYS = 3
    settings.PAPERTIDE_HF_DELAY = 0.0
    days = {day: captures(day)[-1] for day in ("2025-01-10", "2025-01-09", "2025-01-08")}
    with ReplayServer() as server, time_machine.travel(datetime(2025, 1, 10, 20, tzinfo=UTC), tick=False):
        settings.PAPERTIDE_HF_URL = server.url
        for day, capture in days.items():
            serve(server, day, capture)
        out, _ = run("startup")
    assert [line[:25] for line in out.splitlines()[1:]] == [f"Hugging Face {day}: " for day in days]
    listed = {e["paper"]["id"] for capture in days.values() for e in capture["response"]}
    assert set(DailyEntry.objects.values_list("paper__arxiv_id", flat=True)) == listed


def test_startup_imports_several_files_each_by_its_format(settings, listing_sample, tmp_path):
    day = captures("2025-01-08")
    write_captures(tmp_path / "captures.jsonl.gz", day)
    scrape = data_path("hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json")
    settings.PAPERTIDE_IMPORT = f"{listing_sample} {tmp_path / 'captures.jsonl.gz'} {scrape}"
    out, _ = run("startup")
    listed = {e["paper"]["id"] for capture in day for e in capture["response"]}
    assert out.splitlines()[0].startswith("300 new")  # the arXiv listing
    assert f"{len(listed)} new" in out and "753 new" in out
    assert DailyEntry.objects.filter(paper__arxiv_id__in=listed).count() == len(listed)
    assert UpvoteCount.objects.filter(paper__arxiv_id__in=listed).count() > len(listed)  # the growth


def test_startup_refuses_a_missing_file_among_several(settings, listing_sample, tmp_path):
    settings.PAPERTIDE_IMPORT = f"{listing_sample} {tmp_path / 'missing.jsonl.gz'}"
    with pytest.raises(CommandError, match="cannot read .*missing.jsonl.gz"):
        run("startup")
    assert not Paper.objects.exists()  # checked before anything is imported


def test_hf_daily_command_reports_bad_entries(tmp_path):
    real = json.loads(data_path("hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json").read_text())
    sample = dict(islice(real.items(), 5))
    first = next(iter(sample))
    sample[first] = {k: v for k, v in sample[first].items() if k != "title"}
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(sample))
    out, _ = run("hf-daily", str(path))
    assert "4 new" in out
    assert "1 rejected" in out
    assert "'title' is missing" in out


@pytest.mark.parametrize("source", ["arxiv", "hf-api"])
def test_a_date_that_is_no_date_is_a_usage_error_naming_the_option(source):
    option = "--from" if source == "arxiv" else "--date"
    with pytest.raises(CommandError, match=f"argument {option}: '2025-13-01' is not a date"):
        call_command("ingest", source, option, "2025-13-01")
