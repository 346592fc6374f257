"""What every source yields (PaperRecord, RejectedRecord, Checkpoint) and raises (SourceError), and the checks
a record must pass before it is stored. Sources import this module only: the upsert (services.py) reads
what they yield, never the other way round."""

import hashlib
import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime

from .ids import InvalidArxivId, parse_arxiv_id

# Generous limits: the largest real values are far below them (arXiv caps abstracts at 1,920 characters,
# collaboration papers list a few thousand authors). Anything above is a broken record, not a paper.
MAX_TITLE = 1_000
MAX_ABSTRACT = 10_000
MAX_AUTHORS = 10_000
MAX_AUTHOR_NAME = 500
MAX_SHORT_FIELD = 5_000  # comments, journal-ref, report-no
MAX_CATEGORIES = 50
CATEGORY = re.compile(r"[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?")
# C0/C1 control characters other than tab and newline, and the Unicode non-characters: never in real metadata.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


SYNTHETIC_ID = re.compile(r"synthetic-\d{1,3}-[\w./-]{4,18}")  # 32 characters at most, as arxiv_id
TEXT_FIELDS = ("title", "abstract", "comments", "journal_ref", "doi", "report_no", "license")


class RejectedRecord(ValueError):
    """A record that cannot be stored; the message says why, in words a person can act on."""

    def __init__(self, reason: str, arxiv_id: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.arxiv_id = arxiv_id


@dataclass
class Checkpoint:
    """Yielded by a source between pages: everything before it may be committed with this token."""

    token: str
    cursor: int = 0
    total: int | None = None


class SourceError(Exception):
    """A source failed in a way retrying did not mend (network, HTTP status, unreadable response).

    ``short`` says what went wrong without the request's URL, for one-line messages."""

    def __init__(self, message: str, short: str | None = None):
        super().__init__(message)
        self.short = short or message


@dataclass(frozen=True)
class HubDetails:
    """What Hugging Face's daily list says of a paper beyond the catalog's fields, for the reader: its own
    machine-written summary and keywords, the organisation, the discussion and who submitted it."""

    ai_summary: str = ""
    ai_keywords: tuple[str, ...] = ()
    organization: str = ""  # the organisation's Hugging Face name ("google")
    organization_name: str = ""  # its full name ("Google")
    num_comments: int = 0
    discussion_id: str = ""
    submitter: str = ""  # the Hugging Face user who put the paper on the list


@dataclass(frozen=True)
class DailyListing:
    """A paper's place in another site's daily list, with that site's upvote count.

    ``read_at`` is when that count was read (the request's time, or an archived capture's): the upvote
    series is timed by it. It is left out of the record's digest (``repr=False``), so a read that finds
    nothing changed is recognised as unchanged."""

    day: date
    upvotes: int
    source: str
    read_at: datetime | None = field(default=None, repr=False, compare=False)
    details: HubDetails | None = None


@dataclass
class PaperRecord:
    """One paper as a source describes it. None means "this source does not say": the catalog keeps what
    it knew. Text fields hold arXiv's raw text (LaTeX, hard line breaks); display cleaning happens later."""

    arxiv_id: str
    source: str
    version: int | None = None
    title: str | None = None
    abstract: str | None = None
    authors: list[str] | None = None
    categories: list[str] | None = None  # first = primary
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    report_no: str | None = None
    license: str | None = None
    published: datetime | None = None  # first version submitted
    updated: datetime | None = None  # latest version submitted
    announced: date | None = None
    versions: dict[int, datetime | None] = field(default_factory=dict)
    daily_listing: DailyListing | None = None
    # Code links the source states itself (Hugging Face's GitHub repo and project page), stored apart from
    # those found in the abstract, with the same normalised form and kind. None: the source says nothing;
    # []: it says there are none.
    code_links: list[str] | None = None
    synthetic: bool = False  # a load-test copy (bench/scale.py): its id is "synthetic-N-<real id>"

    def validated(self) -> "PaperRecord":
        """Return the record with a canonical id, or raise RejectedRecord saying what is wrong."""
        if self.synthetic:
            if not SYNTHETIC_ID.fullmatch(str(self.arxiv_id)):
                raise RejectedRecord(
                    "a synthetic copy's id is synthetic-N-<arXiv id>", str(self.arxiv_id)[:80]
                )
        else:
            try:
                parsed = parse_arxiv_id(self.arxiv_id)
            except InvalidArxivId as exc:
                raise RejectedRecord(str(exc), str(self.arxiv_id)[:80]) from None
            self.arxiv_id = parsed.id
            if parsed.version and not self.version:
                self.version = parsed.version
        if not isinstance(self.title, str | None):
            raise RejectedRecord(f"the title is {type(self.title).__name__}, not text", self.arxiv_id)
        # Leading indentation and trailing newlines differ between arXiv's outlets; they carry no content.
        for name in TEXT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, value.strip() or None)
        if isinstance(self.authors, list):
            self.authors = [a.strip() if isinstance(a, str) else a for a in self.authors]
        if not self.title or not self.title.strip():
            raise RejectedRecord("the title is missing", self.arxiv_id)
        self._check_text("title", self.title, MAX_TITLE)
        self._check_text("abstract", self.abstract, MAX_ABSTRACT)
        for name in ("comments", "journal_ref", "report_no", "doi", "license"):
            self._check_text(name, getattr(self, name), MAX_SHORT_FIELD)
        if self.authors is not None:
            if len(self.authors) > MAX_AUTHORS:
                raise RejectedRecord(f"{len(self.authors)} authors, more than {MAX_AUTHORS}", self.arxiv_id)
            for name in self.authors:
                if not isinstance(name, str):
                    raise RejectedRecord(f"an author name is {type(name).__name__}, not text", self.arxiv_id)
            longest = max(self.authors, key=len, default="")
            self._check_text("an author name", longest, MAX_AUTHOR_NAME)
            # One scan for control characters over all names: a per-name check costs a fifth of the import.
            self._check_text(
                "an author name", "\t".join(self.authors), len(self.authors) * (MAX_AUTHOR_NAME + 1)
            )
        if self.categories is not None:
            if len(self.categories) > MAX_CATEGORIES:
                raise RejectedRecord(f"{len(self.categories)} categories", self.arxiv_id)
            for category in self.categories:
                if not isinstance(category, str) or not CATEGORY.fullmatch(category):
                    raise RejectedRecord(f"{str(category)[:40]!r} is not an arXiv category", self.arxiv_id)
        if self.version is not None and not (isinstance(self.version, int) and 0 < self.version < 1000):
            raise RejectedRecord(f"version {self.version!r} is not a version number", self.arxiv_id)
        if self.version:
            self.versions.setdefault(self.version, self.updated)
        return self

    def digest(self) -> str:
        """A fingerprint of everything the record says, so an unchanged re-import can skip the merge."""
        content = repr([getattr(self, f.name) for f in fields(self) if f.name != "source"])
        return hashlib.blake2b(content.encode(), digest_size=16).hexdigest()

    def _check_text(self, name: str, value, limit: int) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            raise RejectedRecord(f"{name} is {type(value).__name__}, not text", self.arxiv_id)
        if len(value) > limit:
            raise RejectedRecord(f"{name} has {len(value):,} characters, more than {limit:,}", self.arxiv_id)
        bad = CONTROL.search(value)
        if bad:
            raise RejectedRecord(
                f"{name} contains the control character U+{ord(bad.group()):04X}", self.arxiv_id
            )
