"""Keeping Hugging Face's daily lists in step: the worker's job (sync_hf) and what `papertide ingest
hf-api` runs (sync_days). Each day is read, then stored in the upsert's short transactions: no
transaction is open while a request waits on the network."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings

from papertide.catalog.services import IngestStats, ingest
from papertide.catalog.sources.hf_daily import HuggingFaceDaily, days_back
from papertide.catalog.sources.http import job_client

from .models import UpvoteCount


class HfSyncError(Exception):
    """Some days could not be read; the others were stored."""


@dataclass
class DayResult:
    day: date
    stats: IngestStats
    counts: int  # upvote counts added to the series

    @property
    def line(self) -> str:
        if self.stats.error:
            return f"{self.day}: failed: {self.stats.error_short}"
        return f"{self.day}: {self.stats.summary_lines()[0]}, {self.counts:,} upvote counts recorded"


def sync_days(
    days: Iterable[date],
    read_at: datetime,
    write: Callable[[str], None] = lambda line: None,
    should_stop: Callable[[], bool] = lambda: False,
    api: HuggingFaceDaily | None = None,
) -> list[DayResult]:
    """Read each day's list from Hugging Face and store it, one ingest run a day (so one day's error, a
    404 or a 5xx after the retries, is recorded on its run and the other days still land); upvote counts
    are timed at `read_at`. Stops between days when `should_stop()` says so."""
    api = api or HuggingFaceDaily()
    results = []
    for day in days:
        if should_stop():
            break
        before = UpvoteCount.objects.count()
        stats, _ = ingest(api.day(day, read_at), "hf-api", f"date={day}")
        result = DayResult(day, stats, UpvoteCount.objects.count() - before)
        write(result.line)
        for reason in stats.summary_lines()[1:]:
            if not reason.startswith("stopped:"):
                write(f"  {reason.strip()}")
        results.append(result)
    return results


def sync_hf(*, now: datetime, should_stop: Callable[[], bool], write: Callable[[str], None]) -> str:
    """The worker's job: today's and yesterday's lists (UTC days, as Hugging Face dates them), whose
    upvotes keep climbing. Returns a one-line summary; raises HfSyncError naming the days that failed,
    after storing the others."""
    api = HuggingFaceDaily(client=job_client(delay=settings.PAPERTIDE_HF_DELAY))
    results = sync_days(days_back(now.astimezone(UTC).date(), 2), now, write, should_stop, api)
    failed = [r.line for r in results if r.stats.error]
    if failed:
        raise HfSyncError("; ".join(failed))
    new = sum(r.stats.new for r in results)
    updated = sum(r.stats.updated for r in results)
    counts = sum(r.counts for r in results)
    days = ", ".join(str(r.day) for r in results)
    return f"Hugging Face {days}: {new} new, {updated} updated papers, {counts} upvote counts recorded"
