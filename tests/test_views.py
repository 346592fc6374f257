"""The pages: newest papers (paging, category filter, query budget), a paper's page, escaping, the admin."""

import gzip
import itertools
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from papertide.catalog import counts
from papertide.catalog.models import IngestRun, Paper
from papertide.catalog.records import PaperRecord
from papertide.catalog.services import ingest
from papertide.catalog.sources.hf_daily import read_hf_daily
from papertide.catalog.sources.snapshot import from_listing, read_snapshot
from tests.conftest import data_path
from tests.personas import client_for

LISTINGS = "arxiv/listings-2025-03-to-2026-07.jsonl.gz"
KAGGLE_HEAD = "arxiv/kaggle-snapshot-head200.jsonl"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
LISTED = re.compile(r'<a class="title" href="/papers/([^"]+)/">')

pytestmark = pytest.mark.django_db


def listing_rows(count: int, every: int = 1) -> list[dict]:
    """Real listing records: every `every`-th of the first `count * every` lines."""
    with gzip.open(data_path(LISTINGS), "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in itertools.islice(f, 0, count * every, every)]


def listing_row(arxiv_id: str, within: int = 500) -> dict:
    needle = f'"id": "{arxiv_id}"'
    with gzip.open(data_path(LISTINGS), "rt", encoding="utf-8") as f:
        return next(json.loads(line) for line in itertools.islice(f, within) if needle in line)


def import_listings(rows: list[dict]) -> None:
    stats, _ = ingest([from_listing(row) for row in rows], "test")
    assert stats.new == len(rows)


def old_style_record() -> PaperRecord:
    """astro-ph/0601001 as the arXiv API returned it (a recorded response), as a PaperRecord."""
    body = data_path("arxiv-api/recorded-2026/bodies/id_astro-ph_0601001_s0_m100_3150dca9dc76.xml")
    entry = ET.fromstring(body.read_bytes()).find(f"{ATOM}entry")
    return PaperRecord(
        arxiv_id=entry.findtext(f"{ATOM}id").removeprefix("http://arxiv.org/abs/"),
        source="arxiv-api",
        title=entry.findtext(f"{ATOM}title"),
        abstract=entry.findtext(f"{ATOM}summary"),
        authors=[a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")],
        categories=[c.get("term") for c in entry.findall(f"{ATOM}category")],
        comments=entry.findtext(f"{ARXIV}comment"),
        journal_ref=entry.findtext(f"{ARXIV}journal_ref"),
        published=datetime.fromisoformat(entry.findtext(f"{ATOM}published")),
        updated=datetime.fromisoformat(entry.findtext(f"{ATOM}updated")),
    )


def listed_ids(response) -> list[str]:
    return LISTED.findall(response.content.decode())


# --- newest papers --------------------------------------------------------------------------------------


def test_newest_papers_come_first_with_paging(client, settings):
    settings.PAPERTIDE_PAGE_SIZE = 10
    rows = listing_rows(25, every=120)  # spread over the first 3,000 lines: several announcement days
    assert len({row["first_listing_date"] for row in rows}) > 3
    import_listings(rows)
    expected = [
        row["id"] for row in sorted(rows, key=lambda r: (r["first_listing_date"], r["id"]), reverse=True)
    ]

    first = client.get("/")
    assert first.status_code == 200
    assert listed_ids(first) == expected[:10]
    page = first.content.decode()
    assert "Page 1 of 3" in page
    assert 'rel="next" href="?page=2"' in page and 'rel="prev"' not in page

    second = client.get("/?page=2")
    assert listed_ids(second) == expected[10:20]
    assert 'rel="prev" href="?page=1"' in second.content.decode()

    last = client.get("/?page=3")
    assert listed_ids(last) == expected[20:]
    assert 'rel="next"' not in last.content.decode()
    assert '<ol class="papers" start="21">' in last.content.decode()


def test_page_numbers_out_of_range_or_not_numbers_give_a_real_page(client, settings):
    settings.PAPERTIDE_PAGE_SIZE = 10
    import_listings(listing_rows(15))
    assert listed_ids(client.get("/?page=99")) == listed_ids(client.get("/?page=2"))
    assert listed_ids(client.get("/?page=abc")) == listed_ids(client.get("/"))


def test_list_shows_cleaned_title_authors_primary_category_and_day(client):
    row = listing_row("2503.11685")
    import_listings([row])
    page = client.get("/").content.decode()
    assert '<a class="title" href="/papers/2503.11685/">CORDIC Is All You Need</a>' in page
    assert (
        "Omkar Kokane, Adam Teman, Anushka Jha, Guru Prasath SL, Gopal Raut, Mukul Lokhande, et al." in page
    )
    assert '<a class="category" href="/?category=cs.AR">cs.AR</a>' in page
    assert '<time datetime="2025-03-18">18 Mar 2025</time>' in page


def test_empty_catalog_says_how_to_import(client):
    page = client.get("/").content.decode()
    assert "No papers yet" in page and "papertide ingest" in page


def test_category_filter_shows_papers_listed_in_the_category(client, settings):
    settings.PAPERTIDE_PAGE_SIZE = 100
    rows = listing_rows(300)
    import_listings(rows)
    # cs.RO as primary or as a cross-list; "cs.ROX"-like near misses do not count.
    expected = {row["id"] for row in rows if "cs.RO" in row["categories"]}
    assert any(row["categories"][0] == "cs.RO" for row in rows if row["id"] in expected)
    assert any(row["categories"][0] != "cs.RO" for row in rows if row["id"] in expected)
    response = client.get("/", {"category": "cs.RO"})
    assert response.status_code == 200
    assert set(listed_ids(response)) == expected
    assert "Newest papers in cs.RO" in response.content.decode()


# --- a paper's page -------------------------------------------------------------------------------------


def test_paper_page_shows_the_paper(client):
    ingest(read_snapshot(data_path(KAGGLE_HEAD)), "snapshot")
    response = client.get("/papers/0704.0001/")
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "<h1>Calculation of prompt diphoton production cross sections at Tevatron and LHC energies</h1>"
        in page
    )
    assert '<p class="authors">C. Balázs, E. L. Berger, P. M. Nadolsky, C. -P. Yuan</p>' in page
    assert (
        "<p>A fully differential calculation in perturbative quantum chromodynamics is presented for" in page
    )
    assert '<a class="category primary" href="/?category=hep-ph">hep-ph</a>' in page
    assert "arXiv:0704.0001v2" in page
    assert '<a href="https://arxiv.org/abs/0704.0001v2">arXiv</a>' in page
    assert '<a href="https://arxiv.org/pdf/0704.0001v2">PDF</a>' in page
    assert '<a href="https://doi.org/10.1103/PhysRevD.76.013009">DOI</a>' in page
    assert "Phys.Rev.D76:013009,2007" in page
    assert "37 pages, 15 figures; published version" in page
    assert "<li>v1 · 2 Apr 2007</li><li>v2 · 24 Jul 2007</li>" in page


def test_paper_page_lists_every_category_primary_first(client):
    ingest(read_snapshot(data_path(KAGGLE_HEAD)), "snapshot")
    page = client.get("/papers/0704.0002/").content.decode()
    assert re.search(r'class="category primary" href="/\?category=math.CO">math.CO</a>.*>cs.CG</a>', page)


def test_paper_page_shows_code_links(client):
    import_listings([listing_row("2503.11892")])
    page = client.get("/papers/2503.11892/").content.decode()
    assert (
        '<li><span class="kind">Project page</span> <a href="https://taco-group.github.io/DecAlign" '
        'rel="nofollow noopener">https://taco-group.github.io/DecAlign</a></li>'
    ) in page
    assert '<span class="kind">GitHub</span> <a href="https://github.com/taco-group/decalign"' in page


def test_paper_page_keeps_abstract_paragraphs(client):
    import_listings([listing_row("2503.12553")])
    page = client.get("/papers/2503.12553/").content.decode()
    section = page.split('<section class="abstract">', 1)[1].split("</section>", 1)[0]
    assert section.count("<p>") == 4


def test_versioned_url_shows_the_paper(client):
    ingest(read_snapshot(data_path(KAGGLE_HEAD)), "snapshot")
    assert client.get("/papers/0704.0001v1/").status_code == 200


def test_old_style_id_has_its_page(client):
    ingest([old_style_record()], "arxiv-api")
    paper = Paper.objects.get()
    assert paper.arxiv_id == "astro-ph/0601001"
    assert paper.get_absolute_url() == "/papers/astro-ph/0601001/"
    response = client.get("/papers/astro-ph/0601001/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys" in page
    assert "Andrew Gould, Susan Dorsher, B. Scott Gaudi, Andrzej Udalski" in page
    assert '<a href="https://arxiv.org/abs/astro-ph/0601001v1">arXiv</a>' in page
    assert '<a href="https://arxiv.org/pdf/astro-ph/0601001v1">PDF</a>' in page
    # The list links to it, and the versioned and subject-class spellings reach it too.
    assert listed_ids(client.get("/")) == ["astro-ph/0601001"]
    assert client.get("/papers/astro-ph/0601001v1/").status_code == 200
    assert client.get("/papers/astro-ph.CO/0601001/").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/papers/2501.99999/",
        "/papers/abc/",
        "/papers/0704.12345/",
        "/papers/hep-th/9901001/",
        "/papers/2513.00001/",
    ],
)
def test_unknown_or_invalid_id_is_404(client, url):
    ingest(read_snapshot(data_path(KAGGLE_HEAD)), "snapshot")
    assert client.get(url).status_code == 404


# --- escaping -------------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_markup_from_a_source_is_escaped_everywhere(client):
    row = listing_row("2503.11892")
    row = dict(
        row,
        title=row["title"] + " " + SCRIPT,
        summary="<b>Bold</b> claim. " + row["summary"] + " " + SCRIPT,
        authors=[SCRIPT, "<b>Bold Author</b>"] + row["authors"],
        comment=(row["comment"] or "") + ' "><img src=x onerror=alert(1)>',
    )
    import_listings([row])
    for url in ("/", "/papers/2503.11892/"):
        page = client.get(url).content.decode()
        assert SCRIPT not in page and "<b>" not in page and "<img" not in page, url
        assert escape(SCRIPT) in page, url
        assert "&lt;b&gt;Bold Author&lt;/b&gt;" in page, url
    page = client.get("/papers/2503.11892/").content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt; claim." in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_escaped_title_in_the_html_title_element(client):
    row = listing_row("2503.11685")
    import_listings([dict(row, title="CORDIC <b>Is</b> All You Need")])
    page = client.get("/papers/2503.11685/").content.decode()
    assert "<title>CORDIC &lt;b&gt;Is&lt;/b&gt; All You Need · papertide</title>" in page


# --- admin ----------------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(moderator):
    return client_for(moderator)


def test_admin_lists_papers_and_opens_one(staff_client):
    ingest(read_snapshot(data_path(KAGGLE_HEAD)), "snapshot", "kaggle-head")
    response = staff_client.get("/admin/catalog/paper/")
    assert response.status_code == 200
    page = response.content.decode()
    # Newest first, as the site lists them, 100 to a page.
    newest = list(Paper.objects.newest().values_list("arxiv_id", flat=True))
    assert f">{newest[0]}</a>" in page and f">{newest[99]}</a>" in page and f">{newest[100]}</a>" not in page
    assert f">{newest[100]}</a>" in staff_client.get("/admin/catalog/paper/", {"p": "2"}).content.decode()
    search = staff_client.get("/admin/catalog/paper/", {"q": "0704.0002"}).content.decode()
    assert "Sparsity-certifying Graph Decompositions" in search
    assert "0704.0001" not in search
    paper = Paper.objects.get(arxiv_id="0704.0001")
    change = staff_client.get(f"/admin/catalog/paper/{paper.pk}/change/")
    assert change.status_code == 200
    assert "10.1103/PhysRevD.76.013009" in change.content.decode()


def test_admin_filters_papers_by_category_and_day(staff_client):
    ingest(read_snapshot(data_path(KAGGLE_HEAD)), "snapshot")
    page = staff_client.get("/admin/catalog/paper/", {"primary_category": "math.CO"}).content.decode()
    assert "0704.0002" in page and "0704.0001" not in page
    assert staff_client.get("/admin/catalog/paper/", {"listed_on__year": "2007"}).status_code == 200


def test_admin_shows_ingest_runs(staff_client):
    stats, run = ingest(read_snapshot(data_path(KAGGLE_HEAD)), "snapshot", "kaggle-head200.jsonl")
    response = staff_client.get("/admin/catalog/ingestrun/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "kaggle-head200.jsonl" in page and "snapshot" in page and ">200<" in page
    detail = staff_client.get(f"/admin/catalog/ingestrun/{run.pk}/change/")
    assert detail.status_code == 200


def test_admin_shows_imported_daily_entries(staff_client):
    ingest(
        read_hf_daily(
            data_path(
                "hf-daily-papers/deep-diver_paper-reviewer_api_excerpt/daily_papers_2024-10-25_first2entries.json"
            )
        ),
        "hf-daily",
    )
    response = staff_client.get("/admin/community/dailyentry/")
    assert response.status_code == 200
    assert "2410.17243" in response.content.decode()


def test_admin_is_closed_to_anonymous_readers(client):
    response = client.get("/admin/catalog/paper/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert IngestRun.objects.count() == 0


# --- query budget ---------------------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_page_query_count_does_not_grow_with_the_number_of_papers(client, settings):
    settings.PAPERTIDE_PAGE_SIZE = 50
    rows = listing_rows(60)
    import_listings(rows[:3])
    few = count_queries(client, "/")
    import_listings(rows[3:])
    counts.COUNTS.reset()
    many = count_queries(client, "/")
    assert few == many
    # a count for the pager, the page's ids, the state (community.changes), its rows and their code links
    assert many <= 5
    assert count_queries(client, "/") <= 2  # nothing changed: the state and the page's ids, rows kept


def test_kept_newest_page_shows_a_new_paper_at_once(client, settings):
    rows = listing_rows(4)
    import_listings(rows[:3])
    first = client.get("/").content.decode()
    import_listings(rows[3:])
    counts.COUNTS.reset()  # the pager's total is remembered a minute (catalog/counts.py)
    after = client.get("/").content.decode()
    assert first.count('<li class="paper"') == 3
    assert after.count('<li class="paper"') == 4


def test_list_page_counts_the_catalog_once_a_minute(client, settings, monkeypatch):
    # Counting a million papers took 450 ms: the pager's total is remembered per process for a minute.
    settings.PAPERTIDE_PAGE_SIZE = 10
    rows = listing_rows(30)
    import_listings(rows[:15])
    assert "Page 1 of 2" in client.get("/").content.decode()
    import_listings(rows[15:])
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/").content.decode()
    assert "Page 1 of 2" in page  # as counted a moment ago
    assert not [q for q in queries.captured_queries if "__count" in q["sql"]]  # Paginator's QuerySet.count()
    monkeypatch.setattr(counts.COUNTS, "ttl", 0.0)  # the minute is over
    assert "Page 1 of 3" in client.get("/").content.decode()


def test_list_page_stays_within_its_budget(client, settings, django_assert_max_num_queries):
    settings.PAPERTIDE_PAGE_SIZE = 25
    import_listings(listing_rows(60))
    with django_assert_max_num_queries(5):  # the count, the page's ids, the state, its rows, their code links
        client.get("/?page=2")


def test_paper_page_query_count_does_not_grow_with_versions_and_links(client, monkeypatch):
    from papertide.search.backends import sqlite

    monkeypatch.setattr(sqlite, "REFRESH_SECONDS", 0.0)  # the vector top-up query on every request
    ingest(read_snapshot(data_path(KAGGLE_HEAD)), "snapshot")
    import_listings([listing_row("2503.11892")])
    simple = count_queries(client, "/papers/0704.0003/")
    rich = count_queries(client, "/papers/2503.11892/")
    with_versions = count_queries(client, "/papers/0704.0001/")
    # paper, versions, code links (with their repositories), new vectors (similar papers; none are embedded
    # here, so the words of the title are searched instead: their counts, the match, the papers found),
    # daily days, comments, replies
    assert simple == rich == with_versions <= 10
