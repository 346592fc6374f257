"""arXiv identifiers: parse what people and sources write into (id without version, version)."""

import re
from dataclasses import dataclass

# ASCII only: \d alone also matches the digits of other scripts ("٢٥٠١.٠١٢٣٤"), which no arXiv id has.
# New style (since April 2007): YYMM.NNNN (to 1412) or YYMM.NNNNN (from 1501), optional vN.
NEW_STYLE = re.compile(r"(?P<yy>\d{2})(?P<mm>\d{2})\.(?P<num>\d{4,5})(?:v(?P<version>\d+))?", re.ASCII)
# Old style (to March 2007): archive[.SUBJ]/YYMMNNN, optional vN; e.g. hep-th/9901001, math.GT/0309136.
OLD_STYLE = re.compile(
    r"(?P<archive>[a-z][a-z\-]*)(?:\.[A-Z]{2})?/(?P<number>(?P<yy>\d{2})(?P<mm>\d{2})\d{3})(?:v(?P<version>\d+))?",
    re.ASCII,
)
# An id in a URL path, captured as arxiv_id, optional version (the paper's pages, its upvote and comments):
# old-style ids contain a slash (hep-th/9901001). Loose on purpose: parse_arxiv_id has the last word.
# [0-9], not \d: Django reverses these patterns, and its reverser knows no (?a) flag.
URL_ID = r"(?P<arxiv_id>[a-z\-]+(?:\.[A-Z]{2})?/[0-9]{7}|[0-9]{4}\.[0-9]{4,5})(?:v[0-9]+)?"
# Prefixes people paste: arXiv:..., https://arxiv.org/abs/..., /pdf/....pdf
PREFIX = re.compile(r"^(?:arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)", re.IGNORECASE)
# No paper has a thousand versions; the limit keeps int() away from numbers it refuses (over 4,300 digits).
MAX_VERSION_DIGITS = 6


class InvalidArxivId(ValueError):
    pass


@dataclass(frozen=True)
class ArxivId:
    id: str
    version: int | None = None

    def __str__(self) -> str:
        return f"{self.id}v{self.version}" if self.version else self.id


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an arXiv id, an `arXiv:` reference or an arxiv.org URL; raise InvalidArxivId with a reason."""
    if not isinstance(text, str):
        raise InvalidArxivId(f"an arXiv id must be text, not {type(text).__name__}")
    raw = text.strip()
    value = PREFIX.sub("", raw)
    if value.endswith(".pdf"):
        value = value[:-4]
    value = value.rstrip("/")
    for pattern in (NEW_STYLE, OLD_STYLE):
        match = pattern.fullmatch(value)
        if match:
            if not 1 <= int(match["mm"]) <= 12:
                raise InvalidArxivId(f"{raw[:80]!r} is not an arXiv id: month {match['mm']} does not exist")
            if pattern is NEW_STYLE and value[:4] < "0704":
                raise InvalidArxivId(f"{raw[:80]!r} is not an arXiv id: new-style ids start in 0704")
            if pattern is NEW_STYLE and len(match["num"]) == 5 and value[:4] < "1501":
                raise InvalidArxivId(f"{raw[:80]!r} is not an arXiv id: 5-digit numbers start in 1501")
            if pattern is NEW_STYLE and len(match["num"]) == 4 and value[:4] >= "1501":
                raise InvalidArxivId(f"{raw[:80]!r} is not an arXiv id: since 1501 the number has 5 digits")
            if match["version"] and len(match["version"]) > MAX_VERSION_DIGITS:
                raise InvalidArxivId(f"{raw[:80]!r} is not an arXiv id: the version number is too long")
            version = int(match["version"]) if match["version"] else None
            if version == 0:
                raise InvalidArxivId(f"{raw[:80]!r} is not an arXiv id: versions start at v1")
            if pattern is OLD_STYLE:
                # The subject class (math.GT/...) is not part of the identifier: arXiv files it as math/....
                base = f"{match['archive']}/{match['number']}"
            else:
                base = f"{match['yy']}{match['mm']}.{match['num']}"
            return ArxivId(base, version)
    raise InvalidArxivId(
        f"{raw[:80]!r} is not an arXiv id (expected e.g. 2501.01234, 2501.01234v2 or hep-th/9901001)"
    )
