"""JSONL snapshot files: Kaggle's arxiv-metadata-oai-snapshot and the daily-listing format.

Both are read line by line (gzip or plain, detected from the file's first bytes), so memory stays
constant whatever the file's size. Each line's format is recognised from its keys.
"""

import gzip
import json
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from ..records import CATEGORY, PaperRecord, RejectedRecord

GZIP_MAGIC = b"\x1f\x8b"
# What json.loads raises for text it cannot read: JSONDecodeError, and its ValueError and RecursionError for
# a number of over 4,300 digits (the interpreter's limit) and for arrays nested deeper than the stack allows.
UNREADABLE_JSON = (ValueError, RecursionError)


def json_problem(exc: Exception) -> str:
    """Why a text is not JSON, in a few words."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deep"
    return str(exc)[:120]


def open_text(path: str | Path):
    path = Path(path)
    with path.open("rb") as f:
        magic = f.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rt", encoding="utf-8", errors="strict")
    return path.open("rt", encoding="utf-8", errors="strict")


def open_bytes(path: str | Path):
    path = Path(path)
    with path.open("rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == GZIP_MAGIC else path.open("rb")


def read_snapshot(path: str | Path) -> Iterator[PaperRecord | RejectedRecord]:
    # Lines are split as bytes and decoded one at a time: a line that is not UTF-8 is rejected alone
    # (decoding the file as text failed a whole 8 KiB chunk, and stopped there, for one bad byte).
    with open_bytes(path) as lines:
        number = 0
        while True:
            number += 1
            try:
                raw = next(lines)
            except StopIteration:
                return
            except EOFError as exc:  # a truncated gzip stream
                yield RejectedRecord(f"line {number}: file ends early ({exc})")
                return
            except (OSError, zlib.error) as exc:  # damaged gzip data
                yield RejectedRecord(f"line {number}: unreadable compressed data ({exc})")
                return
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield RejectedRecord(f"line {number}: not UTF-8 ({exc.reason} at byte {exc.start})")
                continue
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except UNREADABLE_JSON as exc:
                yield RejectedRecord(f"line {number}: invalid JSON ({json_problem(exc)})")
                continue
            if not isinstance(data, dict):
                yield RejectedRecord(f"line {number}: a JSON {type(data).__name__}, not an object")
                continue
            try:
                yield from_listing(data) if "summary" in data else from_kaggle(data)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                yield RejectedRecord(f"line {number}: {_describe(exc)}", str(data.get("id", "?"))[:80])


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"the field {exc.args[0]!r} is missing"
    return f"unreadable record ({exc})"


def _text(value) -> str | None:
    """A source's empty or null field means "not stated"."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def from_listing(data: dict) -> PaperRecord:
    """A record of the daily-listing scrape format: id, categories[], authors[], title, comment, summary,
    first_listing_date."""
    announced = data.get("first_listing_date")
    return PaperRecord(
        arxiv_id=data["id"],
        source="listing",
        title=_text(data["title"]),
        abstract=_text(data["summary"]),
        authors=_string_list(data["authors"], "authors"),
        # The listing pages mix MSC and ACM classes (68T45, I.2.10) into the categories: keep arXiv's own.
        categories=[c for c in _string_list(data["categories"], "categories") if CATEGORY.fullmatch(c)],
        comments=_text(data.get("comment")),
        announced=date.fromisoformat(announced) if announced else None,
    )


def from_kaggle(data: dict) -> PaperRecord:
    """A record of Kaggle's arxiv-metadata-oai-snapshot.json."""
    versions: dict[int, datetime | None] = {}
    for entry in data.get("versions") or []:
        number = int(str(entry["version"]).lstrip("v"))
        versions[number] = parsedate_to_datetime(entry["created"]) if entry.get("created") else None
    if data.get("authors_parsed"):
        authors = [_name_from_parts(parts) for parts in data["authors_parsed"]]
    else:
        authors = split_authors(_text(data.get("authors")) or "")
    current = max(versions) if versions else None
    categories = _text(data.get("categories"))
    return PaperRecord(
        arxiv_id=data["id"],
        source="kaggle",
        version=current,
        title=_text(data["title"]),
        abstract=_text(data.get("abstract")),
        authors=authors or None,
        categories=categories.split() if categories else None,
        comments=_text(data.get("comments")),
        journal_ref=_text(data.get("journal-ref")),
        doi=_text(data.get("doi")),
        report_no=_text(data.get("report-no")),
        license=_text(data.get("license")),
        published=versions.get(1),
        updated=versions[current] if current else None,
        versions=versions,
    )


def _name_from_parts(parts) -> str:
    """Kaggle's authors_parsed entry [keyname, forenames, suffix] as "Forenames Keyname Suffix"."""
    if not isinstance(parts, list) or not parts:
        raise ValueError("authors_parsed holds something other than name lists")
    keyname, forenames, suffix = (list(parts) + ["", ""])[:3]
    return " ".join(p.strip() for p in (forenames, keyname, suffix) if p and p.strip())


def split_authors(text: str) -> list[str]:
    """Split arXiv's typed author string ("A, B and C") into names."""
    text = " ".join(text.split())
    names: list[str] = []
    for part in text.split(","):
        names.extend(p.strip() for p in part.split(" and "))
    return [n for n in names if n]


def _string_list(value, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{name} must be a list of text")
    return value
