"""Hugging Face daily papers: the papers and their place in the daily list, with their upvotes.

Three inputs:
- the live API, `GET {PAPERTIDE_HF_URL}/api/daily_papers?date=D` (HuggingFaceDaily): a list of entries,
  each with its `paper`; the list's day is the date asked for, the upvotes are timed by the request;
- a saved API response (read_hf_daily, a JSON list), whose day is each entry's `submittedOnDailyAt` (its
  `publishedAt` in the older schema), or the PaperExplorer scrape (an object keyed by arXiv id, with
  `publication_date` and `upvotes`), whose day is the paper's arXiv date since the scrape has no other;
- archived captures (read_hf_captures): gzip JSONL, one API response a line with its `date` and the
  `committed_at` time it was saved, read in committed_at order so each day's upvotes grow as they did.

Besides the paper, an API entry gives what a reader of the list uses: the GitHub repository and project
page (code links), Hugging Face's own `ai_summary` and `ai_keywords`, the organisation, the number of
comments in its discussion and who submitted it (HubDetails). Fields appeared over 2024 to 2026; each is
optional here, an entry lacking one is read without it.
"""

import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.conf import settings

from ..records import DailyListing, HubDetails, PaperRecord, RejectedRecord, SourceError
from .http import PoliteClient
from .snapshot import UNREADABLE_JSON, json_problem, open_bytes, open_text

SOURCE = "huggingface"  # also the name the daily list gives entries imported from there
CAPTURE_KEYS = {"date", "committed_at", "response"}


@dataclass
class HuggingFaceDaily:
    """The daily papers API. Hugging Face asks for no fixed spacing between requests: the delay between
    two is a setting (PAPERTIDE_HF_DELAY), not arXiv's 3 s."""

    base_url: str = field(default_factory=lambda: settings.PAPERTIDE_HF_URL)
    client: PoliteClient = field(default_factory=lambda: PoliteClient(delay=settings.PAPERTIDE_HF_DELAY))

    def day(self, day: date, read_at: datetime) -> Iterator[PaperRecord | RejectedRecord]:
        """The list of one day (UTC, as Hugging Face dates it), its upvote counts timed at `read_at`.

        A day with no list (a weekend) is an empty list, which yields nothing. An HTTP error (404, 5xx
        after the retries) or a reply that is not a JSON list raises SourceError."""
        url = f"{self.base_url.rstrip('/')}/api/daily_papers?date={day.isoformat()}"
        reply = self.client.get(url)
        try:
            data = json.loads(reply.body)
        except UNREADABLE_JSON as exc:
            problem = f"the list of {day} is not JSON ({json_problem(exc)})"
            raise SourceError(f"{problem} at {url}", problem) from None
        if not isinstance(data, list):
            raise SourceError(f"the list of {day} at {url} is not a list", f"the list of {day} is not a list")
        yield from entries(data, day, read_at)


def days_back(today: date, count: int) -> list[date]:
    """`count` days ending with `today`, newest first."""
    return [today - timedelta(days=n) for n in range(count)]


def entries(
    data: Iterable, day: date | None = None, read_at: datetime | None = None
) -> Iterator[PaperRecord | RejectedRecord]:
    """The records of one API list; a malformed entry is reported (RejectedRecord) and skipped."""
    for index, entry in enumerate(data):
        try:
            yield _from_api(str(index), entry, day, read_at)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            yield _rejected(f"{day} " if day else "", str(index), exc, entry)


def _rejected(where: str, key: str, exc: Exception, entry=None) -> RejectedRecord:
    reason = f"the field {exc.args[0]!r} is missing" if isinstance(exc, KeyError) else str(exc)
    arxiv_id = None
    if isinstance(entry, dict) and isinstance(entry.get("paper"), dict):
        arxiv_id = str(entry["paper"].get("id"))[:80]
    return RejectedRecord(f"{where}entry {key[:40]}: {reason}", arxiv_id or key[:80])


def is_captures(path: str | Path) -> bool:
    """Whether a file is archived captures (JSONL, each line a capture with date, committed_at, response)."""
    try:
        with open_text(path) as f:
            first = f.readline()
        capture = json.loads(first)
    except (OSError, EOFError, zlib.error, *UNREADABLE_JSON):
        return False
    return isinstance(capture, dict) and CAPTURE_KEYS <= capture.keys()


def read_hf_captures(path: str | Path) -> Iterator[PaperRecord | RejectedRecord]:
    """Archived API responses, one a line, in `committed_at` order (the file need not be sorted): each
    capture's list on its `date`, its upvote counts timed at its `committed_at`."""
    name = Path(path).name
    captures: list[tuple[datetime, int, date, list]] = []
    with open_bytes(path) as lines:
        number = 0
        try:
            for raw in lines:
                number += 1
                if not raw.strip():
                    continue
                try:
                    capture = json.loads(raw)
                except UNREADABLE_JSON as exc:
                    yield RejectedRecord(f"{name} line {number}: not a JSON capture ({json_problem(exc)})")
                    continue
                try:
                    day = date.fromisoformat(capture["date"])
                    read_at = _when(capture["committed_at"])
                    response = capture["response"]
                    if not isinstance(response, list):
                        raise TypeError("the response is not a list")
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    why = f"the field {exc.args[0]!r} is missing" if isinstance(exc, KeyError) else str(exc)
                    yield RejectedRecord(f"{name} line {number}: not a capture ({why})")
                    continue
                captures.append((read_at, number, day, response))
        except EOFError as exc:
            yield RejectedRecord(f"{name} line {number + 1}: file ends early ({exc})")
        except (OSError, zlib.error) as exc:
            yield RejectedRecord(f"{name} line {number + 1}: unreadable compressed data ({exc})")
    # The file is a history: a paper is described (text, authors, links, Hugging Face's details) as its
    # latest capture describes it, and each earlier capture adds its upvote count at its time. So reading
    # the file again repeats the same records, and changes nothing, instead of taking the paper back
    # through its earlier states before the latest.
    records: list[PaperRecord | RejectedRecord] = []
    latest: dict[str, PaperRecord] = {}
    for read_at, _, day, response in sorted(captures, key=lambda c: (c[0], c[1])):
        for record in entries(response, day, read_at):
            records.append(record)
            if isinstance(record, PaperRecord):
                latest[record.arxiv_id] = record
    for record in records:
        if isinstance(record, PaperRecord) and latest[record.arxiv_id] is not record:
            last = latest[record.arxiv_id]
            listing = record.daily_listing
            assert listing is not None and last.daily_listing is not None  # (every entry has one)
            record = replace(last, daily_listing=replace(listing, details=last.daily_listing.details))
        yield record


def read_hf_daily(path: str | Path) -> Iterator[PaperRecord | RejectedRecord]:
    with open_text(path) as f:
        try:
            data = json.load(f)
        except UnicodeDecodeError as exc:
            yield RejectedRecord(f"{Path(path).name}: not UTF-8 ({exc.reason})")
            return
        except UNREADABLE_JSON as exc:
            yield RejectedRecord(f"{Path(path).name}: invalid JSON ({json_problem(exc)})")
            return
        except EOFError as exc:  # a truncated gzip file
            yield RejectedRecord(f"{Path(path).name}: file ends early ({exc})")
            return
        except (OSError, zlib.error) as exc:
            yield RejectedRecord(f"{Path(path).name}: unreadable compressed data ({exc})")
            return
    parse: Callable[[str, dict], PaperRecord]
    if isinstance(data, dict):
        items = ((key, value) for key, value in data.items())
        parse = _from_scrape
    elif isinstance(data, list):
        items = ((str(i), value) for i, value in enumerate(data))
        parse = _from_api
    else:
        yield RejectedRecord(f"{Path(path).name}: neither a daily_papers list nor a papers object")
        return
    for key, value in items:
        try:
            yield parse(key, value)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            yield _rejected("", key, exc, value)


def _upvotes(value) -> int:
    return _count(value, "upvotes")


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


def _from_api(
    index: str, entry: dict, day: date | None = None, read_at: datetime | None = None
) -> PaperRecord:
    if not isinstance(entry, dict):
        raise TypeError(f"the entry is {type(entry).__name__}, not an object")
    paper = entry["paper"]
    published = _when(paper["publishedAt"]) if paper.get("publishedAt") else None
    if day is None:  # a saved response: the day it was put on the list
        day = _when(paper.get("submittedOnDailyAt") or entry["publishedAt"]).date()
    links = [paper.get("githubRepo"), paper.get("projectPage")]
    details = HubDetails(
        ai_summary=_optional_text(paper.get("ai_summary")),
        ai_keywords=tuple(_optional_list(paper.get("ai_keywords"), "ai_keywords")),
        organization=_field(entry.get("organization") or paper.get("organization"), "name"),
        organization_name=_field(entry.get("organization") or paper.get("organization"), "fullname"),
        num_comments=_count(entry.get("numComments") or 0, "numComments"),
        discussion_id=_optional_text(paper.get("discussionId")),
        submitter=_field(paper.get("submittedOnDailyBy"), "user") or _field(entry.get("submittedBy"), "name"),
    )
    return PaperRecord(
        arxiv_id=_arxiv_id(paper["id"]),
        source=SOURCE,
        title=_title(paper.get("title") or entry["title"]),
        abstract=paper.get("summary") or None,
        authors=_names([a["name"] for a in paper["authors"] if not a.get("hidden")]),
        published=published,
        daily_listing=DailyListing(day, _upvotes(paper["upvotes"]), SOURCE, read_at, details),
        code_links=[url.strip() for url in links if isinstance(url, str) and url.strip()],
    )


def _arxiv_id(value) -> str:
    # Checked here, not only by validated(): read_hf_captures keys its records by id (a list is unhashable).
    if not isinstance(value, str):
        raise TypeError(f"the paper id must be text, not {type(value).__name__}")
    return value


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a count, not {value!r}")
    return value


def _optional_text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _optional_list(value, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"{name} must be a list, not {type(value).__name__}")
    return [str(item).strip() for item in value if str(item).strip()]


def _field(value, key: str) -> str:
    """A text field of an object the API may leave out (null) or give: the organisation, a user."""
    return _optional_text(value.get(key)) if isinstance(value, dict) else ""
