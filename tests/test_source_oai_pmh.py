"""OAI-PMH harvesting of arXiv against real ListRecords responses, replayed by a local HTTP server.

The pages are real (oai-pmh/listrecords-chain-2018, oai-pmh/recorded-2018, oai-pmh/hepcrawl) and the expected
values were read from them. The chain's third page points at a page that was never recorded, so the replay
server answers 404 there: a harvest that fails mid-way, as real ones do.
"""

import json
import re
from datetime import UTC, date, datetime
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from papertide.catalog.models import IngestRun, Paper
from papertide.catalog.records import Checkpoint, PaperRecord, RejectedRecord, SourceError
from papertide.catalog.services import ingest
from papertide.catalog.sources.http import PoliteClient
from papertide.catalog.sources.oai_pmh import OAIHarvester, PageInfo, harvest_params, parse_list_records
from tests.conftest import data_path
from tests.replay import ReplayServer, Reply

OAI_PATH = "/oai2"
CHAIN = "oai-pmh/listrecords-chain-2018"
TOKENS = ["2752941|1001", "2752941|2001", "2752941|3001"]  # the tokens pages 0, 1 and 2 end with
RETRY_RECORDING = "oai-pmh/recorded-2018/oaipmh-listrecords---should-list-identifiers-from-arxiv.json"
HEPCRAWL = "oai-pmh/hepcrawl/functional__arxiv__fixtures__http_server__records__arxiv-{}.xml"
XML = {"Content-Type": "text/xml"}
FIRST = {"verb": "ListRecords", "metadataPrefix": "arXiv"}


def chain_page(n: int) -> bytes:
    return data_path(f"{CHAIN}/page_{n:02d}.xml").read_bytes()


def retry_recording() -> tuple[list[Reply], dict]:
    """The recorded 503 (with its real Retry-After) and the 200 that followed, and their request."""
    replies = []
    for rec in json.loads(data_path(RETRY_RECORDING).read_text(encoding="utf-8")):
        raw = dict(zip(rec["rawHeaders"][::2], rec["rawHeaders"][1::2], strict=True))
        headers = {k: v for k, v in raw.items() if k in ("Retry-After", "Content-Type")}
        replies.append(Reply(rec["status"], rec["response"].encode("utf-8"), headers))
    query = {k: v[0] for k, v in parse_qs(urlsplit(rec["path"]).query).items()}
    return replies, query


def final_page() -> bytes:
    """A real ListRecords page without a resumptionToken (2 records): the end of a chain."""
    replies, _ = retry_recording()
    return replies[1].body


@pytest.fixture(scope="module")
def _replay():
    with ReplayServer() as server:
        yield server


@pytest.fixture
def server(_replay, settings):
    # One server per module (stopping one takes half a second); each test starts with no routes and no log.
    _replay.routes.clear()
    _replay.log.clear()
    settings.PAPERTIDE_OAI_URL = _replay.url + OAI_PATH
    return _replay


def serve_chain(server: ReplayServer) -> None:
    server.add(OAI_PATH, FIRST, Reply(200, chain_page(0), XML))
    for n, token in enumerate(TOKENS[:2], start=1):
        server.add(
            OAI_PATH, {"verb": "ListRecords", "resumptionToken": token}, Reply(200, chain_page(n), XML)
        )


def run_command(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ingest", "oai", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def utc_day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


# --- parsing ------------------------------------------------------------------------------------------------


def test_chain_page_with_the_inner_arxiv_element_in_the_oai_namespace_is_parsed():
    # The harvester that saved the chain dropped the arXiv namespace: <arXiv> inherits the OAI default one.
    page = PageInfo()

    records = list(parse_list_records(chain_page(0), page))

    assert (page.records, page.token, page.total, page.error_code, page.truncated) == (
        1000,
        "2752941|1001",
        1405437,
        "",
        "",
    )
    assert all(isinstance(r, PaperRecord) for r in records)
    first, last = records[0], records[-1]
    assert first.arxiv_id == "0704.0001"
    assert (
        first.title
        == "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies"
    )
    assert first.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert first.categories == ["hep-ph"]
    assert first.comments == "37 pages, 15 figures; published version"
    assert first.report_no == "ANL-HEP-PR-07-12"
    assert first.journal_ref == "Phys.Rev.D76:013009,2007"
    assert first.doi == "10.1103/PhysRevD.76.013009"
    assert first.abstract.startswith(
        "A fully differential calculation in perturbative quantum chromodynamics"
    )
    assert (first.published, first.updated) == (utc_day(2007, 4, 2), utc_day(2007, 7, 24))
    assert first.versions == {1: utc_day(2007, 4, 2)}
    assert last.arxiv_id == "0704.1000"
    assert last.authors == ["L. M. Zhang", "for the Belle Collaboration"]
    assert last.title == "Measurement of D0-D0bar mixing in D0->Ks pi+ pi- decays"


def test_original_arxiv_layout_with_namespaced_metadata_is_parsed():
    page = PageInfo()

    records = list(parse_list_records(data_path(HEPCRAWL.format("physics-hep-th")).read_bytes(), page))

    assert [r.arxiv_id for r in records] == ["1412.8323", "1507.07790", "1607.01710"]
    assert (page.token, page.total) == ("", None)  # one page, no resumptionToken: the list is complete
    record = records[0]
    assert record.authors == ["Philipp A Hoehn"]
    assert (
        record.title == "Toolbox for reconstructing quantum theory from rules on information\n  acquisition"
    )
    assert record.categories == ["quant-ph", "gr-qc", "hep-th", "math-ph", "math.MP", "physics.hist-ph"]
    assert record.license == "http://creativecommons.org/licenses/by/4.0/"
    assert record.comments.startswith("78 pages, many figures, graphs and references. Version accepted for")
    assert (record.published, record.updated) == (utc_day(2014, 12, 29), utc_day(2017, 12, 13))
    assert all(r.validated() for r in records)


# --- harvesting ---------------------------------------------------------------------------------------------


def test_harvest_follows_the_resumption_token_chain_page_by_page(server):
    serve_chain(server)
    items = []

    with pytest.raises(SourceError, match=r"HTTP 404 .*resumptionToken=2752941%7C3001"):
        for item in OAIHarvester(base_url=server.url + OAI_PATH).harvest(harvest_params(None, None, None)):
            items.append(item)

    checkpoints = [(i.token, i.cursor, i.total) for i in items if isinstance(i, Checkpoint)]
    assert checkpoints == [(TOKENS[0], 1000, 1405437), (TOKENS[1], 2000, 1405437), (TOKENS[2], 3000, 1405437)]
    # A checkpoint comes right after its page's last record, never before it.
    positions = [n for n, i in enumerate(items) if isinstance(i, Checkpoint)]
    assert positions == [1000, 2001, 3002]
    records = [i for i in items if isinstance(i, PaperRecord)]
    assert len({r.arxiv_id for r in records}) == 3000
    assert (records[0].arxiv_id, records[-1].arxiv_id) == ("0704.0001", "0704.3000")
    assert server.queries() == [FIRST] + [{"verb": "ListRecords", "resumptionToken": t} for t in TOKENS]


@pytest.mark.django_db
def test_interrupted_harvest_keeps_every_page_and_a_rerun_resumes_from_the_saved_token(server):
    serve_chain(server)

    out, _ = run_command()

    assert out.splitlines()[0] == "3,000 new, 0 updated, 0 unchanged, 0 rejected"
    assert "stopped: HTTP 404" in out
    assert Paper.objects.count() == 3000
    run = IngestRun.objects.get(source="oai-pmh")
    assert run.state == IngestRun.FAILED and "HTTP 404" in run.message
    assert (run.resume_token, run.cursor, run.total) == (TOKENS[2], 3000, 1405437)
    assert run.params == "metadataPrefix=arXiv verb=ListRecords"

    # The page behind the last token can be had now: the rerun asks for it, and only for it.
    server.log.clear()
    server.add(OAI_PATH, {"verb": "ListRecords", "resumptionToken": TOKENS[2]}, Reply(200, final_page(), XML))
    out, err = run_command()

    assert "resuming the harvest" in err and "at record 3,000" in err
    assert server.queries() == [{"verb": "ListRecords", "resumptionToken": TOKENS[2]}]
    assert out.splitlines()[0] == "2 new, 0 updated, 0 unchanged, 0 rejected"
    assert Paper.objects.count() == 3002
    assert Paper.objects.filter(arxiv_id__in=["1412.8544", "hep-th/9504118"]).count() == 2
    run = IngestRun.objects.get(source="oai-pmh")  # the same run, continued, not a second one
    assert (run.state, run.resume_token, run.cursor, run.message) == (IngestRun.DONE, "", 3002, "")
    # Its counts and the list size cover both parts, not only the part after the resume.
    assert (run.new, run.total) == (3002, 1405437)


@pytest.mark.django_db
def test_truncated_page_keeps_the_records_before_the_cut_and_the_rerun_fetches_that_page_again(server):
    server.add(OAI_PATH, FIRST, Reply(200, chain_page(0), XML))
    page = chain_page(1)
    cut_at = page.index(b"<abstract>", page.index(b"<id>0704.1501</id>")) + 30  # inside record 501's abstract
    token = {"verb": "ListRecords", "resumptionToken": TOKENS[0]}
    server.add(OAI_PATH, token, Reply(200, page[:cut_at], XML), Reply(200, page, XML))
    server.add(OAI_PATH, {"verb": "ListRecords", "resumptionToken": TOKENS[1]}, Reply(200, final_page(), XML))

    out, _ = run_command()

    assert "unreadable XML after 500 records" in out
    assert Paper.objects.count() == 1500
    assert not Paper.objects.filter(arxiv_id="0704.1501").exists()
    run = IngestRun.objects.get(source="oai-pmh")
    assert (run.state, run.resume_token, run.cursor) == (IngestRun.FAILED, TOKENS[0], 1000)

    out, _ = run_command()

    # The whole second page again: its first 500 records are there already and change nothing.
    assert out.splitlines()[0] == "502 new, 0 updated, 500 unchanged, 0 rejected"
    assert Paper.objects.count() == 2002
    run.refresh_from_db()
    assert (run.state, run.resume_token, run.cursor) == (IngestRun.DONE, "", 2002)


@pytest.mark.django_db
def test_namespaced_set_harvest_is_stored_and_ends_without_a_token(server):
    server.add(
        OAI_PATH,
        {**FIRST, "set": "physics:hep-ex", "from": "2017-12-14"},
        Reply(200, data_path(HEPCRAWL.format("physics-hep-ex")).read_bytes(), XML),
    )

    out, _ = run_command("--set", "physics:hep-ex", "--from", "2017-12-14")

    assert out.splitlines()[0] == "3 new, 0 updated, 0 unchanged, 0 rejected"
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == [
        "1706.05371",
        "1706.09418",
        "1707.00874",
    ]
    run = IngestRun.objects.get()
    assert (run.state, run.resume_token, run.params) == (
        IngestRun.DONE,
        "",
        "from=2017-12-14 metadataPrefix=arXiv set=physics:hep-ex verb=ListRecords",
    )


def test_retry_after_is_honoured_on_503(server):
    replies, query = retry_recording()
    assert (replies[0].status, replies[0].headers["Retry-After"]) == (503, "10")
    server.add(OAI_PATH, query, *replies)
    waits = []
    harvester = OAIHarvester(base_url=server.url + OAI_PATH, client=PoliteClient(sleep=waits.append))

    items = list(harvester.harvest(harvest_params(None, date(2015, 1, 1), date(2015, 1, 3))))

    assert waits == [10.0]
    assert len(server.log) == 2
    assert [i.arxiv_id for i in items if isinstance(i, PaperRecord)] == ["1412.8544", "hep-th/9504118"]
    assert (items[-1].token, items[-1].cursor) == ("", 2)


@pytest.mark.django_db
def test_retry_after_wait_is_capped_by_the_setting_and_the_harvest_completes(server, settings):
    settings.PAPERTIDE_RETRY_AFTER_MAX = 0.2
    replies, query = retry_recording()
    server.add(OAI_PATH, query, *replies)

    out, _ = run_command("--from", "2015-01-01", "--until", "2015-01-03")

    (first, _), (second, _) = server.log
    assert second - first >= 0.19  # waited, but 0.2 s rather than the 10 s asked
    assert out.splitlines()[0] == "2 new, 0 updated, 0 unchanged, 0 rejected"
    paper = Paper.objects.get(arxiv_id="1412.8544")
    assert paper.authors == ["Sander Uijlen", "Bas Westerbaan"]
    assert (paper.categories, paper.primary_category) == (["cs.DM"], "cs.DM")
    assert paper.journal_ref == "EPTCS 172, 2014, pp. 154-164"
    assert paper.doi == "10.4204/EPTCS.172.11"
    assert paper.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert paper.published == paper.updated == utc_day(2014, 12, 29)  # one version: no <updated>
    assert Paper.objects.get(arxiv_id="hep-th/9504118").report_no == "GOET-TP 101/95"


@pytest.mark.django_db
def test_deleted_record_is_reported_not_stored(server):
    # No deleted record was recorded: mark one of a real page deleted as OAI-PMH does (status="deleted" on
    # the header, no metadata).
    body = final_page().decode("utf-8")
    header = "<header>\n <identifier>oai:arXiv.org:hep-th/9504118"
    start = body.index(header)
    metadata = re.compile(r"<metadata>.*?</metadata>\n", re.S)
    body = body[:start] + metadata.sub(
        "", body[start:].replace("<header>", '<header status="deleted">', 1), 1
    )
    assert body.count("<metadata>") == 1 and 'status="deleted"' in body
    server.add(OAI_PATH, {**FIRST, "from": "2015-01-01"}, Reply(200, body.encode("utf-8"), XML))

    items = list(
        OAIHarvester(base_url=server.url + OAI_PATH).harvest(harvest_params(None, date(2015, 1, 1), None))
    )
    stats, run = ingest(iter(items), "oai-pmh")

    [rejected] = [i for i in items if isinstance(i, RejectedRecord)]
    assert "deleted" in rejected.reason and rejected.arxiv_id.endswith("hep-th/9504118")
    assert (stats.new, stats.total_rejected) == (1, 1)
    assert any("deleted" in line for line in stats.summary_lines())
    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["1412.8544"]
    assert run.state == IngestRun.DONE
