"""GitHub signals: the repositories that papers link to, their stars over time, and the GitHub quota.

The worker runs `sync_github` every PAPERTIDE_GITHUB_INTERVAL seconds (ops.jobs). It links every
"github" code link to its Repository, then reads the stars of the repositories due (the papers of
recent daily lists first, then the rest, the longest unchecked first), a network request at a time, each
answer written in its own short transaction. A count is added to the repository's series only when it
changed, so a re-read adds nothing; `star_gain` and `star_velocity` read the series.
"""

import logging
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from .models import CodeLink, GitHubQuota, Repository, StarCount
from .series import series_gain, window_gains
from .sources.github import PRIMARY_WINDOW, GitHubClient, Quota, RateLimited, RepoAnswer

log = logging.getLogger("papertide.github")

# The GitHub quota is one row (the API's quota belongs to the token or address, not to a worker).
QUOTA_ROW = 1
# owner/name in a github.com link: an owner is letters, digits and hyphens; a name also has . and _.
REPO_URL = re.compile(
    r"^https?://(?:www\.)?github\.com/([a-z0-9](?:[a-z0-9-]{0,38}))/([a-z0-9._-]{1,100})(?:[/?#].*)?$",
    re.IGNORECASE,
)


def repository_name(url: str) -> str | None:
    """The lowercased "owner/name" of a GitHub repository link, or None when the URL names none."""
    match = REPO_URL.match(url.strip())
    if not match:
        return None
    owner, name = match.group(1), match.group(2).removesuffix(".git")
    if name in ("", ".", ".."):
        return None
    return f"{owner}/{name}".lower()


def link_repositories() -> int:
    """Give every "github" code link its Repository (made on first sight); return how many were linked.
    The upsert replaces a paper's links when its text changes, so this runs at the start of every sync."""
    pending = CodeLink.objects.filter(kind="github", repository__isnull=True).values_list("pk", "url")
    by_name: dict[str, list[int]] = {}
    for pk, url in pending:
        name = repository_name(url)
        if name:
            by_name.setdefault(name, []).append(pk)
    linked = 0
    names = list(by_name.items())
    for chunk in (names[i : i + 500] for i in range(0, len(names), 500)):
        with transaction.atomic():
            Repository.objects.bulk_create(
                [Repository(name=name) for name, _ in chunk], ignore_conflicts=True
            )
            ids = dict(Repository.objects.filter(name__in=[n for n, _ in chunk]).values_list("name", "pk"))
            links = [CodeLink(pk=pk, repository_id=ids[name]) for name, pks in chunk for pk in pks]
            CodeLink.objects.bulk_update(links, ["repository"], batch_size=500)
        linked += len(links)
    return linked


def due_repositories(now: datetime):
    """Repositories to read, in order: those of papers in the daily lists of the last
    PAPERTIDE_GITHUB_RECENT_DAYS days first, then the rest; in each, never read first, then the longest
    unchecked. A gone repository is asked again only after PAPERTIDE_GITHUB_GONE_DAYS days.

    The daily list is community's; it is reached through its relation name `daily_entries` (as
    annotate_votes does), since the catalog imports no app above it.
    """
    linked = CodeLink.objects.filter(repository=OuterRef("pk"), paper__synthetic=False)
    since = (now - timedelta(days=settings.PAPERTIDE_GITHUB_RECENT_DAYS)).date()
    recent = linked.filter(paper__daily_entries__day__gte=since)
    gone_until = now - timedelta(days=settings.PAPERTIDE_GITHUB_GONE_DAYS)
    return (
        Repository.objects.filter(Exists(linked))
        .exclude(state=Repository.GONE, checked_at__gt=gone_until)
        .annotate(recent=Exists(recent))
        .order_by("-recent", F("checked_at").asc(nulls_first=True), "pk")
    )


def sync_github(*, now: datetime, should_stop: Callable[[], bool], write: Callable[[str], None]) -> str:
    """Read the stars of the repositories due (at most PAPERTIDE_GITHUB_BATCH a run) and record them.

    Stops at a rate limit, remembering until when (GitHubQuota.paused_until): a run before then asks
    nothing. Raises SourceError when GitHub cannot be reached; what was read before that is kept.
    """
    linked = link_repositories()
    pause = github_pause(now)
    if pause:
        until, reason = pause
        return f"GitHub: waiting until {until:%Y-%m-%d %H:%M:%S} UTC ({reason}); {linked} links linked"
    due = list(due_repositories(now)[: settings.PAPERTIDE_GITHUB_BATCH])
    write(f"GitHub: {len(due)} repositories to read")
    client = GitHubClient()
    started = time.monotonic()

    def clock() -> datetime:  # the run's own time: `now` when it started, moving on with the run
        return now + timedelta(seconds=time.monotonic() - started)

    tally: Counter[str] = Counter()
    stop = ""
    for count, repository in enumerate(due, 1):
        if should_stop():
            stop = "asked to stop"
            break
        try:
            answer = client.repository(repository.full_name or repository.name, repository.etag, now=clock())
        except RateLimited as limit:
            _pause(limit.quota, limit.until, str(limit))
            stop = f"{limit}; waiting until {limit.until:%Y-%m-%d %H:%M:%S} UTC"
            break
        tally.update(record_answer(repository, answer, clock()))
        if answer.problem:
            write(f"GitHub {repository.name}: {answer.problem}; skipped")
        if answer.quota.spent:
            until = max(answer.quota.reset_at or clock() + PRIMARY_WINDOW, clock())
            _pause(answer.quota, until, "GitHub quota spent")
            stop = f"quota spent; waiting until {until:%Y-%m-%d %H:%M:%S} UTC"
            break
        if count % 100 == 0:
            write(f"GitHub: {count}/{len(due)} read")
    read = sum(n for outcome, n in tally.items() if outcome != "moved")
    details = ", ".join(f"{n} {k}" for k, n in sorted(tally.items()) if k != "moved")
    moved = f", {tally['moved']} moved" if tally["moved"] else ""
    quota = github_quota(clock())
    left = f"; quota {quota[0]}/{quota[1]}" if quota else ""
    summary = f"GitHub: {read} of {len(due)} repositories read ({details or 'none'}{moved}){left}"
    summary += f"; {linked} links linked" if linked else ""
    return f"{summary}; stopped: {stop}" if stop else summary


def record_answer(repository: Repository, answer: RepoAnswer, at: datetime) -> list[str]:
    """Write what GitHub answered for a repository, with the quota it reported, in one short
    transaction; return what happened ("changed", "same", "unchanged" for a 304, "gone", "private",
    "skipped" for an answer that is no repository, and "moved" besides when a redirect gave a new
    name)."""
    outcome = []
    with transaction.atomic():
        rows = Repository.objects.filter(pk=repository.pk)
        if answer.problem:
            log.warning("GitHub %s: %s", repository.name, answer.problem)
            rows.update(checked_at=at)  # to the back of the queue, not asked again at once
            outcome.append("skipped")
        elif answer.status == 304:
            rows.update(checked_at=at)
            outcome.append("unchanged")
        elif answer.status == 404:
            rows.update(state=Repository.GONE, etag="", checked_at=at)
            outcome.append("gone")
        elif answer.private:  # seen through the token: its stars are no public signal
            rows.update(state=Repository.PRIVATE, full_name=answer.full_name, etag=answer.etag, checked_at=at)
            outcome.append("private")
        else:
            assert answer.stars is not None  # a 200 always carries the count (sources/github.py)
            last = repository.star_counts.order_by("-at").values_list("stars", flat=True).first()
            if last != answer.stars:
                StarCount.objects.create(repository=repository, at=at, stars=answer.stars)
            rows.update(
                state=Repository.OK,
                full_name=answer.full_name,
                stars=answer.stars,
                etag=answer.etag,
                checked_at=at,
            )
            outcome.append("changed" if last != answer.stars else "same")
        if answer.moved and answer.full_name.lower() != repository.name:
            outcome.append("moved")
        _save_quota(answer.quota)
    return outcome


def _save_quota(quota: Quota) -> None:
    if quota.known:
        defaults = {"limit": quota.limit, "remaining": quota.remaining, "reset_at": quota.reset_at}
        GitHubQuota.objects.update_or_create(pk=QUOTA_ROW, defaults=defaults)


def _pause(quota: Quota, until: datetime, reason: str) -> None:
    log.warning("%s; the GitHub sync waits until %s", reason, until)
    defaults: dict = {"paused_until": until, "pause_reason": reason[:300]}
    if quota.known:
        defaults |= {"limit": quota.limit, "remaining": quota.remaining, "reset_at": quota.reset_at}
    GitHubQuota.objects.update_or_create(pk=QUOTA_ROW, defaults=defaults)


def github_quota(now: datetime | None = None) -> tuple[int, int | None, datetime | None] | None:
    """GitHub's quota as of `now`: (remaining, limit, reset_at) from the last answer's x-ratelimit-*
    headers, with the whole limit back once the reset time has passed; None before any answer."""
    now = now or timezone.now()
    row = GitHubQuota.objects.filter(pk=QUOTA_ROW).first()
    if row is None or row.remaining is None:
        return None
    if row.reset_at and row.reset_at <= now and row.limit is not None:
        return row.limit, row.limit, row.reset_at
    return row.remaining, row.limit, row.reset_at


def github_pause(now: datetime) -> tuple[datetime, str] | None:
    """(until, reason) while the sync waits after a rate limit, else None."""
    row = GitHubQuota.objects.filter(pk=QUOTA_ROW, paused_until__gt=now).first()
    return (row.paused_until, row.pause_reason) if row and row.paused_until else None


# --- Star velocity -------------------------------------------------------------------------------------


def velocity(stars_gained: int) -> float:
    """The log-scaled gain trending adds: log(1 + gain), a loss counting as no gain. Logarithmic because
    gains span orders of magnitude (a few stars to thousands a week) and a paper's interest does not."""
    return math.log1p(max(stars_gained, 0))


def star_gain(
    repository_or_series: Repository | Iterable[tuple[datetime, int]], now: datetime, days: int
) -> int:
    """Stars gained over the `days` days up to `now` (see `gain`), from a repository's series or from
    (time, stars) pairs in any order."""
    if isinstance(repository_or_series, Repository):
        return star_gains([repository_or_series.pk], now, days).get(repository_or_series.pk, 0)
    return series_gain(repository_or_series, now, days)


def star_velocity(
    repository_or_series: Repository | Iterable[tuple[datetime, int]], now: datetime, days: int | None = None
) -> float:
    """log(1 + stars gained over the last `days` days (PAPERTIDE_STAR_VELOCITY_DAYS)), losses as zero."""
    return velocity(star_gain(repository_or_series, now, days or settings.PAPERTIDE_STAR_VELOCITY_DAYS))


def star_gains(repository_ids: Iterable[int], now: datetime, days: int | None = None) -> dict[int, int]:
    """Stars gained by many repositories over the last `days` days, in one query (see `gain`)."""
    days = days or settings.PAPERTIDE_STAR_VELOCITY_DAYS
    repositories = Repository.objects.filter(pk__in=list(repository_ids))
    return window_gains(repositories, StarCount.objects.all(), "repository", "stars", now, days)


def paper_star_gains(paper_ids: Iterable[int], now: datetime, days: int | None = None) -> dict[int, int]:
    """Each paper's star gain over the last `days` days: the largest of its repositories' (a paper that
    links its own code and a library it builds on is as hot as its hottest). Papers without one are absent."""
    links = CodeLink.objects.filter(paper_id__in=list(paper_ids), repository__isnull=False)
    pairs = list(links.values_list("paper_id", "repository_id").distinct())
    gains = star_gains({repo for _, repo in pairs}, now, days)
    result: dict[int, int] = {}
    for paper, repo in pairs:
        result[paper] = max(result.get(paper, gains[repo]), gains[repo])
    return result
