"""The daily arXiv harvest and the weekly reconciliation (catalog/harvest.py), against real OAI-PMH and arXiv
API responses replayed by a local HTTP server, with time moved by time-machine.

The responses are real recordings (oai-pmh/recorded-2018, oai-pmh/listrecords-chain-2018, oai-pmh/hepcrawl,
arxiv-api/recorded-2026), served for the requests the harvest makes; the expected values were read from
them. The recorded 503 (Retry-After: 10) stands for OAI-PMH failing, an unrecorded request gets 404.
"""

import json
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from papertide.catalog import harvest
from papertide.catalog.harvest import (
    harvest_arxiv,
    next_harvest_after,
    next_reconcile_after,
    previous_announcement,
    reconcile_arxiv,
)
from papertide.catalog.models import IngestRun, Paper
from papertide.catalog.records import SourceError
from papertide.catalog.sources.arxiv_api import listing_query
from papertide.catalog.sources.http import PoliteClient
from tests.conftest import data_path
from tests.replay import ReplayServer, Reply
from tests.test_source_oai_pmh import FIRST, TOKENS, XML, retry_recording

pytestmark = pytest.mark.django_db

OAI_PATH, API_PATH = "/oai", "/api/query"
CHAIN = "oai-pmh/listrecords-chain-2018/page_{:02d}.xml"
HEP_TH = "oai-pmh/hepcrawl/functional__arxiv__fixtures__http_server__records__arxiv-physics-hep-th.xml"
API_RECORDING = "arxiv-api/recorded-2026/id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.json"
# The recorded ListRecords answered on 2015-01-03; a harvest the night before asked from 2015-01-01.
NOW = datetime(2015, 1, 3, 1, 30, tzinfo=UTC)
NEW_YORK_EVENING = datetime(2015, 1, 2, 1, 30, tzinfo=UTC)  # Thursday 1 January, 20:30 in New York


def retry_replies() -> tuple[Reply, Reply]:
    """The recorded 503 with its real Retry-After, and the 200 that followed (2 records: 1412.8544 in cs.DM,
    hep-th/9504118 in hep-th)."""
    replies, _ = retry_recording()
    return replies[0], replies[1]


def api_reply() -> Reply:
    """A real arXiv API feed with one entry, 1707.08567 (cs.IT), totalResults 1."""
    rec = json.loads(data_path(API_RECORDING).read_text(encoding="utf-8"))
    return Reply(rec["status_code"], rec["body"].encode("latin-1"), {"Content-Type": "application/atom+xml"})


def api_listing(categories: list[str], since: date, until: date) -> dict:
    return {
        "search_query": listing_query(categories, since, until),
        "sortBy": "submittedDate",
        "sortOrder": "descending",
        "start": "0",
        "max_results": "200",
    }


@pytest.fixture(scope="module")
def _replay():
    with ReplayServer() as server:
        yield server


@pytest.fixture
def server(_replay, settings):
    _replay.routes.clear()
    _replay.log.clear()
    settings.PAPERTIDE_OAI_URL = _replay.url + OAI_PATH
    settings.PAPERTIDE_ARXIV_API_URL = _replay.url + API_PATH
    settings.PAPERTIDE_HTTP_RETRIES = 1
    settings.PAPERTIDE_RETRY_AFTER_MAX = 0.0  # the recorded Retry-After: 10, not waited for in tests
    return _replay


def run(job=harvest_arxiv, now: datetime = NOW, should_stop=lambda: False) -> tuple[str, list[str]]:
    lines: list[str] = []
    with time_machine.travel(now, tick=False):
        summary = job(now=now, should_stop=should_stop, write=lines.append)
    return summary, lines


def succeeded_at(when: datetime, kind: str = harvest.DAILY) -> None:
    with time_machine.travel(when, tick=False):
        IngestRun.objects.create(source=kind, params="", state=IngestRun.DONE)


def ids() -> list[str]:
    return sorted(Paper.objects.values_list("arxiv_id", flat=True))


# --- schedules ----------------------------------------------------------------------------------------------


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_harvests_follow_the_announcements_sunday_to_thursday_at_20_00_new_york_time():
    # A week of winter (EST, UTC-5): Sunday 4 January 2015 to Thursday 8 January, at 20:30 in New York.
    with time_machine.travel(utc(2015, 1, 3, 12), tick=False) as traveller:  # a Saturday
        runs = []
        for _ in range(6):
            runs.append(next_harvest_after(datetime.now(UTC)))
            traveller.move_to(runs[-1])
    assert runs == [
        utc(2015, 1, 5, 1, 30),  # Sunday evening's announcement
        utc(2015, 1, 6, 1, 30),
        utc(2015, 1, 7, 1, 30),
        utc(2015, 1, 8, 1, 30),
        utc(2015, 1, 9, 1, 30),  # Thursday's
        utc(2015, 1, 12, 1, 30),  # none Friday and Saturday: Sunday's again
    ]


def test_harvest_times_follow_new_york_summer_time_and_the_settings(settings):
    # Summer time began on Sunday 8 March 2026: 20:30 in New York is 00:30 UTC from then on.
    assert next_harvest_after(utc(2026, 3, 6, 12)) == utc(2026, 3, 9, 0, 30)  # Friday -> Sunday evening
    assert next_harvest_after(utc(2026, 3, 5, 1, 29)) == utc(2026, 3, 5, 1, 30)  # Wednesday, EST still
    # It ended on Sunday 1 November 2026: 20:30 is 01:30 UTC again.
    assert next_harvest_after(utc(2026, 10, 29, 0, 30)) == utc(2026, 10, 30, 0, 30)  # Thursday, EDT
    assert next_harvest_after(utc(2026, 10, 30, 0, 30)) == utc(2026, 11, 2, 1, 30)  # Sunday, EST
    # Exactly at a harvest time: the next one, never the same again.
    assert next_harvest_after(utc(2026, 11, 2, 1, 30)) == utc(2026, 11, 3, 1, 30)
    settings.PAPERTIDE_ARXIV_ANNOUNCE_TIME = datetime(2000, 1, 1, 14).time()
    settings.PAPERTIDE_ARXIV_HARVEST_DELAY_MINUTES = 0
    assert next_harvest_after(utc(2026, 11, 2, 1, 30)) == utc(2026, 11, 2, 19)  # Monday 14:00 EST


def test_previous_announcement_is_the_last_one_at_or_before_the_time():
    assert previous_announcement(utc(2026, 11, 5, 1, 0)) == utc(2026, 11, 5, 1, 0)  # Wednesday 20:00 EST
    assert previous_announcement(utc(2026, 11, 5, 0, 59)) == utc(2026, 11, 4, 1, 0)
    # Over arXiv's weekend: Thursday's, until Sunday evening's.
    assert previous_announcement(utc(2026, 11, 9, 0, 59)) == utc(2026, 11, 6, 1, 0)
    assert previous_announcement(utc(2026, 3, 9, 0, 0)) == utc(2026, 3, 9, 0, 0)  # Sunday 20:00 EDT


def test_reconciliation_is_weekly_at_the_day_and_time_set(settings):
    assert next_reconcile_after(utc(2026, 11, 25, 12)) == utc(2026, 11, 28, 6)  # Wednesday -> Saturday
    assert next_reconcile_after(utc(2026, 11, 28, 6)) == utc(2026, 12, 5, 6)
    settings.PAPERTIDE_ARXIV_RECONCILE_DAY = "sun"
    settings.PAPERTIDE_ARXIV_RECONCILE_TIME = datetime(2000, 1, 1, 23, 15).time()
    assert next_reconcile_after(utc(2026, 11, 29, 23, 14)) == utc(2026, 11, 29, 23, 15)


# --- the harvest --------------------------------------------------------------------------------------------


def test_harvest_asks_oai_pmh_from_the_day_of_the_last_success_and_keeps_the_categories(server, settings):
    settings.PAPERTIDE_CATEGORIES = ["cs.DM"]
    succeeded_at(NEW_YORK_EVENING - timedelta(days=1), kind=harvest.RECONCILE)
    succeeded_at(NEW_YORK_EVENING)  # the last success: from its day, less a day of overlap
    server.add(OAI_PATH, {**FIRST, "set": "cs", "from": "2015-01-01"}, *retry_replies())

    summary, lines = run()

    # The archive's set, from the day; the recorded 503 was retried once.
    assert server.queries() == [{**FIRST, "set": "cs", "from": "2015-01-01"}] * 2
    assert summary == "1 new, 0 updated, 0 unchanged, 0 rejected from 2015-01-01 via OAI-PMH"
    assert lines[0] == "arxiv-daily: cs.DM from 2015-01-01" and lines[-1] == summary
    assert ids() == ["1412.8544"]  # hep-th/9504118 came in the same answer, but is in no category asked
    assert Paper.objects.get().first_seen == NOW
    run_row = IngestRun.objects.filter(source=harvest.DAILY).first()
    assert (run_row.state, run_row.new, run_row.message) == (IngestRun.DONE, 1, "via OAI-PMH")
    assert harvest.last_harvest() == NOW


def test_first_harvest_asks_for_the_import_days_and_every_archive_of_the_categories(server, settings):
    settings.PAPERTIDE_CATEGORIES = ["cs.DM", "hep-th", "cs.CV"]
    settings.PAPERTIDE_IMPORT_DAYS = 2
    ok = retry_replies()[1]
    server.add(OAI_PATH, {**FIRST, "set": "cs", "from": "2015-01-01"}, ok)
    server.add(OAI_PATH, {**FIRST, "set": "physics:hep-th", "from": "2015-01-01"}, ok)

    summary, _ = run()

    assert [q["set"] for q in server.queries()] == ["cs", "physics:hep-th"]
    # The same real answer for both sets: the second copy of each paper changes nothing.
    assert summary.startswith("2 new, 0 updated, 2 unchanged, 0 rejected")
    assert ids() == ["1412.8544", "hep-th/9504118"]


@pytest.mark.parametrize("failure", ["503 past the retries", "404"])
def test_when_oai_pmh_fails_the_api_listing_of_the_same_days_is_harvested(server, settings, failure):
    settings.PAPERTIDE_CATEGORIES = ["cs.IT"]
    succeeded_at(NEW_YORK_EVENING)
    if failure.startswith("503"):
        unavailable = retry_replies()[0]
        server.add(OAI_PATH, {**FIRST, "set": "cs", "from": "2015-01-01"}, unavailable, unavailable)
    server.add(API_PATH, api_listing(["cs.IT"], date(2015, 1, 1), date(2015, 1, 3)), api_reply())

    summary, lines = run()

    assert summary == "1 new, 0 updated, 0 unchanged, 0 rejected from 2015-01-01 via the arXiv API"
    assert [q.get("verb", "api") for q in server.queries()] == ["ListRecords"] * (
        2 if failure.startswith("503") else 1
    ) + ["api"]
    assert any(line.startswith("OAI-PMH failed (HTTP") for line in lines)
    assert ids() == ["1707.08567"]
    assert IngestRun.objects.get(source="oai-pmh").state == IngestRun.FAILED
    assert IngestRun.objects.filter(source=harvest.DAILY).first().message == "via the arXiv API"


def test_when_both_fail_the_harvest_raises_and_the_next_one_asks_from_the_same_day(server, settings):
    settings.PAPERTIDE_CATEGORIES = ["cs.DM"]
    succeeded_at(NEW_YORK_EVENING)

    with pytest.raises(SourceError, match=r"OAI-PMH failed \(HTTP 404 .*\), then the arXiv API: HTTP 404"):
        run()

    failed = IngestRun.objects.filter(source=harvest.DAILY).first()
    assert failed.state == IngestRun.FAILED and failed.message.startswith("OAI-PMH failed (HTTP 404")
    assert harvest.last_harvest() == NEW_YORK_EVENING
    server.log.clear()
    server.add(OAI_PATH, {**FIRST, "set": "cs", "from": "2015-01-01"}, retry_replies()[1])
    summary, _ = run(now=NOW + timedelta(days=1))
    assert server.queries() == [{**FIRST, "set": "cs", "from": "2015-01-01"}]
    assert summary.startswith("1 new")


def test_running_twice_changes_nothing_and_first_seen_never_moves(server, settings):
    settings.PAPERTIDE_CATEGORIES = ["cs.DM", "hep-th"]
    succeeded_at(NEW_YORK_EVENING)
    ok = retry_replies()[1]
    for since in ("2015-01-01", "2015-01-02", "2014-12-21"):
        for set_spec in ("cs", "physics:hep-th"):
            server.add(OAI_PATH, {**FIRST, "set": set_spec, "from": since}, ok)
    run()
    before = list(Paper.objects.order_by("arxiv_id").values_list("arxiv_id", "first_seen", "modified_at"))

    # The next night, from the day of the first run, then every day of the last 14: each paper comes in
    # both sets' answers (the same recording), and no copy changes anything.
    summary, _ = run(now=NOW + timedelta(days=1))
    again, _ = run(job=reconcile_arxiv, now=NOW + timedelta(days=1))
    assert summary == "0 new, 0 updated, 4 unchanged, 0 rejected from 2015-01-02 via OAI-PMH"
    assert again == "0 new, 0 updated, 4 unchanged, 0 rejected from 2014-12-21 via OAI-PMH"

    after = list(Paper.objects.order_by("arxiv_id").values_list("arxiv_id", "first_seen", "modified_at"))
    assert after == before and {first_seen for _, first_seen, _ in after} == {NOW}


def test_reconciliation_rereads_the_last_14_days(server, settings):
    settings.PAPERTIDE_CATEGORIES = ["hep-th"]
    now = datetime(2017, 12, 16, 6, tzinfo=UTC)  # a Saturday, after the recorded records' datestamps
    server.add(
        OAI_PATH,
        {**FIRST, "set": "physics:hep-th", "from": "2017-12-02"},
        Reply(200, data_path(HEP_TH).read_bytes(), XML),
    )
    succeeded_at(now - timedelta(hours=10))  # a daily harvest last night does not shorten the window

    summary, _ = run(job=reconcile_arxiv, now=now)

    assert server.queries() == [{**FIRST, "set": "physics:hep-th", "from": "2017-12-02"}]
    assert summary == "3 new, 0 updated, 0 unchanged, 0 rejected from 2017-12-02 via OAI-PMH"
    assert ids() == ["1412.8323", "1507.07790", "1607.01710"]
    assert IngestRun.objects.filter(source=harvest.RECONCILE).get().state == IngestRun.DONE
    settings.PAPERTIDE_ARXIV_RECONCILE_DAYS = 3
    server.log.clear()
    with pytest.raises(SourceError):
        run(job=reconcile_arxiv, now=now)
    assert server.queries()[0]["from"] == "2017-12-13"


def serve_chain(server: ReplayServer, since: str) -> None:
    server.add(
        OAI_PATH, {**FIRST, "set": "physics:hep-ph", "from": since}, Reply(200, read(CHAIN.format(0)), XML)
    )
    for n, token in enumerate(TOKENS[:2], start=1):
        server.add(
            OAI_PATH,
            {"verb": "ListRecords", "resumptionToken": token},
            Reply(200, read(CHAIN.format(n)), XML),
        )


def read(relative: str) -> bytes:
    return data_path(relative).read_bytes()


def test_an_interrupted_oai_harvest_resumes_from_its_saved_token(server, settings):
    settings.PAPERTIDE_CATEGORIES = ["hep-ph"]
    succeeded_at(NEW_YORK_EVENING)
    serve_chain(server, "2015-01-01")  # the chain's third token leads to a page never recorded: 404

    with pytest.raises(SourceError):
        run()
    stored = Paper.objects.count()
    oai = IngestRun.objects.get(source="oai-pmh")
    assert (oai.state, oai.resume_token, oai.cursor) == (IngestRun.FAILED, TOKENS[2], 3000)
    assert stored == Paper.objects.in_category("hep-ph").count() > 100  # the pages read are kept

    server.log.clear()
    server.add(OAI_PATH, {"verb": "ListRecords", "resumptionToken": TOKENS[2]}, retry_replies()[1])
    summary, lines = run(now=NOW + timedelta(hours=1))

    assert server.queries() == [{"verb": "ListRecords", "resumptionToken": TOKENS[2]}]  # that page alone
    assert any(line.startswith("resuming the OAI-PMH harvest") for line in lines)
    assert summary.startswith("0 new")  # the last page holds no hep-ph paper
    oai.refresh_from_db()
    assert (oai.state, oai.resume_token, oai.cursor) == (IngestRun.DONE, "", 3002)


def test_should_stop_ends_the_harvest_after_the_page_in_hand_and_the_next_run_resumes(server, settings):
    settings.PAPERTIDE_CATEGORIES = ["hep-ph"]
    succeeded_at(NEW_YORK_EVENING)
    serve_chain(server, "2015-01-01")

    def page_saved() -> bool:
        return IngestRun.objects.filter(source="oai-pmh").exclude(resume_token="").exists()

    with pytest.raises(harvest.Stopped, match=r"stopped before the end \(\d+ new, 0 updated so far\)"):
        run(should_stop=page_saved)

    assert len(server.log) == 1  # no second page asked for
    oai = IngestRun.objects.get(source="oai-pmh")
    assert (oai.resume_token, oai.cursor) == (TOKENS[0], 1000)
    assert IngestRun.objects.filter(source=harvest.DAILY).first().state == IngestRun.FAILED
    assert harvest.last_harvest() == NEW_YORK_EVENING  # a stopped harvest is no success

    server.log.clear()
    with pytest.raises(SourceError):  # the chain's end was never recorded
        run()
    assert server.queries()[0] == {"verb": "ListRecords", "resumptionToken": TOKENS[0]}


def test_ingest_arxiv_daily_runs_the_harvest_now(server, settings):
    settings.PAPERTIDE_CATEGORIES = ["cs.DM"]
    succeeded_at(NEW_YORK_EVENING)
    server.add(OAI_PATH, {**FIRST, "set": "cs", "from": "2015-01-01"}, retry_replies()[1])
    out, err = StringIO(), StringIO()

    with time_machine.travel(NOW, tick=False):
        call_command("ingest", "arxiv-daily", stdout=out, stderr=err)

    assert out.getvalue().strip() == "1 new, 0 updated, 0 unchanged, 0 rejected from 2015-01-01 via OAI-PMH"
    assert "arxiv-daily: cs.DM from 2015-01-01" in err.getvalue()
    with time_machine.travel(NOW, tick=False), pytest.raises(CommandError, match="HTTP 404"):
        call_command("ingest", "arxiv-reconcile", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_arxiv_is_asked(server, settings, monkeypatch):
    # Not pytest-django's test transaction either: any transaction open during a request is the harvest's.
    settings.PAPERTIDE_CATEGORIES = ["hep-ph"]
    serve_chain(server, date(2014, 12, 27).isoformat())  # the first harvest: the last 7 days
    asked = PoliteClient.get
    open_during_requests = []

    def get(self, url, **kwargs):
        open_during_requests.append(connection.in_atomic_block)
        return asked(self, url, **kwargs)

    monkeypatch.setattr(PoliteClient, "get", get)
    with pytest.raises(SourceError):  # the chain's end, then the API listing, were never recorded
        run()

    assert open_during_requests == [False] * 5  # three pages, the page never recorded, the API listing
    assert Paper.objects.count() > 100
