"""The arXiv API (export.arxiv.org/api/query): look papers up by id, list them by category and date.

Requests go through PoliteClient (one per 3 s, Retry-After, retries). Results come in pages of
PAPERTIDE_ARXIV_PAGE_SIZE; paging stops at the reported total, at the caller's limit, or at an empty page.
"""

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings

from ..ids import InvalidArxivId, parse_arxiv_id
from ..records import PaperRecord, RejectedRecord, SourceError
from .atom import ArxivAPIError, FeedInfo, parse_feed
from .http import PoliteClient

MAX_IDS_PER_REQUEST = 100


class ArxivAPI:
    def __init__(
        self, base_url: str | None = None, client: PoliteClient | None = None, page_size: int | None = None
    ):
        self.base_url = base_url or settings.PAPERTIDE_ARXIV_API_URL
        self.client = client or PoliteClient()
        self.page_size = page_size or settings.PAPERTIDE_ARXIV_PAGE_SIZE

    def lookup(self, ids: Iterable[str]) -> Iterator[PaperRecord | RejectedRecord]:
        """Records for the given ids (versioned ids give that version). Unknown ids yield nothing; text that
        is not an arXiv id yields a RejectedRecord (a source reports bad input, it does not raise it)."""
        wanted = []
        for raw in ids:
            try:
                wanted.append(str(parse_arxiv_id(raw)))
            except InvalidArxivId as exc:
                yield RejectedRecord(str(exc), str(raw)[:80])
        for start in range(0, len(wanted), MAX_IDS_PER_REQUEST):
            chunk = wanted[start : start + MAX_IDS_PER_REQUEST]
            yield from self._pages({"id_list": ",".join(chunk)}, limit=len(chunk))

    def search(self, query: str, limit: int | None = None, sort_by: str = "relevance") -> Iterator:
        """Records matching an arXiv API search_query, at most ``limit`` of them."""
        params = {"search_query": query, "sortBy": sort_by, "sortOrder": "descending"}
        yield from self._pages(params, limit=limit)

    def recent(
        self, categories: Iterable[str], since: date, until: date, limit: int | None = None
    ) -> Iterator:
        """Papers submitted between two days (inclusive) in any of the categories, newest first."""
        yield from self.search(listing_query(categories, since, until), limit=limit, sort_by="submittedDate")

    def _pages(self, params: dict, limit: int | None) -> Iterator[PaperRecord | RejectedRecord]:
        start = 0
        while limit is None or start < limit:
            size = self.page_size if limit is None else min(self.page_size, limit - start)
            url = f"{self.base_url}?{urlencode({**params, 'start': start, 'max_results': size})}"
            response = self.client.get(url, ok_statuses=(200, 400))
            info = FeedInfo()
            try:
                yield from parse_feed(response.body, info)
            except ArxivAPIError as exc:
                raise SourceError(f"arXiv API refused the request: {exc}") from None
            if response.status != 200:
                raise SourceError(f"arXiv API answered HTTP {response.status} for {url}")
            if info.truncated:
                raise SourceError(f"arXiv API response for {url}: {info.truncated}")
            start += info.entries
            if info.entries == 0 or (info.total is not None and start >= info.total):
                return


def listing_query(categories: Iterable[str], since: date, until: date) -> str:
    cats = " OR ".join(f"cat:{c}" for c in categories)
    window = f"submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"
    return f"({cats}) AND {window}" if cats else window


def last_days(days: int, today: date | None = None) -> tuple[date, date]:
    today = today or date.today()
    return today - timedelta(days=days), today
