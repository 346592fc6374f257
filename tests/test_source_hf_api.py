"""`papertide ingest hf-api` and the worker's sync_hf, against a local server replaying the real captures
of Hugging Face's `GET /api/daily_papers?date=D` from 2024 to 2026; and `ingest hf-daily` reading the
captures file itself."""

import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papertide.catalog.models import CodeLink, IngestRun, Paper
from papertide.catalog.records import PaperRecord
from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import is_captures
from papertide.community.hf_sync import HfSyncError, sync_hf
from papertide.community.models import DailyEntry, HubPaper, UpvoteCount
from papertide.ops import jobs
from tests.conftest import data_path
from tests.hf_captures import (
    captures,
    committed_at,
    serve,
    write_captures,
)
from tests.replay import Reply

pytestmark = pytest.mark.django_db
RAW_REPR = (
    "hf-daily-papers/2404589803_newsletter-chinese_2024-05_to_2026-08/raw/"
    "2025-01-08_first-capture_python-repr.json"
)


def run(*args) -> str:
    out = io.StringIO()
    call_command("ingest", "hf-api", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def state() -> tuple:
    """Everything the import writes, to compare before and after a re-run."""
    return (
        sorted(Paper.objects.values_list("arxiv_id", "title", "abstract", "modified_at")),
        sorted(DailyEntry.objects.values_list("paper__arxiv_id", "day", "imported_upvotes")),
        sorted(CodeLink.objects.values_list("paper__arxiv_id", "url", "kind", "source")),
        sorted(UpvoteCount.objects.values_list("paper__arxiv_id", "at", "upvotes")),
        sorted(HubPaper.objects.values_list("paper__arxiv_id", "ai_summary", "num_comments", "read_at")),
    )


def entry_counts() -> dict[str, int]:
    return dict(DailyEntry.objects.values_list("paper__arxiv_id", "imported_upvotes"))


def latest_counts(capture: dict) -> dict[str, int]:
    return {e["paper"]["id"]: e["paper"]["upvotes"] for e in capture["response"]}


def test_the_newest_schema_lands_with_every_field_a_reader_uses(hub):
    [capture] = captures("2026-08-21")
    serve(hub, "2026-08-21", capture)
    out = run("--date", "2026-08-21")
    response = capture["response"]
    assert f"2026-08-21: {len(response)} new, 0 updated, 0 unchanged, 0 rejected" in out
    # The list's day is the day asked for, although this entry's publishedAt is 2026-08-19T20:00Z.
    assert set(DailyEntry.objects.values_list("day", flat=True)) == {date(2026, 8, 21)}
    assert entry_counts() == latest_counts(capture)
    entry = next(e for e in response if e["paper"]["id"] == "2608.19880")
    hubpaper = HubPaper.objects.get(paper__arxiv_id="2608.19880")
    assert hubpaper.ai_summary == entry["paper"]["ai_summary"]
    assert hubpaper.ai_keywords == entry["paper"]["ai_keywords"]
    assert (hubpaper.organization, hubpaper.organization_name) == ("google", "Google")
    assert hubpaper.num_comments == entry["numComments"]
    assert hubpaper.submitter == "taesiri"
    links = set(CodeLink.objects.filter(paper__arxiv_id="2608.19880").values_list("url", "kind", "source"))
    assert links == {
        ("https://github.com/google-research/envharness", "github", "huggingface"),
        ("https://envharness.com", "project", "huggingface"),
    }
    with_repo = {e["paper"]["id"] for e in response if e["paper"].get("githubRepo")}
    assert set(CodeLink.objects.filter(kind="github").values_list("paper__arxiv_id", flat=True)) >= with_repo
    # One upvote count a paper, timed by the request.
    assert UpvoteCount.objects.count() == len(response)


def test_the_oldest_schema_lands_without_the_fields_it_lacks(hub):
    [capture] = captures("2024-05-27")
    serve(hub, "2024-05-27", capture)
    out = run("--date", "2024-05-27")
    assert f"{len(capture['response'])} new, 0 updated, 0 unchanged, 0 rejected" in out
    assert entry_counts() == latest_counts(capture)
    assert not HubPaper.objects.exclude(ai_summary="").exists()  # 2024's lists had no ai_summary yet
    assert HubPaper.objects.count() == len(capture["response"])


def test_nine_captures_of_a_day_keep_the_growth_in_the_series_and_the_latest_on_the_entry(hub):
    day = captures("2025-01-08")  # stored by the bot as str(dict), decoded: 9 captures over 13 hours
    assert len(day) == 9
    serve(hub, "2025-01-08", *day)
    for capture in day:
        with time_machine.travel(committed_at(capture), tick=False):
            run("--date", "2025-01-08")
    final = latest_counts(day[-1])
    assert entry_counts() == final
    assert sum(final.values()) > sum(latest_counts(day[0]).values())  # the day's upvotes grew
    for arxiv_id in final:
        reads = [(committed_at(c), latest_counts(c)[arxiv_id]) for c in day if arxiv_id in latest_counts(c)]
        changes = [read for i, read in enumerate(reads) if i == 0 or read[1] != reads[i - 1][1]]
        stored = list(UpvoteCount.objects.filter(paper__arxiv_id=arxiv_id).values_list("at", "upvotes"))
        assert stored == changes, arxiv_id
    assert UpvoteCount.objects.count() > len(final)  # the series holds growth, not only the last value
    # Re-running (the server repeats the last capture) changes nothing: no paper, entry, link or sample.
    before = state()
    with time_machine.travel(committed_at(day[-1]) + timedelta(minutes=30), tick=False):
        out = run("--date", "2025-01-08")
    assert f"0 new, 0 updated, {len(final)} unchanged" in out
    assert state() == before


def test_the_captures_file_gives_the_same_series_in_committed_at_order(hub, tmp_path):
    day = captures("2025-01-08")
    serve(hub, "2025-01-08", *day)
    for capture in day:
        with time_machine.travel(committed_at(capture), tick=False):
            run("--date", "2025-01-08")
    through_api = state()[1:4]
    Paper.everything.all().delete()
    path = tmp_path / "captures.jsonl.gz"
    write_captures(path, list(reversed(day)))  # out of order in the file: read in committed_at order
    out = io.StringIO()
    call_command("ingest", "hf-daily", str(path), stdout=out, stderr=io.StringIO())
    assert state()[1:4] == through_api
    call_command("ingest", "hf-daily", str(path), stdout=out, stderr=io.StringIO())
    assert state()[1:4] == through_api  # re-importing the file changes nothing


def test_an_older_capture_read_again_leaves_the_latest_count(hub, tmp_path):
    day = captures("2025-01-08")
    write_captures(tmp_path / "last.jsonl.gz", [day[-1]])
    write_captures(tmp_path / "first.jsonl.gz", [day[0]])
    call_command("ingest", "hf-daily", str(tmp_path / "last.jsonl.gz"), stdout=io.StringIO())
    call_command("ingest", "hf-daily", str(tmp_path / "first.jsonl.gz"), stdout=io.StringIO())
    assert entry_counts() == latest_counts(day[-1])


def test_a_day_with_no_list_lands_nothing_and_is_no_error(hub):
    # Hugging Face answers a day without papers (a weekend: 2025-01-11) with an empty list.
    serve(hub, "2025-01-11", Reply(200, b"[]"))
    out = run("--date", "2025-01-11")
    assert "2025-01-11: 0 new, 0 updated, 0 unchanged, 0 rejected" in out
    assert not Paper.objects.exists()
    assert IngestRun.objects.get().state == IngestRun.DONE


@pytest.mark.parametrize("status", [404, 500])
def test_a_day_that_fails_is_reported_and_the_other_days_land(hub, status):
    [capture] = captures("2025-01-10")[-1:]
    serve(hub, "2025-01-10", capture)
    serve(hub, "2025-01-09", Reply(status, b"error"))  # 2025-01-09 answered with an error
    with pytest.raises(CommandError, match=rf"1 of 2 days failed: 2025-01-09: failed: HTTP {status}"):
        run("--from", "2025-01-09", "--until", "2025-01-10")
    assert set(DailyEntry.objects.values_list("day", flat=True)) == {date(2025, 1, 10)}
    assert DailyEntry.objects.count() == len(capture["response"])
    failed = IngestRun.objects.get(params="date=2025-01-09")
    assert failed.state == IngestRun.FAILED and f"HTTP {status}" in failed.message


def test_malformed_entries_are_reported_and_skipped(hub):
    [capture] = captures("2026-08-21")
    response = json.loads(json.dumps(capture["response"]))
    del response[0]["paper"]["id"]
    response[1]["paper"]["upvotes"] = "many"
    serve(hub, "2026-08-21", Reply(200, json.dumps(response).encode()))
    out = run("--date", "2026-08-21")
    assert f"{len(response) - 2} new, 0 updated, 0 unchanged, 2 rejected" in out
    assert "the field 'id' is missing" in out
    assert "upvotes must be a count, not 'many'" in out


def test_a_list_of_python_reprs_is_reported_entry_by_entry(hub):
    # The bot's first capture of 2025-01-08 as it wrote it: each entry a str(dict), not a JSON object.
    raw = data_path(RAW_REPR).read_bytes()
    serve(hub, "2025-01-08", Reply(200, raw))
    out = run("--date", "2025-01-08")
    assert f"0 new, 0 updated, 0 unchanged, {len(json.loads(raw))} rejected" in out
    assert "the entry is str, not an object" in out


def test_a_reply_that_is_not_json_is_an_error(hub):
    serve(hub, "2025-01-10", Reply(200, b"<html>maintenance</html>"))
    with pytest.raises(CommandError, match="the list of 2025-01-10 is not JSON"):
        run("--date", "2025-01-10")


def test_hf_links_and_abstract_links_keep_apart(hub):
    [capture] = captures("2026-08-21")
    serve(hub, "2026-08-21", capture)
    run("--date", "2026-08-21")
    paper = Paper.objects.get(arxiv_id="2608.19880")
    # arXiv's record of the paper brings comments naming code: the links found in the abstract and the
    # comments are rewritten, Hugging Face's stay.
    record = PaperRecord(
        arxiv_id=paper.arxiv_id,
        source="arxiv-api",
        title=paper.title,
        comments="Code: https://github.com/google-research/envharness-extra",
    )
    stats, _ = ingest([record], "arxiv-api")
    assert stats.updated == 1, stats.summary_lines()
    links = set(CodeLink.objects.filter(paper=paper).values_list("url", "source"))
    assert links == {
        ("https://github.com/google-research/envharness", "huggingface"),
        ("https://envharness.com", "huggingface"),
        ("https://github.com/google-research/envharness-extra", "abstract"),
    }
    # Hugging Face no longer names a project page: its link goes, the abstract's stays.
    response = json.loads(json.dumps(capture["response"]))
    entry = next(e for e in response if e["paper"]["id"] == paper.arxiv_id)
    del entry["paper"]["projectPage"]
    serve(hub, "2026-08-21", Reply(200, json.dumps(response).encode()))
    run("--date", "2026-08-21")
    links = set(CodeLink.objects.filter(paper=paper).values_list("url", "source"))
    assert links == {
        ("https://github.com/google-research/envharness", "huggingface"),
        ("https://github.com/google-research/envharness-extra", "abstract"),
    }


def test_sync_hf_reads_today_and_yesterday_in_utc(hub):
    yesterday, today = captures("2025-01-09")[-1], captures("2025-01-10")[-1]
    serve(hub, "2025-01-09", yesterday)
    serve(hub, "2025-01-10", today)
    lines: list[str] = []
    now = datetime(2025, 1, 10, 23, 30, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        summary = sync_hf(now=now, should_stop=lambda: False, write=lines.append)
    new = len(latest_counts(yesterday).keys() | latest_counts(today).keys())
    assert summary.startswith(f"Hugging Face 2025-01-10, 2025-01-09: {new} new, 0 updated papers")
    assert [line[:12] for line in lines] == ["2025-01-10: ", "2025-01-09: "]
    assert set(UpvoteCount.objects.values_list("at", flat=True)) == {now}
    assert jobs.JOBS["hf-sync"].schedule(now) == now + timedelta(minutes=30)


def test_sync_hf_stops_when_asked_and_raises_after_storing_the_day_that_worked(hub):
    now = datetime(2025, 1, 9, 6, 30, tzinfo=UTC)
    assert "Hugging Face : 0 new" in sync_hf(now=now, should_stop=lambda: True, write=print)
    assert not IngestRun.objects.exists()
    serve(hub, "2025-01-09", captures("2025-01-09")[-1])  # 2025-01-08 is not recorded: 404
    with pytest.raises(HfSyncError, match="2025-01-08: failed: HTTP 404"):
        sync_hf(now=now, should_stop=lambda: False, write=print)
    assert set(DailyEntry.objects.values_list("day", flat=True)) == {date(2025, 1, 9)}


def test_conflicting_arguments_are_refused(hub):
    with pytest.raises(CommandError, match="not both"):
        run("--date", "2025-01-08", "--from", "2025-01-07")
    with pytest.raises(CommandError, match="is after"):
        run("--from", "2025-01-09", "--until", "2025-01-08")


def test_the_paper_page_shows_what_hugging_face_says_attributed_to_it(hub, client, monkeypatch):
    from papertide.pages import papers

    # Similar papers cost what their search finds (tests/test_paper_page.py); here, the page without them.
    monkeypatch.setattr(papers, "similar_papers", lambda paper: ([], False))
    [capture] = captures("2026-08-21")
    serve(hub, "2026-08-21", capture)
    with time_machine.travel(datetime(2026, 8, 21, 9, 30, tzinfo=UTC), tick=False):
        run("--date", "2026-08-21")
    entry = next(e for e in capture["response"] if e["paper"]["id"] == "2608.19880")
    Paper.objects.create(arxiv_id="2608.00001", title="A paper Hugging Face never listed")
    client.get("/papers/2608.00001/")  # (the first request of a process refreshes the search's caches)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/papers/2608.19880/").content.decode()
    assert "<h2>On Hugging Face</h2>" in page
    summary, keywords = entry["paper"]["ai_summary"], entry["paper"]["ai_keywords"]
    assert f"Summary by Hugging Face's AI</strong> (not the authors'): {summary}" in page
    assert "Keywords by Hugging Face's AI:</strong> " in page
    assert re.findall(r">([^<>]+)</a>", re.search(r'<p class="ai-keywords">(.*?)</p>', page)[1]) == keywords
    assert f'<a class="organization" href="{hub.url}/google" rel="nofollow noopener">Google</a>' in page
    assert (
        f'<a class="hf-discussion" href="{hub.url}/papers/2608.19880" rel="nofollow noopener">'
        "1 comment on Hugging Face</a>"
    ) in page
    assert "submitted by taesiri" in page
    assert "as read 21 Aug 2026, 09:30 UTC" in page
    assert '<span class="kind">GitHub</span> <a href="https://github.com/google-research/envharness"' in page
    # The details come with the paper's own query: the page costs what a page without them costs.
    # (plus the one query of its upvote chart)
    with CaptureQueriesContext(connection) as plain:
        assert "On Hugging Face" not in client.get("/papers/2608.00001/").content.decode()
    assert len(queries) == len(plain) + 1
    assert "Upvotes on Hugging Face" in page


def test_a_paper_listed_on_two_days_shows_its_latest_count_on_both(tmp_path):
    # 2604.07429 is on Hugging Face's lists of 2026-04-10 and 2026-04-16 (one of 4 such papers).
    lines = captures("2026-04-10") + captures("2026-04-16")
    path = tmp_path / "captures.jsonl.gz"
    write_captures(path, lines)
    out = io.StringIO()
    call_command("ingest", "hf-daily", str(path), stdout=out, stderr=io.StringIO())
    latest = latest_counts(captures("2026-04-16")[-1])["2604.07429"]
    entries = DailyEntry.objects.filter(paper__arxiv_id="2604.07429")
    assert sorted(entries.values_list("day", "imported_upvotes")) == [
        (date(2026, 4, 10), latest),
        (date(2026, 4, 16), latest),
    ]
    before = state()
    call_command("ingest", "hf-daily", str(path), stdout=out, stderr=io.StringIO())
    records = sum(len(c["response"]) for c in lines)
    assert out.getvalue().splitlines()[-1] == f"0 new, 0 updated, {records} unchanged, 0 rejected"
    assert state() == before


def test_a_captures_file_reports_lines_that_are_not_captures_and_imports_the_rest(tmp_path):
    [capture] = captures("2026-08-21")
    line = json.dumps(capture)
    without_response = json.dumps({k: v for k, v in capture.items() if k != "response"})
    path = tmp_path / "captures.jsonl"
    path.write_text(f"{line}\n{line[: len(line) // 2]}\n{without_response}\n", encoding="utf-8")
    assert is_captures(path)
    out = io.StringIO()
    call_command("ingest", "hf-daily", str(path), stdout=out, stderr=io.StringIO())
    assert f"{len(capture['response'])} new, 0 updated, 0 unchanged, 2 rejected" in out.getvalue()
    assert "captures.jsonl line 2: not a JSON capture" in out.getvalue()
    assert "captures.jsonl line 3: not a capture (the field 'response' is missing)" in out.getvalue()
