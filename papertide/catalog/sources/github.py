"""A GitHub REST client for one question: how many stars has a repository now?

`GET {PAPERTIDE_GITHUB_API_URL}/repos/{owner}/{name}`, with what GitHub asks of its clients
(docs.github.com, "Best practices for using the REST API" and "Rate limits for the REST API"):

- conditional requests: the stored ETag goes out as If-None-Match; a 304 means "unchanged" and, made with
  a token, costs no quota;
- the quota each answer reports (x-ratelimit-limit, -remaining, -reset) is returned with it, so the caller
  can stop when it is spent and wait for the reset;
- a limit hit (403 or 429) raises RateLimited with the time to wait until: the reset for the primary quota,
  Retry-After for a secondary limit, else at least a minute;
- a moved or renamed repository answers 301 with the new location, which is followed (the answer says so);
- 404 (deleted, or private: GitHub answers both alike), 410, 451 and a 403 that is no limit mean the
  repository is gone for us; another answer that is no repository comes back with `problem` set;
- redirects are followed here, not by urllib, so that every hop's quota headers are seen.
"""

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from ..records import SourceError
from .http import USER_AGENT

# GitHub's advice when a secondary limit gives no Retry-After: wait at least a minute.
SECONDARY_WAIT = timedelta(minutes=1)
# The primary quota is counted per hour: with no x-ratelimit-reset, a spent quota is back within one.
PRIMARY_WINDOW = timedelta(hours=1)
MAX_REDIRECTS = 3
# GitHub's owner/name: what the next request's path is built from.
FULL_NAME = re.compile(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Quota:
    """What x-ratelimit-* said; a field is None when its header was missing."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None

    @property
    def spent(self) -> bool:
        return self.remaining == 0

    @property
    def known(self) -> bool:
        return self.remaining is not None


@dataclass(frozen=True)
class RepoAnswer:
    status: int  # 200, 304 (unchanged since the ETag) or 404 (gone); others raise
    quota: Quota
    etag: str = ""
    full_name: str = ""  # GitHub's owner/name (on 200)
    stars: int | None = None
    private: bool = False
    moved: bool = False  # a 301 was followed: full_name is the new name
    problem: str = ""  # an answer that is no repository (or another refusal): reported and skipped


class RateLimited(Exception):
    """GitHub refused for a rate limit: ask nothing more until `until`."""

    def __init__(self, message: str, until: datetime, quota: Quota):
        super().__init__(message)
        self.until = until
        self.quota = quota


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib raises HTTPError with the 3xx, which the client follows itself


class GitHubClient:
    def __init__(self, api_url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.api_url = (api_url if api_url is not None else settings.PAPERTIDE_GITHUB_API_URL).rstrip("/")
        self.token = token if token is not None else settings.PAPERTIDE_GITHUB_TOKEN
        self.timeout = timeout if timeout is not None else settings.PAPERTIDE_HTTP_TIMEOUT
        self.opener = urllib.request.build_opener(_NoRedirect)

    def repository(self, full_name: str, etag: str = "", now: datetime | None = None) -> RepoAnswer:
        """Ask for one repository ("owner/name"). Raises RateLimited at a limit, SourceError when GitHub
        cannot be reached or answers with a server error. An answer that is no repository comes back
        with `problem` saying why (and its quota, which counts all the same)."""
        url = f"{self.api_url}/repos/{full_name}"
        moved = False
        for _ in range(MAX_REDIRECTS + 1):
            status, headers, body = self._get(url, etag)
            quota = _quota(headers)
            if status in (301, 302, 307, 308) and headers.get("Location"):
                url, moved = urljoin(url, headers["Location"]), True
                etag = ""  # a 304 would not say the new name, and the name is what the redirect is for
                if urlsplit(url)[:2] != urlsplit(self.api_url)[:2]:  # the token goes to GitHub only
                    return RepoAnswer(status, quota, problem=f"redirected away from the API, to {url[:200]}")
                continue
            if status == 304:
                return RepoAnswer(304, quota, etag=headers.get("ETag") or etag)
            if status in (403, 429):
                limit = _rate_limit(status, headers, body, quota, now or datetime.now(UTC))
                if limit:
                    raise limit
            # Deleted, or private to us (GitHub answers both with 404); 403 "Repository access blocked"
            # and 451 "unavailable for legal reasons": gone for us all the same.
            if status in (403, 404, 410, 451):
                return RepoAnswer(404, quota)
            if status != 200:  # another refusal of this one request: reported, and the run goes on
                return RepoAnswer(status, quota, problem=f"HTTP {status}: {_message(body)[:200]}")
            return _repo_answer(body, quota, headers.get("ETag") or "", moved)
        return RepoAnswer(status, quota, problem=f"redirected more than {MAX_REDIRECTS} times")

    def _get(self, url: str, etag: str) -> tuple[int, Message, bytes]:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": USER_AGENT,
        }
        if etag:
            headers["If-None-Match"] = etag
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, headers=headers)
        try:
            with self.opener.open(request, timeout=self.timeout) as reply:
                return reply.status, reply.headers, reply.read()
        except urllib.error.HTTPError as exc:
            try:
                body = exc.read() if exc.fp else b""
            except OSError:
                body = b""
            if exc.code >= 500:
                raise SourceError(f"GitHub answered HTTP {exc.code} for {url}") from exc
            return exc.code, exc.headers, body
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SourceError(f"cannot reach GitHub at {url}: {getattr(exc, 'reason', exc)}") from exc


def _int(headers: Message, name: str) -> int | None:
    try:
        return int(headers.get(name, ""))
    except ValueError:
        return None


def _quota(headers: Message) -> Quota:
    reset = _int(headers, "x-ratelimit-reset")
    return Quota(
        limit=_int(headers, "x-ratelimit-limit"),
        remaining=_int(headers, "x-ratelimit-remaining"),
        reset_at=datetime.fromtimestamp(reset, UTC) if reset is not None else None,
    )


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message", ""))
    except (ValueError, AttributeError, RecursionError):  # (RecursionError: arrays nested too deep)
        return body.decode("utf-8", "replace")


def _rate_limit(
    status: int, headers: Message, body: bytes, quota: Quota, now: datetime
) -> RateLimited | None:
    """The limit a 403 or 429 reports, or None for a 403 of another kind (access refused)."""
    message = _message(body)
    retry_after = _retry_after(headers.get("Retry-After"), now)
    if quota.spent:
        reset = quota.reset_at if quota.reset_at else now + PRIMARY_WINDOW
        until = max(reset, now + SECONDARY_WAIT)  # a reset already past (clock skew) still waits a minute
        return RateLimited(f"GitHub quota spent (HTTP {status}: {message[:120]})", until, quota)
    # A secondary limit: GitHub's message names it ("secondary rate limit", older "abuse detection");
    # a body cut short or not JSON gets the benefit of the doubt, since asking again too soon is what
    # gets a client blocked for longer.
    readable = message != body.decode("utf-8", "replace")
    limit_words = any(word in message.lower() for word in ("rate limit", "abuse"))
    if status == 429 or retry_after or limit_words or not readable:
        until = max(retry_after or now, now + SECONDARY_WAIT)
        return RateLimited(f"GitHub secondary rate limit (HTTP {status}: {message[:120]})", until, quota)
    return None


def _retry_after(value: str | None, now: datetime) -> datetime | None:
    if not value:
        return None
    try:
        return now + timedelta(seconds=max(float(value), 0.0))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return when if when.tzinfo else when.replace(tzinfo=UTC)


def _repo_answer(body: bytes, quota: Quota, etag: str, moved: bool) -> RepoAnswer:
    try:
        data = json.loads(body)
        # watchers_count is the star count too: GitHub renamed watchers to stars in 2012 and keeps the old
        # field with the same value; answers from before the rename have only it.
        stars = data["stargazers_count"] if "stargazers_count" in data else data["watchers_count"]
        full_name = data["full_name"]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:  # (RecursionError: nested too deep)
        problem = f"the field {exc.args[0]!r} is missing" if isinstance(exc, KeyError) else str(exc)
        return RepoAnswer(200, quota, problem=f"not a repository ({problem})")
    if (
        isinstance(stars, bool)
        or not isinstance(stars, int)
        or stars < 0
        or not FULL_NAME.fullmatch(str(full_name))
    ):
        return RepoAnswer(200, quota, problem=f"not a repository (stars {stars!r}, full_name {full_name!r})")
    private = bool(data.get("private"))
    return RepoAnswer(200, quota, etag=etag, full_name=full_name, stars=stars, private=private, moved=moved)
