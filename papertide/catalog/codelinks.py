"""Code and project links found in an abstract and its comments, normalised and deduplicated."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

URL = re.compile(r"https?://[^\s<>\"'{}\\|^`]+", re.IGNORECASE)
# Hosts whose links point at papers or identifiers, not at code or project pages.
IGNORED_HOSTS = {"arxiv.org", "export.arxiv.org", "doi.org", "dx.doi.org", "creativecommons.org"}
CODE_HOSTS = {"gitlab.com", "bitbucket.org", "codeberg.org", "anonymous.4open.science", "sourceforge.net"}
GITHUB_RESERVED = {
    "about",
    "features",
    "orgs",
    "topics",
    "sponsors",
    "settings",
    "marketplace",
    "collections",
}
TRAILING = ".,;:!?)]}>'\"*"


@dataclass(frozen=True)
class Link:
    url: str
    kind: str  # github, code, huggingface or project


def _strip_trailing(url: str) -> str:
    while url and url[-1] in TRAILING:
        # Keep a closing parenthesis that belongs to the URL, as in Wikipedia-style paths.
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def normalise(url: str) -> Link | None:
    url = _strip_trailing(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host or "." not in host:
        return None
    if host.startswith("www."):
        host = host[4:]
    if host in IGNORED_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if host == "github.com":
        if not segments or segments[0].lower() in GITHUB_RESERVED:
            return None
        if len(segments) == 1:  # a user or organisation page
            return Link(f"https://github.com/{segments[0].lower()}", "project")
        repo = segments[1].removesuffix(".git")
        # GitHub names are case-insensitive: one canonical form, so two spellings are one link.
        return Link(f"https://github.com/{segments[0].lower()}/{repo.lower()}", "github")
    if host == "huggingface.co":
        kind = "huggingface"
    elif host in CODE_HOSTS or host.startswith("git."):
        kind = "code"
    else:
        kind = "project"
    path = parts.path.rstrip("/")
    return Link(
        urlunsplit(("https" if parts.scheme.lower() == "https" else "http", host, path, parts.query, "")),
        kind,
    )


def find_links(*texts: str | None) -> list[Link]:
    """Links in the given texts, in order of first appearance, each once."""
    seen: dict[str, Link] = {}
    for text in texts:
        if not text or "://" not in text:
            continue
        for match in URL.finditer(text):
            link = normalise(match.group())
            if link and link.url.lower() not in seen:
                seen[link.url.lower()] = link
    return list(seen.values())
