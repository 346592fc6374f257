"""A polite HTTP client for arXiv: one request per interval, Retry-After honoured, failures retried.

arXiv asks API and OAI-PMH clients for at most one request every 3 seconds; 429 and 503 replies carry
Retry-After, which we obey (capped). Other failures (5xx, dropped connections, time-outs) are retried with
exponential backoff, then reported as a SourceError with what went wrong.
"""

import http.client
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from django.conf import settings

from papertide import __version__

from ..records import SourceError

log = logging.getLogger("papertide.http")
USER_AGENT = f"papertide/{__version__} (self-hosted paper catalog; +https://github.com/papertide)"


@dataclass
class Response:
    status: int
    body: bytes
    url: str


@dataclass
class PoliteClient:
    delay: float = field(default_factory=lambda: settings.PAPERTIDE_ARXIV_DELAY)
    retries: int = field(default_factory=lambda: settings.PAPERTIDE_HTTP_RETRIES)
    backoff: float = field(default_factory=lambda: settings.PAPERTIDE_HTTP_BACKOFF)
    timeout: float = field(default_factory=lambda: settings.PAPERTIDE_HTTP_TIMEOUT)
    retry_after_max: float = field(default_factory=lambda: settings.PAPERTIDE_RETRY_AFTER_MAX)
    sleep: Callable[[float], None] = time.sleep
    _last: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def get(self, url: str, ok_statuses: tuple[int, ...] = (200,)) -> Response:
        """GET a URL; return the response when its status is acceptable, else raise SourceError.

        Statuses in ``ok_statuses`` are returned as they are (the arXiv API sends its error feed with 400).
        """
        attempt = 0
        while True:
            attempt += 1
            self._wait_turn()
            try:
                request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
                with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                    return Response(reply.status, reply.read(), url)
            except urllib.error.HTTPError as exc:
                try:
                    body = exc.read() if exc.fp else b""
                except (OSError, http.client.HTTPException):
                    body = b""
                if exc.code in ok_statuses:
                    return Response(exc.code, body, url)
                wait = self._retry_after(exc) if exc.code in (429, 503) else None
                permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
                problem = f"HTTP {exc.code} {exc.reason}"
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                wait, permanent, problem = None, False, f"cannot reach {_host(url)}: {reason}"
            except http.client.HTTPException as exc:
                # A reply cut short (IncompleteRead) or garbled (BadStatusLine): not an OSError, but as
                # transient as a dropped connection.
                wait, permanent, problem = None, False, f"broken reply from {_host(url)}: {exc!r}"
            if permanent or attempt > self.retries:
                attempts = f"after {attempt} attempt{'s' * (attempt > 1)}"
                raise SourceError(f"{problem} for {url} ({attempts})", short=f"{problem} ({attempts})")
            if wait is None:
                wait = self.backoff * 2 ** (attempt - 1)
            log.warning("%s for %s; retrying in %.0f s", problem, url, wait)
            self.sleep(wait)

    def _wait_turn(self) -> None:
        with self._lock:
            pause = self._last + self.delay - time.monotonic()
            if pause > 0:
                self.sleep(pause)
            self._last = time.monotonic()

    def _retry_after(self, exc: urllib.error.HTTPError) -> float | None:
        value = exc.headers.get("Retry-After") if exc.headers else None
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                seconds = parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError):
                return None
        return min(max(seconds, 0.0), self.retry_after_max)


def _host(url: str) -> str:
    return urllib.parse.urlparse(url).netloc or url


def job_client(**options) -> PoliteClient:
    """The client of a worker's job: one retry at most. The job runs again on its schedule (a failed one
    within PAPERTIDE_JOB_RETRY_SECONDS), so minutes of backoff would only keep the worker from its other
    jobs: offline, the harvests' four retries each held up the embedding for about eight minutes."""
    return PoliteClient(retries=min(settings.PAPERTIDE_HTTP_RETRIES, 1), **options)
