"""Code and project links found in an abstract and its comments, normalised and deduplicated."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

# Square brackets end a URL: abstracts use Markdown, "[https://github.com/a/b](https://github.com/a/b)".
URL = re.compile(r"https?://[^\s<>\"'{}\\|^`\[\]]+", re.IGNORECASE)
# LaTeX escapes inside URLs ("https://github.com/a/ssl\\_seg"): the URL means the bare character.
LATEX_ESCAPE = re.compile(r"\\([_%#&~])")
# Hosts whose links point at papers or identifiers, not at code or project pages.
# imstat.org and isi.cbs.nl are the journal links in the IMS and Bernoulli boilerplate of thousands of
# math.ST comments ("Published at http://dx.doi.org/... in the Annals ... (http://www.imstat.org/aap/)").
IGNORED_HOSTS = {
    "arxiv.org",
    "export.arxiv.org",
    "doi.org",
    "dx.doi.org",
    "creativecommons.org",
    "imstat.org",
    "isi.cbs.nl",
}
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
MAX_PASSES = 8  # each pass removes something or changes nothing: a bound, not a budget
# Hosts that serve every page over HTTPS: an http:// link to them is written as https://.
HTTPS_HOSTS = CODE_HOSTS | {"huggingface.co"}


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
    """The canonical form and kind of a link, or None for one that is not a code or project page.

    One pass can uncover what the pass before removes: dropping the fragment or the trailing slash leaves
    a trailing dot ("https://h.org/a./"), "b.git.git" loses one ".git". So passes repeat until one changes
    nothing, and a normalised link normalises to itself (one repository, one URL)."""
    link = _normalise_once(url)
    for _ in range(MAX_PASSES):
        again = _normalise_once(link.url) if link else None
        if again == link:
            break
        link = again
    return link


def _normalise_once(url: str) -> Link | None:
    url = _strip_trailing(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # an unreadable host or port
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
    if kind == "code":
        path = path.removesuffix(".git")
    secure = parts.scheme.lower() == "https" or host in HTTPS_HOSTS or host.endswith(".github.io")
    netloc = f"{host}:{port}" if port else host  # a project page on http://host:3000 needs its port
    return Link(urlunsplit(("https" if secure else "http", netloc, path, parts.query, "")), kind)


def find_links(*texts: str | None) -> list[Link]:
    """Links in the given texts, in order of first appearance, each once."""
    seen: dict[str, Link] = {}
    for text in texts:
        if not text or "://" not in text:
            continue
        for match in URL.finditer(LATEX_ESCAPE.sub(r"\1", text)):
            link = normalise(match.group())
            if link and link.url.lower() not in seen:
                seen[link.url.lower()] = link
    return list(seen.values())
