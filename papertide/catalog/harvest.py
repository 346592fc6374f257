"""arXiv, daily, with nothing missed: the harvest after each announcement and the weekly reconciliation.

arXiv announces new papers Sunday to Thursday at 20:00 US Eastern (PAPERTIDE_ARXIV_ANNOUNCE_TIME).
``harvest_arxiv`` runs after each announcement and asks OAI-PMH for the records of the configured
categories' archives (OAI sets are archives such as ``cs``; the records are filtered to the categories,
cross-lists included) changed since the last successful harvest, with a day of overlap because OAI-PMH
datestamps are days. When OAI-PMH fails it falls back to the arXiv API listing of the same days; when both
fail it raises, and the next run asks from the same day again. ``reconcile_arxiv`` re-reads the last
PAPERTIDE_ARXIV_RECONCILE_DAYS days once a week, for papers announced late or replaced.

Both are jobs (see the worker): everything goes through the one upsert path (services.ingest), which
writes page by page in short transactions while the network waits happen outside them; re-running changes
nothing. An OAI-PMH harvest cut short (a failure, or should_stop() on SIGTERM) keeps its resumption token
in its IngestRun, and the next run over the same days continues from there, as `papertide ingest oai` does.
Each harvest is recorded as an IngestRun of source "arxiv-daily" or "arxiv-reconcile" with the counts.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from .models import IngestRun
from .records import Checkpoint, PaperRecord, SourceError
from .services import IngestStats, ingest
from .sources.arxiv_api import ArxivAPI
from .sources.http import job_client
from .sources.oai_pmh import OAIHarvester, harvest_params

log = logging.getLogger("papertide.ingest")

ARXIV_ZONE = ZoneInfo("America/New_York")
ANNOUNCE_WEEKDAYS = (6, 0, 1, 2, 3)  # Sunday to Thursday (Monday is 0)
DAILY, RECONCILE = "arxiv-daily", "arxiv-reconcile"
OVERLAP = timedelta(days=1)  # OAI-PMH datestamps are days, in arXiv's time: re-read the last one
# Archives that arXiv's OAI-PMH offers as sets of their own; every other archive is a set under "physics".
TOP_LEVEL_SETS = {"cs", "econ", "eess", "math", "q-bio", "q-fin", "stat"}

Write = Callable[[str], None]
ShouldStop = Callable[[], bool]


# --- schedules --------------------------------------------------------------------------------------------


def announcement_on(day: date) -> datetime | None:
    """When arXiv announces on a day in New York (in UTC), or None on Fridays and Saturdays."""
    if day.weekday() not in ANNOUNCE_WEEKDAYS:
        return None
    return datetime.combine(day, settings.PAPERTIDE_ARXIV_ANNOUNCE_TIME, tzinfo=ARXIV_ZONE).astimezone(UTC)


def next_harvest_after(t: datetime) -> datetime:
    """After each arXiv announcement (Sunday to Thursday evenings, New York time).

    The first harvest time after t (UTC): PAPERTIDE_ARXIV_HARVEST_DELAY_MINUTES after an announcement,
    Sunday to Thursday at PAPERTIDE_ARXIV_ANNOUNCE_TIME in New York, whether summer time is on or not."""
    delay = timedelta(minutes=settings.PAPERTIDE_ARXIV_HARVEST_DELAY_MINUTES)
    day = (t - delay).astimezone(ARXIV_ZONE).date() - timedelta(days=1)
    while True:
        announced = announcement_on(day)
        # The delay is added in UTC: elapsed time, even across a change to or from summer time.
        if announced is not None and announced + delay > t:
            return announced + delay
        day += timedelta(days=1)


def previous_announcement(t: datetime) -> datetime:
    """The last announcement at or before t (UTC): what a harvest finished after t should have read."""
    day = t.astimezone(ARXIV_ZONE).date() + timedelta(days=1)
    while True:
        announced = announcement_on(day)
        if announced is not None and announced <= t:
            return announced
        day -= timedelta(days=1)


def next_reconcile_after(t: datetime) -> datetime:
    """Weekly (PAPERTIDE_ARXIV_RECONCILE_DAY at PAPERTIDE_ARXIV_RECONCILE_TIME, UTC).

    The first reconciliation time after t (by default Saturday 06:00 UTC, when arXiv announces nothing)."""
    weekday = settings.WEEKDAYS.index(settings.PAPERTIDE_ARXIV_RECONCILE_DAY)
    day = t.astimezone(UTC).date()
    while True:
        at = datetime.combine(day, settings.PAPERTIDE_ARXIV_RECONCILE_TIME, tzinfo=UTC)
        if day.weekday() == weekday and at > t:
            return at
        day += timedelta(days=1)


# --- the jobs ---------------------------------------------------------------------------------------------


def harvest_arxiv(*, now: datetime, should_stop: ShouldStop, write: Write) -> str:
    """New papers of PAPERTIDE_CATEGORIES since the last successful harvest (or reconciliation)."""
    return harvest(DAILY, harvest_start(now), now, should_stop, write)


def reconcile_arxiv(*, now: datetime, should_stop: ShouldStop, write: Write) -> str:
    """The last PAPERTIDE_ARXIV_RECONCILE_DAYS days again, for papers announced late or replaced."""
    since = now.astimezone(UTC).date() - timedelta(days=settings.PAPERTIDE_ARXIV_RECONCILE_DAYS)
    return harvest(RECONCILE, since, now, should_stop, write)


def last_harvest() -> datetime | None:
    """When the last successful harvest (daily or reconciliation) started, or None."""
    run = IngestRun.objects.filter(source__in=[DAILY, RECONCILE], state=IngestRun.DONE).first()
    return run.started_at if run else None


def harvest_start(now: datetime) -> date:
    """The first day to ask for: the day of the last successful harvest, less the overlap; without one,
    the last PAPERTIDE_IMPORT_DAYS days."""
    last = last_harvest()
    if last is None:
        return now.astimezone(UTC).date() - timedelta(days=settings.PAPERTIDE_IMPORT_DAYS)
    return last.astimezone(UTC).date() - OVERLAP


class Stopped(SourceError):
    """should_stop() said stop (SIGTERM): what was stored stays, and the next run continues from there."""


def harvest(kind: str, since: date, now: datetime, should_stop: ShouldStop, write: Write) -> str:
    """Harvest the configured categories from `since` on, through OAI-PMH, else the API listing."""
    categories = settings.PAPERTIDE_CATEGORIES
    summary = IngestRun.objects.create(source=kind, params=f"categories={' '.join(categories)} from={since}")
    write(f"{kind}: {', '.join(categories)} from {since}")
    stats = IngestStats()
    oai_failure = ""
    try:
        try:
            via = "OAI-PMH"
            for set_spec in oai_sets(categories):
                add(stats, oai_harvest(set_spec, since, categories, should_stop, write))
        except Stopped:
            raise
        except SourceError as exc:
            oai_failure = exc.short
            write(f"OAI-PMH failed ({oai_failure}); asking the arXiv API listing instead")
            log.warning("%s: OAI-PMH failed, falling back to the arXiv API: %s", kind, exc)
            via = "the arXiv API"
            add(stats, api_harvest(since, now, categories, should_stop, write))
    except Stopped:
        # Raised, not returned: a harvest cut short is no success (the health check goes by successes).
        problem = (
            f"stopped before the end ({stats.new:,} new, {stats.updated:,} updated so far); "
            "the next run continues from there"
        )
        finish(summary, stats, IngestRun.FAILED, problem)
        raise Stopped(problem) from None
    except SourceError as exc:
        problem = f"OAI-PMH failed ({oai_failure}), then the arXiv API: {exc}" if oai_failure else str(exc)
        finish(summary, stats, IngestRun.FAILED, problem)
        raise SourceError(problem, exc.short) from exc
    except Exception as exc:
        finish(summary, stats, IngestRun.FAILED, f"{type(exc).__name__}: {exc}")
        raise
    finish(summary, stats, IngestRun.DONE, f"via {via}")
    line = (
        f"{stats.new:,} new, {stats.updated:,} updated, {stats.unchanged:,} unchanged, "
        f"{stats.total_rejected:,} rejected from {since} via {via}"
    )
    write(line)
    return line


def finish(run: IngestRun, stats: IngestStats, state: str, message: str) -> None:
    run.state, run.message, run.finished_at = state, message, timezone.now()
    run.new, run.updated, run.unchanged, run.rejected = (
        stats.new,
        stats.updated,
        stats.unchanged,
        stats.total_rejected,
    )
    run.save()


def add(total: IngestStats, part: IngestStats) -> None:
    total.new += part.new
    total.updated += part.updated
    total.unchanged += part.unchanged
    total.rejected.update(part.rejected)


def oai_sets(categories: Iterable[str]) -> list[str]:
    """The OAI-PMH sets holding the categories: their archives, e.g. cs.CV -> cs, hep-th -> physics:hep-th."""
    sets = []
    for category in categories:
        archive = category.split(".", 1)[0]
        spec = archive if archive in TOP_LEVEL_SETS else f"physics:{archive}"
        if spec not in sets:
            sets.append(spec)
    return sets


def in_categories(stream: Iterable, categories: Iterable[str]) -> Iterator:
    """The stream without the papers of none of the categories (an OAI set is a whole archive)."""
    wanted = set(categories)
    for item in stream:
        if isinstance(item, PaperRecord) and not wanted.intersection(item.categories or ()):
            continue
        yield item


def until_stopped(stream: Iterable, should_stop: ShouldStop) -> Iterator:
    """The stream until should_stop() says stop: checked before each item, and right after a page's
    Checkpoint is stored, so that a stop asks for no further page."""
    for item in stream:
        if should_stop():
            raise Stopped("stopped on request")
        yield item
        if isinstance(item, Checkpoint) and should_stop():
            raise Stopped("stopped on request")


def oai_key(params: dict) -> str:
    """The IngestRun params of an OAI-PMH harvest: the request, as a stable key."""
    return " ".join(f"{k}={v}" for k, v in sorted(params.items()))


def resumable_run(key: str) -> IngestRun | None:
    """An OAI-PMH harvest of the same request that failed, or was killed mid-way (still "running"), after
    saving a resumption token: it can be continued."""
    return (
        IngestRun.objects.filter(
            source="oai-pmh", params=key, state__in=[IngestRun.FAILED, IngestRun.RUNNING]
        )
        .exclude(resume_token="")
        .first()
    )


def oai_harvest(
    set_spec: str, since: date, categories: list[str], should_stop: ShouldStop, write: Write
) -> IngestStats:
    # No "until": a harvest that fails asks the same request again, which resumes the saved token.
    params = harvest_params(set_spec, since, None)
    key = oai_key(params)
    run = resumable_run(key)
    if run is not None:
        write(f"resuming the OAI-PMH harvest of {run.started_at:%Y-%m-%d %H:%M} at record {run.cursor:,}")
        run.state = IngestRun.RUNNING
    stats = _oai_ingest(params, key, run, categories, should_stop, write)
    if run is not None and "badResumptionToken" in stats.error:
        write("the saved resumption token has expired; harvesting the set from the start")
        IngestRun.objects.filter(pk=run.pk).update(resume_token="")
        stats = _oai_ingest(params, key, None, categories, should_stop, write)
    if stats.error:
        raise (Stopped if should_stop() else SourceError)(stats.error, stats.error_short)
    write(f"OAI-PMH set {set_spec}: " + stats.summary_lines()[0])
    return stats


def _oai_ingest(params, key, run, categories, should_stop, write) -> IngestStats:
    stream = OAIHarvester(client=job_client()).harvest(
        params, resume_token=run.resume_token if run else "", cursor=run.cursor if run else 0
    )
    stats, _ = ingest(
        until_stopped(in_categories(_pages_written(stream, write), categories), should_stop),
        "oai-pmh",
        key,
        run=run,
        batch_size=settings.PAPERTIDE_INGEST_BATCH,
    )
    return stats


def _pages_written(stream: Iterable, write: Write) -> Iterator:
    """A progress line after each OAI-PMH page: a first harvest of an archive runs for many pages."""
    for item in stream:
        yield item
        if isinstance(item, Checkpoint) and item.token:
            total = f" of {item.total:,}" if item.total else ""
            write(f"  {item.cursor:,}{total} records read")


def api_harvest(
    since: date, now: datetime, categories: list[str], should_stop: ShouldStop, write: Write
) -> IngestStats:
    until = now.astimezone(UTC).date()
    stream = ArxivAPI(client=job_client()).recent(categories, since, until)
    stats, _ = ingest(
        until_stopped(stream, should_stop),
        "arxiv-api",
        f"categories={' '.join(categories)} from={since} until={until}",
        batch_size=settings.PAPERTIDE_INGEST_BATCH,
    )
    if stats.error:
        raise (Stopped if should_stop() else SourceError)(stats.error, stats.error_short)
    write("arXiv API listing: " + stats.summary_lines()[0])
    return stats
