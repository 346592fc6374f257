"""Hugging Face daily papers: the papers and their place in the daily list, with their upvotes.

Two shapes are read: the `GET /api/daily_papers` response (a list of entries, each with its `paper`
and the submission time `publishedAt`), and the PaperExplorer scrape (an object keyed by arXiv id, with
`publication_date` and `upvotes`), whose day is the paper's arXiv date since the scrape has no other.
"""

import json
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from ..records import DailyListing, PaperRecord, RejectedRecord
from .snapshot import open_text

SOURCE = "huggingface"  # also the name the daily list gives entries imported from there


def read_hf_daily(path: str | Path) -> Iterator[PaperRecord | RejectedRecord]:
    with open_text(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as exc:
            yield RejectedRecord(f"{Path(path).name}: invalid JSON ({exc.msg} at line {exc.lineno})")
            return
        except UnicodeDecodeError as exc:
            yield RejectedRecord(f"{Path(path).name}: not UTF-8 ({exc.reason})")
            return
        except EOFError as exc:  # a truncated gzip file
            yield RejectedRecord(f"{Path(path).name}: file ends early ({exc})")
            return
        except (OSError, zlib.error) as exc:
            yield RejectedRecord(f"{Path(path).name}: unreadable compressed data ({exc})")
            return
    parse: Callable[[str, dict], PaperRecord]
    if isinstance(data, dict):
        entries = ((key, value) for key, value in data.items())
        parse = _from_scrape
    elif isinstance(data, list):
        entries = ((str(i), value) for i, value in enumerate(data))
        parse = _from_api
    else:
        yield RejectedRecord(f"{Path(path).name}: neither a daily_papers list nor a papers object")
        return
    for key, value in entries:
        try:
            yield parse(key, value)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            reason = f"the field {exc.args[0]!r} is missing" if isinstance(exc, KeyError) else str(exc)
            yield RejectedRecord(f"entry {key[:40]}: {reason}", key[:80])


def _upvotes(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"upvotes must be a count, not {value!r}")
    return value


def _title(value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"title must be text, not {type(value).__name__}")
    return value


def _when(value: str) -> datetime:
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # Hugging Face's times are UTC


def _names(value) -> list[str]:
    # A string here would otherwise become one "author" per character.
    if not isinstance(value, list):
        raise TypeError(f"authors must be a list, not {type(value).__name__}")
    return [str(name) for name in value]


def _from_scrape(arxiv_id: str, item: dict) -> PaperRecord:
    published = _when(item["publication_date"])
    return PaperRecord(
        arxiv_id=arxiv_id,
        source=SOURCE,
        title=_title(item["title"]),
        abstract=item.get("abstract") or None,
        authors=_names(item["authors"]),
        published=published,
        daily_listing=DailyListing(published.date(), _upvotes(item["upvotes"]), SOURCE),
    )


def _from_api(index: str, entry: dict) -> PaperRecord:
    paper = entry["paper"]
    published = _when(paper["publishedAt"]) if paper.get("publishedAt") else None
    submitted = _when(entry["publishedAt"])
    return PaperRecord(
        arxiv_id=paper["id"],
        source=SOURCE,
        title=_title(paper.get("title") or entry["title"]),
        abstract=paper.get("summary") or None,
        authors=_names([a["name"] for a in paper["authors"] if not a.get("hidden")]),
        published=published,
        daily_listing=DailyListing(submitted.date(), _upvotes(paper["upvotes"]), SOURCE),
    )
