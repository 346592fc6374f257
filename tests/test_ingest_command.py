"""`papertide ingest`: summaries, exit status, and what `make run` imports at start."""

import gzip
import io
import json
from itertools import islice

import pytest
from django.core.management import CommandError, call_command

from papertide.catalog.models import IngestRun, Paper
from tests.conftest import data_path

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


def test_startup_says_in_one_line_when_arxiv_cannot_be_reached(settings, listing_sample):
    run("snapshot", str(listing_sample))
    settings.PAPERTIDE_IMPORT = ""
    settings.PAPERTIDE_ARXIV_API_URL = "http://127.0.0.1:9/api/query"  # the discard port: refused
    settings.PAPERTIDE_HTTP_RETRIES = 0
    out, _ = run("startup")  # does not raise: the service goes on serving what it has
    [line] = out.splitlines()  # one line, and no retries that would delay the start
    assert line.startswith("arXiv cannot be reached (cannot reach 127.0.0.1:9: ")
    assert "(after 1 attempt)" in line
    assert "serving the 300 papers already in the catalog" in line


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
