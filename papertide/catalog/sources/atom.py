"""Parsing of arXiv API Atom feeds into PaperRecords, streamed so a truncated feed keeps what came before."""

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from ..ids import InvalidArxivId, parse_arxiv_id
from ..records import PaperRecord, RejectedRecord

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


# What expat raises for a document it cannot read: malformed XML (ParseError), a declared encoding it does
# not know (LookupError: encoding="bogus") or cannot stream (ValueError: "multi-byte encodings are not
# supported", encoding="utf-16").
UNREADABLE = (ET.ParseError, LookupError, ValueError)


class ArxivAPIError(ValueError):
    """The API answered with its error feed (e.g. "incorrect id format for abc")."""


@dataclass
class FeedInfo:
    total: int | None = None
    start: int | None = None
    per_page: int | None = None
    entries: int = 0
    truncated: str = ""


def parse_feed(body: bytes, info: FeedInfo) -> Iterator[PaperRecord | RejectedRecord]:
    """Yield one item per entry; fill ``info`` with the feed's paging numbers as they are read."""
    try:
        for _, element in ET.iterparse(io.BytesIO(body), events=("end",)):
            tag = element.tag
            if tag == f"{OPENSEARCH}totalResults":
                info.total = _int(element.text)
            elif tag == f"{OPENSEARCH}startIndex":
                info.start = _int(element.text)
            elif tag == f"{OPENSEARCH}itemsPerPage":
                info.per_page = _int(element.text)
            elif tag == f"{ATOM}entry":
                info.entries += 1
                yield entry_to_record(element)
                element.clear()
    except ArxivAPIError:
        raise
    except UNREADABLE as exc:
        info.truncated = f"unreadable XML after {info.entries} entries ({exc})"


def _int(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def _time(text: str | None) -> datetime | None:
    if not text or not text.strip():
        return None
    when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # arXiv's times are UTC


def _child_text(entry: ET.Element, tag: str) -> str | None:
    element = entry.find(tag)
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def entry_to_record(entry: ET.Element) -> PaperRecord | RejectedRecord:
    raw_id = _child_text(entry, f"{ATOM}id") or ""
    if "/api/errors" in raw_id:
        raise ArxivAPIError(_child_text(entry, f"{ATOM}summary") or raw_id)
    try:
        parsed = parse_arxiv_id(raw_id.replace("http://", "https://"))
        published = _time(_child_text(entry, f"{ATOM}published"))
        updated = _time(_child_text(entry, f"{ATOM}updated"))
    except (InvalidArxivId, ValueError) as exc:
        return RejectedRecord(f"entry {raw_id[:80]!r}: {exc}", raw_id[:80])
    categories = [c.get("term") for c in entry.findall(f"{ATOM}category") if c.get("term")]
    primary = entry.find(f"{ARXIV}primary_category")
    if primary is not None and primary.get("term"):
        term = primary.get("term")
        categories = [term] + [c for c in categories if c != term]
    versions = {1: published}
    if parsed.version:
        versions[parsed.version] = updated if parsed.version > 1 else published
    return PaperRecord(
        arxiv_id=parsed.id,
        source="arxiv-api",
        version=parsed.version,
        # The API strips leading indentation but keeps arXiv's hard line breaks; both are joined on display.
        title=_child_text(entry, f"{ATOM}title"),
        abstract=_child_text(entry, f"{ATOM}summary"),
        authors=[
            n.text.strip() for n in entry.findall(f"{ATOM}author/{ATOM}name") if n.text and n.text.strip()
        ],
        categories=[c for c in categories if c] or None,
        comments=_child_text(entry, f"{ARXIV}comment"),
        journal_ref=_child_text(entry, f"{ARXIV}journal_ref"),
        doi=_child_text(entry, f"{ARXIV}doi"),
        published=published,
        updated=updated,
        versions=versions if parsed.version else {},
    )
