"""The arXiv API source against real responses of export.arxiv.org, replayed by a local HTTP server.

Every feed here is a real recording (arxiv-api/recorded-2026, arxiv-api/xml-2016); expected values were read
from those recordings. Failures that were not recorded (429, 500, dropped connections) are plain HTTP
replies around the real bodies.
"""

import json
import re
import time
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from email.utils import formatdate
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from papertide.catalog.models import IngestRun, Paper
from papertide.catalog.records import PaperRecord, RejectedRecord, SourceError
from papertide.catalog.services import ingest
from papertide.catalog.sources import arxiv_api
from papertide.catalog.sources.arxiv_api import ArxivAPI
from papertide.catalog.sources.atom import ARXIV, ATOM, FeedInfo, parse_feed
from papertide.catalog.sources.http import PoliteClient
from tests.conftest import data_path
from tests.replay import ReplayServer, Reply

RECORDED = "arxiv-api/recorded-2026"
OLD_FEEDS = "arxiv-api/xml-2016"
API_PATH = "/api/query"
# The recordings asked for 100 results per id list; lookup() asks for as many as it sends ids.
ID_IGNORE = ("sortBy", "sortOrder", "max_results")
# Searches page with max_results, which must match (the recordings hold max_results 10, 15 and 100).
SEARCH_IGNORE = ("sortBy", "sortOrder")
ATOM_TYPE = {"Content-Type": "application/atom+xml; charset=UTF-8"}


def recording(prefix: str) -> dict:
    """The recording whose file name starts with ``prefix``, with ``raw``: the bytes arXiv sent.

    The recorder decoded arXiv's UTF-8 as ISO-8859-1, so its text holds "WÃ¼bben" for "Wübben" (and C1
    control characters elsewhere); encoding that text back as Latin-1 gives the original bytes.
    """
    matches = sorted(data_path(RECORDED).glob(f"{prefix}*.json"))
    assert len(matches) == 1, f"{prefix}: {matches}"
    rec = json.loads(matches[0].read_text(encoding="utf-8"))
    rec["raw"] = rec["body"].encode("latin-1")
    return rec


def serve(server: ReplayServer, *prefixes: str) -> None:
    """Route each recording's own request (path and query) to its recorded status and body."""
    for prefix in prefixes:
        rec = recording(prefix)
        url = urlsplit(rec["url"])
        server.add(url.path, url.query, Reply(rec["status_code"], rec["raw"], ATOM_TYPE))


def entry_ids(raw: bytes) -> list[str]:
    """The abs ids of a feed's entries, read with the standard parser, independently of ours."""
    root = ET.fromstring(raw)
    return [e.findtext(f"{ATOM}id").rsplit("/abs/", 1)[1] for e in root.findall(f"{ATOM}entry")]


def unversioned(abs_id: str) -> str:
    return re.sub(r"v\d+$", "", abs_id)


def api_for(server: ReplayServer, page_size: int = 10, **client) -> ArxivAPI:
    return ArxivAPI(base_url=server.url + API_PATH, client=PoliteClient(**client), page_size=page_size)


# One server per module (stopping one takes half a second); each test starts with no routes and no log.
@pytest.fixture(scope="module")
def _id_replay():
    with ReplayServer(ignore_params=ID_IGNORE) as server:
        yield server


@pytest.fixture(scope="module")
def _search_replay():
    with ReplayServer(ignore_params=SEARCH_IGNORE) as server:
        yield server


def _fresh(server: ReplayServer) -> ReplayServer:
    server.routes.clear()
    server.log.clear()
    return server


@pytest.fixture
def id_server(_id_replay):
    return _fresh(_id_replay)


@pytest.fixture
def search_server(_search_replay):
    return _fresh(_search_replay)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- id look-ups --------------------------------------------------------------------------------------------


def test_id_lookup_parses_every_field_of_the_entry(id_server):
    serve(id_server, "id_1605.08386_")

    [record] = api_for(id_server).lookup(["1605.08386"])

    assert isinstance(record, PaperRecord)
    assert record.arxiv_id == "1605.08386"
    assert record.version == 1
    assert record.title == "Heat-bath random walks with Markov bases"
    assert record.abstract.startswith(
        "Graphs on lattice points are studied whose edges come from a finite set"
    )
    assert record.abstract.endswith("is an expander in fixed dimension.")
    assert record.authors == ["Caprice Stanley", "Tobias Windisch"]
    assert record.categories == ["math.CO", "math.ST"]
    assert record.comments == "20 pages, 3 figures"
    assert record.journal_ref is None and record.doi is None
    assert record.published == record.updated == utc(2016, 5, 26, 17, 59, 46)
    assert record.versions == {1: utc(2016, 5, 26, 17, 59, 46)}
    assert id_server.queries() == [{"id_list": "1605.08386", "start": "0", "max_results": "1"}]


@pytest.mark.django_db
def test_old_style_id_lookup_stores_the_paper_under_its_archive_id(id_server):
    serve(id_server, "id_astro-ph_0601001_")

    stats, run = ingest(api_for(id_server).lookup(["astro-ph/0601001"]), "arxiv-api")

    assert (stats.new, stats.updated, stats.unchanged, stats.total_rejected) == (1, 0, 0, 0)
    assert run.state == IngestRun.DONE
    assert id_server.queries()[0]["id_list"] == "astro-ph/0601001"
    paper = Paper.objects.get(arxiv_id="astro-ph/0601001")
    assert paper.title.startswith("Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III")
    assert paper.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert paper.categories == ["astro-ph"] and paper.primary_category == "astro-ph"
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"
    assert paper.comments.startswith(
        "62 pages including 16 figures and 9 tables. Submitted to Acta Astronomica."
    )
    # arXiv indents old abstracts with two spaces; the stored text starts at the first word.
    assert paper.abstract.startswith("We derive the frequencies of hot Jupiters (HJs)")
    assert "V_max<17.5" in paper.abstract  # the feed's &lt; is unescaped
    assert paper.published == paper.updated == utc(2006, 1, 2, 14, 57, 58)
    assert paper.current_version == 1
    assert list(paper.versions.values_list("number", "submitted")) == [(1, utc(2006, 1, 2, 14, 57, 58))]
    assert paper.listed_on == date(2006, 1, 2)


@pytest.mark.parametrize(
    ("asked", "prefix", "arxiv_id", "title", "categories"),
    [
        (
            "quant-ph/0201082v1",
            "id_quant-ph_0201082v1_",
            "quant-ph/0201082",
            "Quantum Computers and Quantum Computer Languages: Quantum Assembly Language and Quantum C "
            "Language",
            ["quant-ph", "cs.PL"],
        ),
        # A real paper titled "0": the title must survive every truthiness test on the way in.
        ("2104.12255v1", "id_2104.12255v1_", "2104.12255", "0", ["cs.CR"]),
    ],
)
def test_versioned_id_lookup_asks_for_that_version(id_server, asked, prefix, arxiv_id, title, categories):
    serve(id_server, prefix)

    [record] = api_for(id_server).lookup([asked])

    assert id_server.queries()[0]["id_list"] == asked
    assert (record.arxiv_id, record.version, record.title, record.categories) == (
        arxiv_id,
        1,
        title,
        categories,
    )
    assert record.validated().versions == {1: record.published}


def test_lookup_accepts_urls_and_arxiv_prefixes_and_sends_several_ids_in_one_request(id_server):
    # No recording answers these three together: the request is what is under test (404 -> SourceError).
    wanted = ["1605.08386", "arXiv:1707.08567", "https://arxiv.org/abs/2104.12255v1"]

    with pytest.raises(SourceError, match="HTTP 404"):
        list(api_for(id_server).lookup(wanted))

    assert id_server.queries() == [
        {"id_list": "1605.08386,1707.08567,2104.12255v1", "start": "0", "max_results": "3"}
    ]


def test_multi_id_request_yields_the_papers_arxiv_knows(id_server):
    # The recorded request asks for a malformed id (0808.05394: five digits before 1501) beside a real one;
    # lookup() would refuse the first before asking (next test), so this goes through the pager itself.
    serve(id_server, "id_0808.05394_1707.08567_")

    records = list(api_for(id_server)._pages({"id_list": "0808.05394,1707.08567"}, limit=2))

    assert [r.arxiv_id for r in records] == ["1707.08567"]
    [record] = records
    assert record.title == "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    assert len(record.authors) == 34
    assert record.authors[:3] == ["Kees A. Schouhamer Immink", "Stan Baggen", "Ferdaous Chaabane"]
    assert record.authors[-2:] == ["Dirk Wübben", "Hirosuke Yamamoto"]
    assert record.comments == "44 pages, editors for the proceedings: Yanling Chen and A. J. Han Vinck"
    assert record.categories == ["cs.IT"]
    assert len(id_server.log) == 1


def test_lookup_reports_an_invalid_id_and_looks_up_the_others(id_server):
    serve(id_server, "id_1707.08567_")

    records = list(api_for(id_server).lookup(["0808.05394", "1707.08567"]))

    assert isinstance(records[0], RejectedRecord)
    assert records[0].arxiv_id == "0808.05394" and "is not an arXiv id" in records[0].reason
    assert [r.arxiv_id for r in records[1:]] == ["1707.08567"]
    assert [q["id_list"] for q in id_server.queries()] == ["1707.08567"]


@pytest.mark.django_db
def test_empty_result_yields_nothing_and_no_error(id_server):
    serve(id_server, "id_0000.0000_", "id_0808.05394_s0")
    api = api_for(id_server)

    assert list(api._pages({"id_list": "0000.0000"}, limit=1)) == []
    stats, run = ingest(api._pages({"id_list": "0808.05394"}, limit=1), "arxiv-api")

    assert (stats.stored, stats.total_rejected, stats.error) == (0, 0, "")
    assert run.state == IngestRun.DONE
    assert len(id_server.log) == 2  # one request each, no paging past an empty page


@pytest.mark.django_db
def test_error_feed_becomes_a_source_error_with_arxivs_message(id_server):
    serve(id_server, "id_abc_")
    api = api_for(id_server, retries=3)

    with pytest.raises(SourceError, match="incorrect id format for abc"):
        list(api._pages({"id_list": "abc"}, limit=1))
    stats, run = ingest(api._pages({"id_list": "abc"}, limit=1), "arxiv-api")

    assert run.state == IngestRun.FAILED
    assert "incorrect id format for abc" in run.message and "incorrect id format for abc" in stats.error
    assert Paper.objects.count() == 0
    assert len(id_server.log) == 2  # a 400 is an answer, not a failure to retry


def test_lookup_never_asks_arxiv_about_text_that_is_not_an_id(id_server):
    records = list(api_for(id_server).lookup(["abc", "0000.0000"]))

    assert [(r.arxiv_id, type(r)) for r in records] == [
        ("abc", RejectedRecord),
        ("0000.0000", RejectedRecord),
    ]
    assert all("is not an arXiv id" in r.reason for r in records)
    assert id_server.log == []


# --- searching and paging -----------------------------------------------------------------------------------

SEARCH_PAGES = [f"q_testing_s{start}_m10_" for start in (0, 10, 20, 30, 40, 50)]


@pytest.mark.django_db
def test_paginated_search_follows_start_in_page_size_steps_to_the_limit(search_server):
    serve(search_server, *SEARCH_PAGES)
    expected = [unversioned(i) for prefix in SEARCH_PAGES for i in entry_ids(recording(prefix)["raw"])]

    stats, run = ingest(api_for(search_server, page_size=10).search("testing", limit=60), "arxiv-api")

    assert [(q["start"], q["max_results"]) for q in search_server.queries()] == [
        (str(start), "10") for start in (0, 10, 20, 30, 40, 50)
    ]
    assert {q["search_query"] for q in search_server.queries()} == {"testing"}
    assert (stats.new, stats.total_rejected, stats.error, run.state) == (60, 0, "", IngestRun.DONE)
    assert len(set(expected)) == 60
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == set(expected)
    # One entry of the first page, field by field, as the recording has it.
    paper = Paper.objects.get(arxiv_id="2202.12139")
    assert (
        paper.title
        == "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    )
    assert paper.authors == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert (paper.categories, paper.primary_category) == (["cs.SE", "cs.LG"], "cs.SE")
    assert paper.doi == "10.1109/ICSTW55395.2022.00035"
    assert paper.journal_ref == (
        "Artificial Intelligence in Software Testing @ 2022 IEEE International Conference on Software "
        "Testing, Verification and Validation Workshops (ICSTW)"
    )
    assert paper.comments == "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022"


@pytest.mark.django_db
def test_later_versions_are_recorded_with_their_dates(search_server):
    serve(search_server, "q_testing_s0_m10_")
    raw = recording("q_testing_s0_m10_")["raw"]
    entry = next(
        e for e in ET.fromstring(raw).findall(f"{ATOM}entry") if not e.findtext(f"{ATOM}id").endswith("v1")
    )
    abs_id = entry.findtext(f"{ATOM}id").rsplit("/abs/", 1)[1]
    arxiv_id, _, version = abs_id.rpartition("v")
    published = datetime.fromisoformat(entry.findtext(f"{ATOM}published"))
    updated = datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))

    ingest(api_for(search_server).search("testing", limit=10), "arxiv-api")

    paper = Paper.objects.get(arxiv_id=arxiv_id)
    assert paper.current_version == int(version) > 1
    assert (paper.published, paper.updated) == (published, updated)
    assert dict(paper.versions.values_list("number", "submitted")) == {1: published, int(version): updated}


def test_primary_category_comes_first_in_every_recorded_entry():
    # Checked over every real feed, old and new layout: the primary is first, no category is lost.
    feeds = [recording(p.name.removesuffix(".json"))["raw"] for p in data_path(RECORDED).glob("q_*.json")]
    feeds += [p.read_bytes() for p in data_path(OLD_FEEDS).glob("*.xml")]
    checked = 0
    for raw in feeds:
        entries = ET.fromstring(raw).findall(f"{ATOM}entry")
        records = list(parse_feed(raw, FeedInfo()))
        assert len(records) == len(entries)
        for entry, record in zip(entries, records, strict=True):
            primary = entry.find(f"{ARXIV}primary_category").get("term")
            terms = {c.get("term") for c in entry.findall(f"{ATOM}category")}
            assert record.categories[0] == primary
            assert set(record.categories) == terms | {primary}
            checked += 1
    assert checked > 200


def test_older_atom_layout_parses_with_versions_doi_and_journal_ref():
    raw = data_path(f"{OLD_FEEDS}/id_list=1111.2011v2.xml").read_bytes()
    info = FeedInfo()

    [record] = parse_feed(raw, info)

    assert (info.total, info.start, info.per_page, info.entries, info.truncated) == (1, 0, 10, 1, "")
    assert (record.arxiv_id, record.version) == ("1111.2011", 2)
    # arXiv's hard line break stays in the raw title; joining lines is display work.
    assert record.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large\n  Connectivity Limit"
    )
    assert record.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert record.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert record.doi == "10.1103/PhysRevB.85.115117"
    assert record.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert record.comments == "8 pages, 3 figures. Published version"
    assert record.published == utc(2011, 11, 8, 18, 48, 36)
    assert record.updated == utc(2012, 4, 2, 12, 38, 54)
    assert record.versions == {1: record.published, 2: record.updated}


def test_older_atom_search_feed_reports_its_paging_numbers():
    raw = data_path(f"{OLD_FEEDS}/search_query=au_del_maestro.xml").read_bytes()
    info = FeedInfo()

    records = list(parse_feed(raw, info))

    assert (info.total, info.start, info.per_page, info.entries) == (31, 0, 10, 10)
    assert all(isinstance(r, PaperRecord) and r.validated() for r in records)
    # The same author, as the feed spells him: "Adrian Del Maestro" or "A. Del Maestro".
    assert all(any(name.endswith("Del Maestro") for name in r.authors) for r in records)


def test_recent_asks_for_the_categories_ored_within_the_submitted_date_window(search_server):
    api = api_for(search_server, page_size=50)

    with pytest.raises(SourceError, match="HTTP 404"):
        list(api.recent(["cs.CV", "cs.CL", "cs.LG"], date(2026, 3, 30), date(2026, 4, 2), limit=25))

    assert search_server.queries() == [
        {
            "search_query": "(cat:cs.CV OR cat:cs.CL OR cat:cs.LG) "
            "AND submittedDate:[202603300000 TO 202604022359]",
            "sortBy": "submittedDate",
            "sortOrder": "descending",
            "start": "0",
            "max_results": "25",
        }
    ]


# --- politeness and failures --------------------------------------------------------------------------------


def test_requests_are_spaced_by_the_politeness_delay(search_server, settings):
    settings.PAPERTIDE_ARXIV_DELAY = 0.2
    serve(search_server, *SEARCH_PAGES[:3])

    records = list(api_for(search_server).search("testing", limit=30))

    assert len(records) == 30
    arrivals = [t for t, _ in search_server.log]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert len(gaps) == 2
    assert min(gaps) >= 0.19, gaps  # the delay is measured from request start; allow clock jitter


def test_retry_after_is_honoured_on_429(search_server):
    page = recording("q_testing_s0_m10_")["raw"]
    search_server.add(
        API_PATH,
        {"search_query": "testing", "start": 0, "max_results": 10},
        Reply(429, b"Rate exceeded.", {"Retry-After": "7"}),
        Reply(200, page, ATOM_TYPE),
    )
    waits = []

    records = list(api_for(search_server, sleep=waits.append).search("testing", limit=10))

    assert waits == [7.0]
    assert len(records) == 10 and len(search_server.log) == 2


def test_retry_after_as_an_http_date_is_honoured(search_server):
    page = recording("q_testing_s0_m10_")["raw"]
    search_server.add(
        API_PATH,
        {"search_query": "testing", "start": 0, "max_results": 10},
        Reply(503, b"", {"Retry-After": formatdate(time.time() + 30, usegmt=True)}),
        Reply(200, page, ATOM_TYPE),
    )
    waits = []

    records = list(api_for(search_server, sleep=waits.append).search("testing", limit=10))

    assert len(records) == 10
    [wait] = waits
    assert 27 <= wait <= 30


def test_retry_after_is_capped_by_the_setting(search_server, settings):
    settings.PAPERTIDE_RETRY_AFTER_MAX = 2.0
    search_server.add(
        API_PATH,
        {"search_query": "testing", "start": 0, "max_results": 10},
        Reply(503, b"", {"Retry-After": "3600"}),
        Reply(200, recording("q_testing_s0_m10_")["raw"], ATOM_TYPE),
    )
    waits = []

    list(api_for(search_server, sleep=waits.append).search("testing", limit=10))

    assert waits == [2.0]


def test_server_error_is_retried_with_backoff_then_succeeds(search_server):
    search_server.add(
        API_PATH,
        {"search_query": "testing", "start": 0, "max_results": 10},
        Reply(500, b"Internal Server Error"),
        Reply(502, b"Bad Gateway"),
        Reply(200, recording("q_testing_s0_m10_")["raw"], ATOM_TYPE),
    )
    waits = []

    records = list(api_for(search_server, backoff=1.5, sleep=waits.append).search("testing", limit=10))

    assert len(records) == 10
    assert waits == [1.5, 3.0]
    assert len(search_server.log) == 3


@pytest.mark.django_db
def test_server_error_that_persists_becomes_a_source_error_after_the_retries(search_server):
    search_server.add(
        API_PATH,
        {"search_query": "testing", "start": 0, "max_results": 10},
        Reply(500, b"Internal Server Error"),
    )
    waits = []
    api = api_for(search_server, retries=3, backoff=1.0, sleep=waits.append)

    stats, run = ingest(api.search("testing", limit=10), "arxiv-api")

    assert waits == [1.0, 2.0, 4.0]
    assert len(search_server.log) == 4
    assert run.state == IngestRun.FAILED
    assert "HTTP 500" in run.message and "after 4 attempts" in run.message
    assert stats.error == run.message


def test_not_found_is_not_retried(search_server):
    waits = []

    with pytest.raises(SourceError, match=r"HTTP 404 .*\(after 1 attempt\)"):
        list(api_for(search_server, sleep=waits.append).search("nothing recorded", limit=10))

    assert len(search_server.log) == 1 and waits == []


def test_reply_cut_short_by_a_dropped_connection_is_retried(search_server):
    page = recording("q_testing_s0_m10_")["raw"]
    # The first reply promises the whole page (Content-Length) and stops halfway: the client sees the
    # connection close early, as when a proxy drops it.
    cut = Reply(200, page[: len(page) // 2], {"Content-Length": str(len(page))})
    search_server.add(
        API_PATH, {"search_query": "testing", "start": 0, "max_results": 10}, cut, Reply(200, page, ATOM_TYPE)
    )
    waits = []

    records = list(api_for(search_server, backoff=1.0, sleep=waits.append).search("testing", limit=10))

    assert len(records) == 10
    assert waits == [1.0] and len(search_server.log) == 2


def test_reply_that_keeps_getting_cut_short_becomes_a_source_error(search_server):
    page = recording("q_testing_s0_m10_")["raw"]
    cut = Reply(200, page[:1000], {"Content-Length": str(len(page))})
    search_server.add(API_PATH, {"search_query": "testing", "start": 0, "max_results": 10}, cut)

    with pytest.raises(SourceError, match="IncompleteRead"):
        list(api_for(search_server, retries=1).search("testing", limit=10))

    assert len(search_server.log) == 2


@pytest.mark.django_db
def test_truncated_feed_stores_the_complete_entries_and_reports_the_failure(search_server):
    page = recording("q_testing_s0_m10_")["raw"]
    ids = [unversioned(i) for i in entry_ids(page)]
    fourth = [m.start() for m in re.finditer(rb"<entry>", page)][3]
    cut = page[: page.index(b"<summary>", fourth) + 40]  # in the middle of the fourth entry's abstract
    search_server.add(API_PATH, {"search_query": "testing", "start": 0, "max_results": 10}, Reply(200, cut))

    stats, run = ingest(api_for(search_server).search("testing", limit=10), "arxiv-api")

    assert run.state == IngestRun.FAILED
    assert "unreadable XML after 3 entries" in run.message
    assert stats.new == 3
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == sorted(ids[:3])
    assert not Paper.objects.filter(arxiv_id=ids[3]).exists()
    assert len(search_server.log) == 1  # a complete reply of bad XML is not fetched again


# --- the command --------------------------------------------------------------------------------------------


def run_command(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ingest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_ingest_arxiv_ids_reports_new_then_unchanged_on_a_rerun(id_server, settings, monkeypatch):
    settings.PAPERTIDE_ARXIV_API_URL = id_server.url + API_PATH
    # One id per request, so that each request is one that was recorded.
    monkeypatch.setattr(arxiv_api, "MAX_IDS_PER_REQUEST", 1)
    serve(id_server, "id_astro-ph_0601001_", "id_1605.08386_", "id_quant-ph_0201082v1_", "id_2104.12255v1_")
    ids = ["https://arxiv.org/abs/astro-ph/0601001", "arXiv:1605.08386", "quant-ph/0201082v1", "2104.12255v1"]

    first, _ = run_command("arxiv", *ids)
    again, _ = run_command("arxiv", *ids)

    assert first.splitlines() == ["4 new, 0 updated, 0 unchanged, 0 rejected"]
    assert again.splitlines() == ["0 new, 0 updated, 4 unchanged, 0 rejected"]
    assert [q["id_list"] for q in id_server.queries()] == [
        "astro-ph/0601001",
        "1605.08386",
        "quant-ph/0201082v1",
        "2104.12255v1",
    ] * 2
    assert sorted(Paper.objects.values_list("arxiv_id", "current_version")) == [
        ("1605.08386", 1),
        ("2104.12255", 1),
        ("astro-ph/0601001", 1),
        ("quant-ph/0201082", 1),
    ]
    params = "ids=astro-ph/0601001,1605.08386,quant-ph/0201082v1,2104.12255v1"
    assert list(IngestRun.objects.values_list("params", "state")) == [(params, IngestRun.DONE)] * 2


@pytest.mark.django_db
def test_ingest_arxiv_query_pages_and_a_rerun_changes_nothing(search_server, settings):
    settings.PAPERTIDE_ARXIV_API_URL = search_server.url + API_PATH
    settings.PAPERTIDE_ARXIV_PAGE_SIZE = 10
    serve(search_server, *SEARCH_PAGES[:2])

    first, _ = run_command("arxiv", "--query", "testing", "--limit", "20")
    before = list(Paper.objects.order_by("arxiv_id").values_list("arxiv_id", "modified_at"))
    again, _ = run_command("arxiv", "--query", "testing", "--limit", "20")

    assert first.splitlines()[0] == "20 new, 0 updated, 0 unchanged, 0 rejected"
    assert again.splitlines()[0] == "0 new, 0 updated, 20 unchanged, 0 rejected"
    assert list(Paper.objects.order_by("arxiv_id").values_list("arxiv_id", "modified_at")) == before
    assert len(search_server.log) == 4
