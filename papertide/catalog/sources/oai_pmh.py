"""OAI-PMH harvesting of arXiv (ListRecords, metadataPrefix=arXiv).

The resumptionToken chain is followed to its end. After each page a Checkpoint carries the next token;
ingest() saves it with that page's records, in one transaction, so a harvest stopped at any point
continues with the first page not yet stored.
"""

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from django.conf import settings

from ..ids import InvalidArxivId, parse_arxiv_id
from ..records import Checkpoint, PaperRecord, RejectedRecord, SourceError
from .atom import UNREADABLE
from .http import PoliteClient

OAI = "{http://www.openarchives.org/OAI/2.0/}"


def _local(tag: str) -> str:
    # Harvesters that re-serialise arXiv's records drop the inner namespace; match on local names.
    return tag.rsplit("}", 1)[-1]


def harvest_params(set_spec: str | None, since: date | None, until: date | None) -> dict:
    params = {"verb": "ListRecords", "metadataPrefix": "arXiv"}
    if set_spec:
        params["set"] = set_spec
    if since:
        params["from"] = since.isoformat()
    if until:
        params["until"] = until.isoformat()
    return params


class OAIHarvester:
    def __init__(self, base_url: str | None = None, client: PoliteClient | None = None):
        self.base_url = base_url or settings.PAPERTIDE_OAI_URL
        self.client = client or PoliteClient()

    def harvest(self, params: dict, resume_token: str = "", cursor: int = 0) -> Iterator:
        """Yield records, rejections and a Checkpoint after every page, to the end of the chain."""
        token = resume_token
        while True:
            query = {"verb": "ListRecords", "resumptionToken": token} if token else params
            url = f"{self.base_url}?{urlencode(query)}"
            body = self.client.get(url).body
            page = PageInfo()
            yield from parse_list_records(body, page)
            if page.error_code == "noRecordsMatch":
                yield Checkpoint("", cursor, 0)
                return
            if page.error_code == "badResumptionToken" and token:
                raise SourceError(
                    f"OAI-PMH error badResumptionToken: {page.error_text} for {url}; the token has expired, "
                    "run again with --restart to harvest from the beginning"
                )
            if page.error_code:
                raise SourceError(f"OAI-PMH error {page.error_code}: {page.error_text} for {url}")
            if page.truncated:
                raise SourceError(f"OAI-PMH response for {url}: {page.truncated}; rerun to fetch it again")
            cursor += page.records
            if not page.token:
                yield Checkpoint("", cursor, page.total)
                return
            token = page.token
            yield Checkpoint(token, cursor, page.total)


class PageInfo:
    def __init__(self):
        self.records = 0
        self.token = ""
        self.total: int | None = None
        self.error_code = ""
        self.error_text = ""
        self.truncated = ""


def parse_list_records(body: bytes, page: PageInfo) -> Iterator[PaperRecord | RejectedRecord]:
    """Stream the records of one ListRecords page. A page cut short keeps the records before the cut."""
    try:
        for _, element in ET.iterparse(io.BytesIO(body), events=("end",)):
            tag = _local(element.tag)
            if tag == "record":
                page.records += 1
                yield record_to_paper(element)
                element.clear()
            elif tag == "resumptionToken":
                page.token = (element.text or "").strip()
                page.total = _count(element.get("completeListSize"))
            elif tag == "error" and element.tag.startswith(OAI):
                page.error_code = element.get("code", "error")
                page.error_text = (element.text or "").strip()
    except UNREADABLE as exc:
        page.truncated = f"unreadable XML after {page.records} records ({exc})"


def _count(text: str | None) -> int | None:
    # isdigit() alone lets "²" through, and int() refuses numbers of over 4,300 digits: both raised.
    if not text or not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _find(parent: ET.Element, name: str) -> ET.Element | None:
    for child in parent:
        if _local(child.tag) == name:
            return child
    return None


def _day(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)


def record_to_paper(record: ET.Element) -> PaperRecord | RejectedRecord:
    header = _find(record, "header")
    identifier = _text(_find(header, "identifier")) if header is not None else None
    if header is not None and header.get("status") == "deleted":
        return RejectedRecord("deleted from arXiv (OAI-PMH deleted record)", identifier)
    metadata = _find(record, "metadata")
    arxiv = _find(metadata, "arXiv") if metadata is not None else None
    if arxiv is None:
        return RejectedRecord("the record has no arXiv metadata", identifier)
    fields = {_local(child.tag): child for child in arxiv}
    raw_id = _text(fields.get("id")) or ""
    try:
        arxiv_id = parse_arxiv_id(raw_id).id
        created = _day(_text(fields.get("created")))
        updated = _day(_text(fields.get("updated")))
    except (InvalidArxivId, ValueError) as exc:
        return RejectedRecord(str(exc), raw_id or identifier)
    authors = []
    if "authors" in fields:
        for author in fields["authors"]:
            parts = {_local(c.tag): _text(c) for c in author}
            name = " ".join(
                p for p in (parts.get("forenames"), parts.get("keyname"), parts.get("suffix")) if p
            )
            if name:
                authors.append(name)
    categories = _text(fields.get("categories"))
    return PaperRecord(
        arxiv_id=arxiv_id,
        source="oai-pmh",
        title=_text(fields.get("title")),
        abstract=_text(fields.get("abstract")),
        authors=authors or None,
        categories=categories.split() if categories else None,
        comments=_text(fields.get("comments")),
        journal_ref=_text(fields.get("journal-ref")),
        doi=_text(fields.get("doi")),
        report_no=_text(fields.get("report-no")),
        license=_text(fields.get("license")),
        published=created,
        updated=updated or created,
        versions={1: created} if created else {},
    )
