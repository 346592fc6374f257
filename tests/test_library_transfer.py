"""Export (BibTeX, RIS, CSL-JSON) and BibTeX import of collections, on real papers.

The catalog holds real listing papers (tests/search_data.py). The BibTeX files are written with
bibtexparser as Zotero, Better BibTeX, Google Scholar and a publisher write them, from real records: the
listing papers, the arXiv API recordings (papers the catalog lacks, fetched through the local ReplayServer
replaying arXiv's real answers) and the Kaggle snapshot (a journal article cited without its arXiv id).
"""

import json
from itertools import islice

import bibtexparser
import pytest
import rispy
from bibtexparser.bibdatabase import BibDatabase, BibDataString
from bibtexparser.bwriter import BibTexWriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from papertide.catalog.models import IngestRun, Paper
from papertide.catalog.sources import arxiv_api
from papertide.catalog.sources.atom import FeedInfo, parse_feed
from papertide.library import transfer
from papertide.library.models import Collection, Entry
from tests.conftest import data_path
from tests.personas import client_for
from tests.replay import ReplayServer
from tests.search_data import import_sample
from tests.test_source_arxiv_api import API_PATH, ID_IGNORE, recording, serve

pytestmark = pytest.mark.django_db

# The recorded arXiv API answers for papers the listing sample does not hold: a new-style and an old-style id.
FETCHED = {"1605.08386": "id_1605.08386_", "astro-ph/0601001": "id_astro-ph_0601001_"}
# arXiv's real answer to a request for 0808.05394 is empty (the recording id_0808.05394_): an id in the form
# of one that no paper has (five digits before 1501), known neither to arXiv nor to the catalog.
UNKNOWN = "0808.05394"
MONTHS = transfer.MONTHS


@pytest.fixture(scope="module")
def _replay():
    with ReplayServer(ignore_params=ID_IGNORE) as server:
        yield server


@pytest.fixture
def arxiv(_replay, settings, monkeypatch):
    """The arXiv API replayed from its recordings, one id a request (each request one that was recorded)."""
    _replay.routes.clear()
    _replay.log.clear()
    settings.PAPERTIDE_ARXIV_API_URL = _replay.url + API_PATH
    settings.PAPERTIDE_HTTP_RETRIES = 1
    monkeypatch.setattr(arxiv_api, "MAX_IDS_PER_REQUEST", 1)
    serve(_replay, *FETCHED.values())
    return _replay


@pytest.fixture
def catalog() -> list[Paper]:
    return import_sample(8, embed=False)


def recorded(prefix: str):
    [record] = parse_feed(recording(prefix)["raw"], FeedInfo())
    return record


def kaggle_article() -> dict:
    """The first Kaggle snapshot record (0704.0001, published in Phys. Rev. D), for a citation of the
    journal article that does not mention arXiv."""
    with data_path("arxiv/kaggle-snapshot-head200.jsonl").open() as f:
        [line] = islice(f, 1)
    return json.loads(line)


def bibtex_names(authors: list[str]) -> str:
    return " and ".join(transfer._bibtex_name(name) for name in authors)


def zotero_file(papers: list[Paper]) -> bytes:
    """A BibTeX export as Zotero (with and without Better BibTeX), Google Scholar and a publisher write
    it, each citing one real paper in one of the ways an arXiv id appears in the wild."""
    db = BibDatabase()
    p = papers

    def base(paper: Paper, key: str, kind: str = "misc") -> dict:
        return {
            "ENTRYTYPE": kind,
            "ID": key,
            "title": paper.title,
            "author": bibtex_names(paper.authors_display),
            "abstract": paper.abstract,
            "urldate": "2026-07-02",
            "year": str(paper.listed_on.year),
            "month": BibDataString(db, MONTHS[paper.listed_on.month - 1]),
            "keywords": ", ".join(paper.categories),
        }

    db.entries = [
        # Better BibTeX: the eprint fields.
        {
            **base(p[0], "bbt_eprint"),
            "eprint": p[0].arxiv_id,
            "archiveprefix": "arXiv",
            "primaryclass": p[0].primary_category,
            "url": f"http://arxiv.org/abs/{p[0].arxiv_id}",
            "doi": f"10.48550/arXiv.{p[0].arxiv_id}",
            "note": f"arXiv:{p[0].arxiv_id} [{p[0].primary_category.split('.')[0]}]",
        },
        # Zotero saving the PDF link only.
        {**base(p[1], "zotero_pdf_url"), "url": f"https://arxiv.org/pdf/{p[1].arxiv_id}v1"},
        # DataCite's DOI, as doi.org writes it (upper case).
        {**base(p[2], "datacite_doi"), "doi": f"10.48550/ARXIV.{p[2].arxiv_id}", "publisher": "arXiv"},
        # Google Scholar.
        {**base(p[3], "scholar_journal", "article"), "journal": f"arXiv preprint arXiv:{p[3].arxiv_id}"},
        # Zotero's own note field.
        {**base(p[4], "zotero_note"), "note": f"arXiv:{p[4].arxiv_id} [cs]", "publisher": "arXiv"},
    ]
    new_style, old_style = recorded(FETCHED["1605.08386"]), recorded(FETCHED["astro-ph/0601001"])
    db.entries += [
        {
            "ENTRYTYPE": "misc",
            "ID": "stanley_heat-bath_2016",
            "title": new_style.title,
            "author": bibtex_names(new_style.authors),
            "year": "2016",
            "eprint": "1605.08386",
            "archiveprefix": "arXiv",
            "primaryclass": "math.CO",
        },
        {
            "ENTRYTYPE": "article",
            "ID": "gould_frequency_2006",
            "title": old_style.title,
            "author": bibtex_names(old_style.authors),
            "journal": "Acta Astronomica",
            "year": "2006",
            "url": "http://arxiv.org/abs/astro-ph/0601001v1",
        },
    ]
    article = kaggle_article()
    db.entries += [
        {
            "ENTRYTYPE": "article",
            "ID": "balazs_calculation_2007",
            "title": article["title"],
            "author": article["authors"].replace(", ", " and "),
            "journal": "Physical Review D",
            "volume": "76",
            "pages": "013009",
            "year": "2007",
            "doi": article["doi"],
        },
        {"ENTRYTYPE": "misc", "ID": "unknown_eprint", "eprint": UNKNOWN, "archiveprefix": "arXiv"},
    ]
    writer = BibTexWriter()
    writer.indent = "\t"
    writer.order_entries_by = None
    return bibtexparser.dumps(db, writer).encode()


def statuses(report: transfer.Report) -> dict[str, tuple[str, str]]:
    return {line.key: (line.status, line.arxiv_id) for line in report.lines}


# --- finding the arXiv id -------------------------------------------------------------------------------


def test_an_entry_names_its_arxiv_id_in_eprint_url_doi_journal_or_note(catalog):
    entries = bibtexparser.loads(zotero_file(catalog).decode()).entries
    found = {e["ID"]: transfer.find_arxiv_id(e) for e in entries}

    assert [found[key][0].id for key in ("bbt_eprint", "zotero_pdf_url", "datacite_doi")] == [
        p.arxiv_id for p in catalog[:3]
    ]
    assert found["scholar_journal"][0].id == catalog[3].arxiv_id
    assert found["zotero_note"][0].id == catalog[4].arxiv_id
    assert found["gould_frequency_2006"][0].id == "astro-ph/0601001"  # old style, versioned link
    assert found["balazs_calculation_2007"] == (None, "no arXiv id in its eprint, url, doi or journal fields")
    none, why = found["unknown_eprint"]
    assert none is None and "0808.05394" in why and "5-digit numbers start in 1501" in why


@pytest.mark.parametrize(
    ("fields", "arxiv_id"),
    [
        ({"arxivid": "1605.08386"}, "1605.08386"),  # Mendeley
        ({"journal": "CoRR", "volume": "abs/1707.08567"}, "1707.08567"),  # DBLP without its eprint
        ({"eprint": "arXiv:2104.12255v1"}, "2104.12255"),
        ({"eprint": "quant-ph/0201082v1", "archivePrefix": "arXiv"}, "quant-ph/0201082"),
        ({"howpublished": "\\url{http://arxiv.org/abs/astro-ph/0601001}"}, "astro-ph/0601001"),
        ({"url": "https://doi.org/10.48550/arXiv.1605.08386"}, "1605.08386"),
        ({"doi": "10.48550/arXiv.astro-ph/0601001"}, "astro-ph/0601001"),
    ],
    ids=["mendeley", "dblp", "prefixed", "old-style", "howpublished", "doi-in-url", "old-style-doi"],
)
def test_every_form_of_an_arxiv_id_in_an_entry_is_found(fields, arxiv_id):
    found, _ = transfer.find_arxiv_id(fields)
    assert (found.id if found else None) == arxiv_id


def test_an_eprint_of_another_archive_is_not_taken_for_an_arxiv_id():
    assert transfer.find_arxiv_id({"eprint": "1605.08386", "eprinttype": "pubmed"})[0] is None
    assert transfer.find_arxiv_id({"eprint": "1605.08386", "eprinttype": "arxiv"})[0].id == "1605.08386"


# --- import -----------------------------------------------------------------------------------------------


def test_import_adds_the_catalogs_papers_fetches_the_missing_ones_and_reports_the_rest(
    catalog, arxiv, reader
):
    collection = Collection.create(reader, "From Zotero")

    report = transfer.import_bibtex(collection, zotero_file(catalog))

    found = statuses(report)
    assert [found[k] for k in ("bbt_eprint", "zotero_pdf_url", "datacite_doi", "scholar_journal")] == [
        ("matched", p.arxiv_id) for p in catalog[:4]
    ]
    assert found["zotero_note"] == ("matched", catalog[4].arxiv_id)
    assert found["stanley_heat-bath_2016"] == ("fetched", "1605.08386")
    assert found["gould_frequency_2006"] == ("fetched", "astro-ph/0601001")
    assert found["balazs_calculation_2007"] == ("not matched", "")
    assert found["unknown_eprint"] == ("not matched", "")
    assert (report.matched, report.fetched, report.not_matched, report.added) == (5, 2, 2, 7)
    # arXiv was asked for the two missing papers only, one recorded request each, never for 0808.05394.
    assert [q["id_list"] for q in arxiv.queries()] == ["1605.08386", "astro-ph/0601001"]
    assert IngestRun.objects.get(source="bibtex-import").new == 2
    fetched = Paper.objects.get(arxiv_id="1605.08386")
    assert (fetched.title, fetched.authors) == (
        "Heat-bath random walks with Markov bases",
        ["Caprice Stanley", "Tobias Windisch"],
    )
    # The collection holds them in the file's order, the first entry first.
    expected = [p.arxiv_id for p in catalog[:5]] + ["1605.08386", "astro-ph/0601001"]
    assert [p.arxiv_id for p in transfer.papers_of(collection)] == expected


def test_importing_the_same_file_again_adds_nothing_and_asks_arxiv_nothing(catalog, arxiv, reader):
    collection = Collection.create(reader, "Twice")
    transfer.import_bibtex(collection, zotero_file(catalog))
    arxiv.log.clear()

    again = transfer.import_bibtex(collection, zotero_file(catalog))

    assert (again.matched, again.fetched, again.added) == (7, 0, 0)
    assert arxiv.log == []
    assert collection.entries.count() == 7


def test_one_import_fetches_at_most_max_fetch_papers_and_the_next_import_the_rest(arxiv, reader, monkeypatch):
    monkeypatch.setattr(transfer, "MAX_FETCH", 1)
    data = b"@misc{a, eprint = {1605.08386}}\n@misc{b, url = {http://arxiv.org/abs/astro-ph/0601001}}\n"
    collection = Collection.create(reader, "In two goes")

    first = transfer.import_bibtex(collection, data)
    second = transfer.import_bibtex(collection, data)

    assert statuses(first) == {"a": ("fetched", "1605.08386"), "b": ("not matched", "astro-ph/0601001")}
    assert first.lines[1].reason == "not fetched: at most 1 papers are fetched at once; import the file again"
    assert statuses(second) == {"a": ("matched", "1605.08386"), "b": ("fetched", "astro-ph/0601001")}
    assert [q["id_list"] for q in arxiv.queries()] == ["1605.08386", "astro-ph/0601001"]
    assert collection.entries.count() == 2


def test_a_paper_arxiv_cannot_be_asked_about_is_reported_and_the_rest_lands(catalog, arxiv, reader):
    # 1707.08567 is a real paper, but no recording answers a request for it alone here: HTTP 404.
    arxiv.routes.clear()
    data = (
        "@misc{immink_aew10_2017, title = {Proceedings of Workshop AEW10}, eprint = {1707.08567},"
        " archivePrefix = {arXiv}}\n"
        f"@misc{{listed, title = {{{catalog[0].title}}}, eprint = {{{catalog[0].arxiv_id}}}}}\n"
    ).encode()
    collection = Collection.create(reader, "Offline")

    report = transfer.import_bibtex(collection, data)

    assert statuses(report) == {
        "immink_aew10_2017": ("not matched", "1707.08567"),
        "listed": ("matched", catalog[0].arxiv_id),
    }
    assert report.lines[0].reason.startswith("arXiv could not be asked:") and "404" in report.lines[0].reason
    assert [p.arxiv_id for p in transfer.papers_of(collection)] == [catalog[0].arxiv_id]


def test_an_entry_the_parser_cannot_read_is_reported_and_the_rest_lands(catalog, reader):
    first, second = catalog[:2]
    data = (
        f"@misc{{first, eprint = {{{first.arxiv_id}}}, archivePrefix = {{arXiv}}}}\n"
        f"@misc{{title = {{A key is missing}}, eprint = {{{catalog[2].arxiv_id}}}}}\n"
        f"@misc{{second, url = {{https://arxiv.org/abs/{second.arxiv_id}}}}}\n"
    ).encode()
    collection = Collection.create(reader, "Partly broken")

    report = transfer.import_bibtex(collection, data)

    assert statuses(report) == {
        "first": ("matched", first.arxiv_id),
        "second": ("matched", second.arxiv_id),
        "title": ("not matched", ""),
    }
    assert report.lines[-1].reason == "this entry (line 2) cannot be read: check its key and its braces"
    assert [p.arxiv_id for p in transfer.papers_of(collection)] == [first.arxiv_id, second.arxiv_id]


def test_the_import_page_reads_the_upload_into_a_new_collection_and_shows_the_report(catalog, arxiv, reader):
    upload = SimpleUploadedFile("My Library.bib", zotero_file(catalog), content_type="application/x-bibtex")

    response = client_for(reader).post(reverse("library-import"), {"file": upload, "name": "From Zotero"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "9 entries: 5 matched in the catalog, 2 fetched from arXiv, 2 not matched" in page
    assert "balazs_calculation_2007" in page and "no arXiv id in its eprint" in page
    assert "Heat-bath random walks with Markov bases" in page
    collection = Collection.objects.get(owner=reader, name="From Zotero")
    assert collection.entries.count() == 7


def test_the_import_page_can_fill_the_reading_list(catalog, reader):
    data = f"@misc{{one, eprint = {{{catalog[0].arxiv_id}}}, archivePrefix = {{arXiv}}}}".encode()
    upload = SimpleUploadedFile("one.bib", data)

    response = client_for(reader).post(
        reverse("library-import"), {"file": upload, "collection": "reading-list"}
    )

    assert response.status_code == 200
    assert [p.arxiv_id for p in transfer.papers_of(Collection.reading_list(reader))] == [catalog[0].arxiv_id]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "holds binary data"),
        ("@misc{x, title = {Caf\u00e9}}".encode("latin-1"), "not UTF-8 text"),
        (b"These are my notes, not a bibliography.", "no BibTeX entries found"),
        (b"@article{title = {no key}, year = {2025}}", "no entry of this file can be read"),
    ],
    ids=["binary", "latin-1", "no-entries", "no-readable-entry"],
)
def test_a_file_that_is_not_bibtex_is_a_400_with_the_reason_and_makes_no_collection(reader, content, message):
    upload = SimpleUploadedFile("notes.bib", content)

    response = client_for(reader).post(reverse("library-import"), {"file": upload, "name": "Broken"})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Collection.objects.filter(owner=reader, name="Broken").exists()


def test_a_file_over_the_size_limit_is_a_413_and_nothing_is_imported(catalog, reader, settings):
    settings.PAPERTIDE_BIBTEX_MAX_BYTES = 2048
    data = zotero_file(catalog)
    assert len(data) > 2048

    response = client_for(reader).post(
        reverse("library-import"), {"file": SimpleUploadedFile("big.bib", data), "name": "Big"}
    )

    assert response.status_code == 413
    assert f"This file has {len(data):,} bytes; at most 2,048" in response.content.decode()
    assert not Collection.objects.filter(owner=reader, name="Big").exists()


def test_the_import_form_asks_for_a_collection_and_a_file(reader):
    response = client_for(reader).post(reverse("library-import"), {})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_the_import_page_needs_a_log_in_and_the_csrf_token(reader):
    anonymous = Client().get(reverse("library-import"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    checked = Client(enforce_csrf_checks=True)
    checked.force_login(reader)
    forged = checked.post(reverse("library-import"), {"file": SimpleUploadedFile("a.bib", b"@misc{a,}")})
    assert forged.status_code == 403


# --- export -----------------------------------------------------------------------------------------------


@pytest.fixture
def shelf(catalog, arxiv, reader) -> Collection:
    """A collection of five listing papers and the two fetched from arXiv (one with a journal reference)."""
    collection = Collection.create(reader, "Shelf")
    transfer.import_bibtex(collection, zotero_file(catalog))
    return collection


def test_bibtex_export_has_authors_in_order_and_the_arxiv_eprint_fields(shelf, reader):
    response = client_for(reader).get(reverse("library-export", args=[shelf.slug, "bib"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="shelf.bib"'
    text = response.content.decode()
    assert "archivePrefix = {arXiv}" in text and "primaryClass = {" in text
    entries = {e["eprint"]: e for e in bibtexparser.loads(text).entries}
    papers = transfer.papers_of(shelf)
    assert list(entries) == [p.arxiv_id for p in papers]
    listed = papers[0]
    entry = entries[listed.arxiv_id]
    assert entry["ENTRYTYPE"] == "misc"
    assert entry["doi"] == f"10.48550/arXiv.{listed.arxiv_id}"
    assert entry["url"] == f"https://arxiv.org/abs/{listed.arxiv_id}"
    assert entry["primaryclass"] == listed.primary_category
    # The month as BibTeX's macro (month = mar,), which a reader expands to the month's name.
    assert f"month = {MONTHS[listed.listed_on.month - 1]},\n" in text
    assert (entry["year"], entry["month"]) == (str(listed.listed_on.year), listed.listed_on.strftime("%B"))
    authors = [bibtexparser.customization.splitname(a) for a in entry["author"].split(" and ")]
    assert [" ".join(a["last"]) for a in authors] == [
        transfer.split_name(name)["family"] for name in listed.authors_display
    ]
    gould = entries["astro-ph/0601001"]
    assert gould["ENTRYTYPE"] == "article"  # it has a journal reference
    assert gould["journal"] == "ActaAstron.56:1-50,2006"
    assert gould["author"].startswith("Gould, Andrew and Dorsher, Susan and Gaudi, B. Scott")
    assert (gould["year"], gould["month"]) == ("2006", "January")


def test_export_then_import_into_a_new_collection_gives_the_same_papers(shelf, reader, arxiv):
    exported = transfer.export(shelf, "bib").encode()
    arxiv.log.clear()
    copy = Collection.create(reader, "Copy")

    report = transfer.import_bibtex(copy, exported)

    assert report.not_matched == 0 and report.fetched == 0
    assert [p.arxiv_id for p in transfer.papers_of(copy)] == [p.arxiv_id for p in transfer.papers_of(shelf)]
    assert arxiv.log == []


def test_ris_export_reads_back_with_rispy(shelf, reader):
    response = client_for(reader).get(reverse("library-export", args=[shelf.slug, "ris"]))

    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    records = rispy.loads(response.content.decode())
    papers = transfer.papers_of(shelf)
    assert [r["accession_number"] for r in records] == [f"arXiv:{p.arxiv_id}" for p in papers]
    first = records[0]
    assert first["type_of_reference"] == "UNPB"
    assert first["title"] == papers[0].title_display
    assert first["authors"] == [transfer._bibtex_name(n) for n in papers[0].authors_display]
    assert first["doi"] == f"10.48550/arXiv.{papers[0].arxiv_id}"
    assert first["urls"] == [f"https://arxiv.org/abs/{papers[0].arxiv_id}"]
    assert first["year"] == str(papers[0].listed_on.year)
    assert first["abstract"] == transfer._one_line(papers[0].abstract_display)
    assert response.content.decode().startswith("TY  - UNPB\n")  # no "1." line before the record
    gould = records[-1]
    assert gould["type_of_reference"] == "JOUR"
    assert gould["authors"][:3] == ["Gould, Andrew", "Dorsher, Susan", "Gaudi, B. Scott"]


def test_csl_json_export_lists_authors_in_order_as_family_and_given(shelf, reader):
    response = client_for(reader).get(reverse("library-export", args=[shelf.slug, "json"]))

    assert response["Content-Type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
    items = json.loads(response.content)
    papers = transfer.papers_of(shelf)
    by_number = {item["number"]: item for item in items}
    assert [item["number"] for item in items] == [p.arxiv_id for p in papers]
    stanley = by_number["1605.08386"]
    assert stanley["type"] == "article" and stanley["archive"] == "arXiv"
    assert stanley["author"] == [
        {"family": "Stanley", "given": "Caprice"},
        {"family": "Windisch", "given": "Tobias"},
    ]
    assert stanley["issued"] == {"date-parts": [[2016, 5, 26]]}
    assert stanley["DOI"] == "10.48550/arXiv.1605.08386"
    assert stanley["URL"] == "https://arxiv.org/abs/1605.08386"
    for item, paper in zip(items, papers, strict=True):
        assert [a["family"] for a in item["author"]] == [
            transfer.split_name(name)["family"] for name in paper.authors_display
        ]
        assert [a["family"] for a in item["author"]][-1] in paper.authors_display[-1]


def test_someone_elses_private_collection_is_a_404_and_a_public_one_is_for_anyone(shelf, reader, outsider):
    mine = reverse("library-export", args=[shelf.slug, "bib"])
    public = reverse("library-export-public", args=[reader.username, shelf.slug, "ris"])

    assert client_for(outsider).get(mine).status_code == 404  # it looks among the outsider's own
    assert client_for(outsider).get(public).status_code == 404
    assert Client().get(public).status_code == 404
    assert client_for(reader).get(public).status_code == 200  # its owner may

    Collection.objects.filter(pk=shelf.pk).update(public=True)

    response = Client().get(public)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="shelf.ris"'
    assert len(rispy.loads(response.content.decode())) == 7
    assert Client().get(mine).status_code == 302  # the owner's own address wants a log-in


def test_an_empty_reading_list_exports_as_an_empty_file(reader):
    response = client_for(reader).get(reverse("library-export", args=["reading-list", "json"]))

    assert response.status_code == 200
    assert json.loads(response.content) == []
    assert Entry.objects.count() == 0
