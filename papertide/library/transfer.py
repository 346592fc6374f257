"""Export a collection as BibTeX, RIS or CSL-JSON; import a BibTeX file (Zotero's, Mendeley's) into one.

Formats are written and read by maintained libraries: bibtexparser (BibTeX), rispy (RIS); CSL-JSON is
plain JSON in the shape of the CSL-JSON schema. Names are split into family and given by bibtexparser's
`splitname` (BibTeX's own rules), for RIS and CSL-JSON alike.

An import finds each entry's arXiv id (`find_arxiv_id`), takes the papers the catalog has, brings the others
from the arXiv API (its client, `ArxivAPI.lookup`: 100 ids a request, one request every
PAPERTIDE_ARXIV_DELAY seconds) through the one ingest path (`catalog.services.ingest`), adds them all to
the collection, and reports entry by entry.
"""

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import bibtexparser
import rispy
from bibtexparser.bibdatabase import BibDatabase, BibDataString
from bibtexparser.bparser import BibTexParser
from bibtexparser.bwriter import BibTexWriter
from bibtexparser.customization import InvalidName, splitname
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from papertide.catalog import text
from papertide.catalog.ids import URL_ID, ArxivId, InvalidArxivId, parse_arxiv_id
from papertide.catalog.models import Paper
from papertide.catalog.records import SourceError
from papertide.catalog.services import ingest
from papertide.catalog.sources.arxiv_api import ArxivAPI
from papertide.catalog.sources.http import PoliteClient

from .models import Collection, Entry

# The most papers one import fetches from arXiv: 3 requests, about 10 seconds, well inside a web worker's
# 30-second timeout. The rest are reported; importing the same file again fetches the next ones.
MAX_FETCH = 300
# Inside a web request arXiv gets one try per request, with a shorter wait than the harvests' (an import
# that failed is simply run again), so that an unreachable arXiv is reported before the worker times out.
FETCH_TIMEOUT = 10.0
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
FORMATS = {
    "bib": "application/x-bibtex; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "json": "application/vnd.citationstyles.csl+json; charset=utf-8",
}


# --- export ---------------------------------------------------------------------------------------------


def papers_of(collection: Collection) -> list[Paper]:
    """The collection's papers in its order (the latest added first)."""
    return [entry.paper for entry in Entry.objects.filter(collection=collection).select_related("paper")]


def doi_of(paper: Paper) -> str:
    """The paper's own DOI (the first, where arXiv lists several), else the DOI arXiv gives every paper."""
    own = paper.doi.split()
    return own[0] if own else f"10.48550/arXiv.{paper.arxiv_id}"


def date_of(paper: Paper) -> date | None:
    """When the paper appeared: its first version's day, else the day arXiv announced it."""
    return paper.published.date() if paper.published else paper.listed_on


def split_name(name: str) -> dict[str, str]:
    """A display name as CSL-JSON's family and given (BibTeX's rules: the last word is the family name,
    lower-case particles belong to it, "Family, Given" is read as written)."""
    try:
        parts = splitname(name, strict_mode=False)
    except InvalidName:
        return {"family": name}
    family = " ".join(parts["von"] + parts["last"])
    split = {"family": family or name}
    if parts["first"]:
        split["given"] = " ".join(parts["first"])
    if parts["jr"]:
        split["suffix"] = " ".join(parts["jr"])
    return split


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).lower())


def cite_keys(papers: list[Paper]) -> list[str]:
    """Keys as Zotero and Google Scholar make them: first author's family name, year, first title word
    ("vaswani2017attention"), with a, b, c... where two papers would share one."""
    keys: list[str] = []
    taken: dict[str, int] = {}
    for paper in papers:
        authors = paper.authors_display
        family = _ascii_word(split_name(authors[0])["family"]) if authors else ""
        day = date_of(paper)
        year = str(day.year) if day else ""
        words = [w for w in (_ascii_word(w) for w in paper.title_display.split()) if len(w) > 3]
        base = (family + year + (words[0] if words else "")) or _ascii_word(paper.arxiv_id)
        n = taken.get(base, 0)
        taken[base] = n + 1
        keys.append(base if n == 0 else f"{base}{chr(ord('a') + n - 1) if n <= 26 else n}")
    return keys


# TeX's special characters in the display text, escaped so that LaTeX and BibTeX read the text as written.
TEX_SPECIAL = re.compile(r"([\\{}&%$#_~^])")
TEX_ESCAPES = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex(text: str) -> str:
    return TEX_SPECIAL.sub(lambda m: TEX_ESCAPES.get(m[1], "\\" + m[1]), text)


def to_bibtex(papers: list[Paper], abstracts: bool = True) -> str:
    """@misc for a preprint, @article when the paper has a journal reference or a DOI of its own, with
    arXiv's eprint fields (biblatex's eprint, archivePrefix, primaryClass) and arXiv's DOI otherwise.
    Without `abstracts`, the entries leave the abstract out (a paper page's citation box: what is pasted
    into a .bib file, as arXiv's own export)."""
    database = BibDatabase()
    for paper, key in zip(papers, cite_keys(papers), strict=True):
        entry = {
            "ENTRYTYPE": "article" if paper.journal_ref or paper.doi else "misc",
            "ID": key,
            "title": tex(paper.title_display),
            "author": " and ".join(tex(_bibtex_name(name)) for name in paper.authors_display),
            "eprint": paper.arxiv_id,
            "archiveprefix": "arXiv",
            "url": f"https://arxiv.org/abs/{paper.arxiv_id}",
            "doi": doi_of(paper),
        }
        if paper.primary_category:
            entry["primaryclass"] = paper.primary_category
        if paper.journal_ref:
            entry["journal"] = tex(paper.journal_ref)
        day = date_of(paper)
        if day:
            entry["year"] = str(day.year)
            entry["month"] = BibDataString(database, MONTHS[day.month - 1])  # type: ignore[assignment]
        if paper.abstract and abstracts:
            entry["abstract"] = tex(paper.abstract_display)
        database.entries.append(entry)
    writer = BibTexWriter()
    writer.indent = "  "
    writer.order_entries_by = None  # the collection's order
    writer.display_order = ["title", "author", "year", "month", "eprint", "archiveprefix", "primaryclass"]
    written = bibtexparser.dumps(database, writer)
    # biblatex's and arXiv's own spelling of the two camel-case field names (BibTeX ignores case).
    return written.replace("  archiveprefix = ", "  archivePrefix = ").replace(
        "  primaryclass = ", "  primaryClass = "
    )


def _bibtex_name(name: str) -> str:
    """ "Family, Given": BibTeX then reads the name as the other formats split it, and a one-word name
    (a collaboration) as a family name."""
    parts = split_name(name)
    given = ", ".join(filter(None, [parts.get("suffix"), parts.get("given")]))
    return f"{parts['family']}, {given}" if given else parts["family"]


class RisWriter(rispy.RisWriter):
    """rispy's writer without the "1." line it puts before each record (Zotero and EndNote write none)."""

    def set_header(self, count: int) -> str:
        return ""


def _one_line(value: str) -> str:
    return re.sub(r"\s*\n\s*", " ", value)


def to_ris(papers: list[Paper]) -> str:
    """RIS: TY (JOUR with a journal reference or DOI, else UNPB: a preprint), AU per author as "Family,
    Given", TI, AB, PY, DA, UR, DO, and the arXiv id as AN (accession number) "arXiv:<id>"."""
    records = []
    for paper in papers:
        record: dict = {
            "type_of_reference": "JOUR" if paper.journal_ref or paper.doi else "UNPB",
            "authors": [_bibtex_name(name) for name in paper.authors_display],
            "title": _one_line(paper.title_display),
            "urls": [f"https://arxiv.org/abs/{paper.arxiv_id}"],
            "doi": doi_of(paper),
            "accession_number": f"arXiv:{paper.arxiv_id}",
            "publisher": "arXiv",
        }
        if paper.abstract:
            record["abstract"] = _one_line(paper.abstract_display)
        day = date_of(paper)
        if day:
            record["year"] = str(day.year)
            record["date"] = day.strftime("%Y/%m/%d")
        if paper.journal_ref:
            record["journal_name"] = paper.journal_ref
        if paper.categories:
            record["keywords"] = list(paper.categories)
        records.append(record)
    return rispy.dumps(records, implementation=RisWriter)


def to_csl_json(papers: list[Paper]) -> str:
    """CSL-JSON (the citation style language's data schema, read by Zotero, pandoc and citeproc)."""
    items = []
    for paper, key in zip(papers, cite_keys(papers), strict=True):
        item: dict = {
            "id": key,
            "type": "article",
            "title": paper.title_display,
            "author": [split_name(name) for name in paper.authors_display],
            "URL": f"https://arxiv.org/abs/{paper.arxiv_id}",
            "DOI": doi_of(paper),
            "number": paper.arxiv_id,
            "archive": "arXiv",
            "publisher": "arXiv",
        }
        day = date_of(paper)
        if day:
            item["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
        if paper.abstract:
            item["abstract"] = paper.abstract_display
        if paper.journal_ref:
            item["container-title"] = paper.journal_ref
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2)


WRITERS: dict[str, Callable[[list[Paper]], str]] = {"bib": to_bibtex, "ris": to_ris, "json": to_csl_json}


def export(collection: Collection, fmt: str) -> str:
    return WRITERS[fmt](papers_of(collection))


# --- import ---------------------------------------------------------------------------------------------


class ImportRefused(ValueError):
    """The file as a whole cannot be read (nothing is imported); the message says why."""


# Where an id stands in free text: an arxiv.org link, arXiv's DOI, "arXiv:<id>", or DBLP's "abs/<id>".
IN_URL = re.compile(rf"arxiv\.org/(?:abs|pdf|html)/{URL_ID}", re.IGNORECASE)
IN_DOI = re.compile(rf"10\.48550/arxiv\.{URL_ID}", re.IGNORECASE)
IN_TEXT = re.compile(rf"(?:arxiv:\s*|arxiv\s+|\babs/){URL_ID}", re.IGNORECASE)
ID_FIELDS = ("eprint", "arxivid", "url", "doi", "journal", "note", "howpublished", "volume")


def find_arxiv_id(entry: dict) -> tuple[ArxivId | None, str]:
    """The arXiv id a BibTeX entry names: in `eprint` (unless its archivePrefix/eprinttype is another
    archive) or Mendeley's `arxivId`, an arxiv.org or arXiv DOI link in `url`, arXiv's DOI
    10.48550/arXiv.<id> in `doi`, or "arXiv:<id>" / "abs/<id>" in `journal`, `note`, `howpublished`,
    `volume` (Zotero, Google Scholar, DBLP). Returns (id, "") or (None, why not)."""
    fields = {name.lower(): str(value) for name, value in entry.items() if isinstance(value, str)}
    archive = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").strip().lower()
    refused = ""
    for name in ID_FIELDS:
        value = fields.get(name, "").strip()
        if not value:
            continue
        if name in ("eprint", "arxivid"):
            if name == "eprint" and archive != "arxiv":
                continue
            candidates = [value]
        else:
            patterns = {"url": (IN_URL, IN_DOI), "doi": (IN_DOI,)}.get(name, (IN_TEXT,))
            candidates = [m["arxiv_id"] for pattern in patterns for m in pattern.finditer(value)]
        for candidate in candidates:
            try:
                return parse_arxiv_id(candidate), ""
            except InvalidArxivId as exc:
                refused = refused or f"{name}: {exc}"
    return None, refused or "no arXiv id in its eprint, url, doi or journal fields"


def _clean(value: str, limit: int = 300) -> str:
    """A field as the report shows it: its LaTeX as text, BibTeX's protecting braces gone."""
    return text.clean(value[: limit * 2]).replace("{", "").replace("}", "")[:limit]


# Where an entry starts in a BibTeX file ("@article{key,"), to tell the entries the parser skipped.
ENTRY_START = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(][ \t]*([^,\s]*)", re.MULTILINE)
NOT_ENTRIES = ("comment", "string", "preamble")


@dataclass
class Parsed:
    """A BibTeX file read: its entries, and (key, line) of each entry the parser could not read."""

    entries: list[dict]
    unreadable: list[tuple[str, int]]


def read_bibtex(data: bytes) -> Parsed:
    """The entries of a BibTeX file, or ImportRefused saying why none can be read."""
    if b"\x00" in data:
        raise ImportRefused("this is not a BibTeX file: it holds binary data")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"this file is not UTF-8 text (byte {exc.start}); export it as UTF-8") from None
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False, interpolate_strings=True)
    try:
        database = bibtexparser.loads(content, parser)
    except Exception as exc:  # a third-party parser on untrusted input: every failure is the file's
        raise ImportRefused(f"this BibTeX file cannot be read: {str(exc)[:200]}") from None
    # bibtexparser skips an entry it cannot read (no key, unbalanced braces) without a word: find them.
    read = Counter(entry.get("ID", "") for entry in database.entries)
    unreadable = []
    for match in ENTRY_START.finditer(content):
        if match[1].lower() in NOT_ENTRIES:
            continue
        if read[match[2]] > 0:
            read[match[2]] -= 1
        else:
            unreadable.append((match[2][:60], content.count("\n", 0, match.start()) + 1))
    if not database.entries:
        if unreadable:
            raise ImportRefused(
                f"no entry of this file can be read (the first starts on line {unreadable[0][1]})"
            )
        raise ImportRefused(
            "no BibTeX entries found in this file (an entry starts with @article{, @misc{...)"
        )
    return Parsed(database.entries, unreadable)


MATCHED, FETCHED, NOT_MATCHED = "matched", "fetched", "not matched"


@dataclass
class Line:
    """One entry of the file: its key and title, what became of it, and why when it was not matched."""

    key: str
    title: str
    status: str = NOT_MATCHED
    arxiv_id: str = ""
    reason: str = ""
    paper: Paper | None = None


@dataclass
class Report:
    collection: Collection
    lines: list[Line] = field(default_factory=list)
    added: int = 0
    arxiv_error: str = ""

    def count(self, status: str) -> int:
        return sum(line.status == status for line in self.lines)

    @property
    def matched(self) -> int:
        return self.count(MATCHED)

    @property
    def fetched(self) -> int:
        return self.count(FETCHED)

    @property
    def not_matched(self) -> int:
        return self.count(NOT_MATCHED)


def fetch_from_arxiv(ids: list[str]) -> tuple[set[str], str]:
    """Bring these papers from the arXiv API into the catalog through the one ingest path; the ids now in
    the catalog, and the error that stopped the look-up (empty when none did)."""
    if not ids:
        return set(), ""
    try:
        client = PoliteClient(retries=0, timeout=min(FETCH_TIMEOUT, settings.PAPERTIDE_HTTP_TIMEOUT))
        stats, _ = ingest(ArxivAPI(client=client).lookup(ids), "bibtex-import", "ids=" + ",".join(ids)[:480])
        error = stats.error_short or stats.error
    except SourceError as exc:  # ingest records a source's failure; this is in case a look-up raises early
        error = str(exc)
    return set(Paper.objects.filter(arxiv_id__in=ids).values_list("arxiv_id", flat=True)), error


def import_bibtex(collection: Collection, data: bytes) -> Report:
    """Add the papers of a BibTeX file to the collection: those in the catalog, then those arXiv has."""
    return import_entries(collection, read_bibtex(data))


def import_entries(collection: Collection, parsed: Parsed) -> Report:
    """Add the papers of a file's entries (read_bibtex) to the collection, and report on each."""
    report = Report(collection)
    for entry in parsed.entries:
        line = Line(key=str(entry.get("ID", ""))[:120], title=_clean(entry.get("title", "")))
        found, line.reason = find_arxiv_id(entry)
        if found is not None:
            line.arxiv_id = found.id
        report.lines.append(line)
    wanted = list(dict.fromkeys(line.arxiv_id for line in report.lines if line.arxiv_id))
    known = Paper.objects.in_bulk(wanted, field_name="arxiv_id")
    missing = [i for i in wanted if i not in known]
    fetched, report.arxiv_error = fetch_from_arxiv(missing[:MAX_FETCH])
    later = set(missing[MAX_FETCH:])
    if fetched:
        known.update(Paper.objects.in_bulk(list(fetched), field_name="arxiv_id"))
    for line in report.lines:
        if not line.arxiv_id:
            continue
        line.paper = known.get(line.arxiv_id)
        if line.paper is None and line.arxiv_id in later:
            line.reason = (
                f"not fetched: at most {MAX_FETCH} papers are fetched at once; import the file again"
            )
        elif line.paper is None:
            line.reason = (
                f"arXiv could not be asked: {report.arxiv_error}"
                if report.arxiv_error
                else f"arXiv does not know {line.arxiv_id}"
            )
        else:
            line.status = FETCHED if line.arxiv_id in fetched else MATCHED
    for key, line_number in parsed.unreadable:
        reason = f"this entry (line {line_number}) cannot be read: check its key and its braces"
        report.lines.append(Line(key=key or f"line {line_number}", title="", reason=reason))
    report.added = add_papers(collection, [line.paper for line in report.lines if line.paper is not None])
    return report


def add_papers(collection: Collection, papers: list[Paper]) -> int:
    """Add papers to the collection in the given order (the first shown first); how many were new to it."""
    ordered = list({paper.pk: paper for paper in papers}.values())
    if not ordered:
        return 0
    now = timezone.now()
    with transaction.atomic():
        before = Entry.objects.filter(collection=collection).count()
        Entry.objects.bulk_create(
            [
                Entry(collection=collection, paper=paper, added_at=now - timedelta(microseconds=n))
                for n, paper in enumerate(ordered)
            ],
            ignore_conflicts=True,
        )
        added = Entry.objects.filter(collection=collection).count() - before
    if added:
        collection.touch()
    return added
