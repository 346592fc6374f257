"""What an operator needs to know at a glance (`/status/`, `papertide status`), and whether the service is
healthy (`/healthz`, for load balancers and uptime monitors).

Healthy means: the database answers, a worker reported itself within PAPERTIDE_HEALTH_HEARTBEAT_SECONDS,
and no arXiv harvest is overdue: every announcement older than PAPERTIDE_HEALTH_HARVEST_GRACE_HOURS was
followed by a successful harvest. On weekdays that is "the last harvest is under 36 hours old" (24 hours
between announcements plus 12 of grace); over arXiv's weekend, without announcements, it stays healthy.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Max
from django.utils import timezone

from papertide.catalog.github import github_quota
from papertide.catalog.harvest import previous_announcement
from papertide.catalog.models import IngestRun, Paper
from papertide.digests.models import Digest
from papertide.search.embedding import coverage

from .models import Job, WorkerHeartbeat

HARVEST_JOB = "arxiv"


@dataclass
class Health:
    ok: bool
    reasons: list[str] = field(default_factory=list)


def health(now: datetime | None = None) -> Health:
    """The service's health; each reason says what is wrong, in words an operator can act on."""
    now = now or timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return Health(False, [f"the database does not answer: {exc}"])
    reasons = []
    beat = WorkerHeartbeat.freshest()
    limit = settings.PAPERTIDE_HEALTH_HEARTBEAT_SECONDS
    if beat is None:
        reasons.append("no worker has ever run (start `papertide worker`)")
    elif (now - beat).total_seconds() > limit:
        reasons.append(f"no worker has reported for {age(now - beat)} (more than {limit:,.0f} s)")
    harvested = Job.objects.filter(name=HARVEST_JOB).values_list("last_succeeded_at", flat=True).first()
    due = previous_announcement(now - timedelta(hours=settings.PAPERTIDE_HEALTH_HARVEST_GRACE_HOURS))
    if harvested is None:
        reasons.append("arXiv has never been harvested")
    elif harvested < due:
        reasons.append(
            f"the last arXiv harvest is {age(now - harvested)} old: the announcement of "
            f"{due:%Y-%m-%d %H:%M} UTC was not harvested"
        )
    return Health(not reasons, reasons)


def age(delta: timedelta) -> str:
    """A duration in its largest sensible unit: 45 s, 12 min, 5.2 h, 3.1 days."""
    seconds = max(delta.total_seconds(), 0.0)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


@dataclass
class Status:
    now: datetime
    health: Health
    papers: int
    newest: Paper | None
    embedded: int
    jobs: list[Job]
    failures: list[Job]
    failed_imports: list[IngestRun]
    workers: list[WorkerHeartbeat]
    outbox: dict[str, int]
    github: tuple[int, int | None, datetime | None] | None

    @property
    def backlog(self) -> int:
        return self.papers - self.embedded


def status(now: datetime | None = None) -> Status:
    """Everything /status/ and `papertide status` show, read now."""
    now = now or timezone.now()
    embedded, papers = coverage()
    newest_seen = Paper.objects.aggregate(latest=Max("first_seen"))["latest"]
    newest = (
        Paper.objects.filter(first_seen=newest_seen).order_by("-arxiv_id").first() if newest_seen else None
    )
    jobs = list(Job.objects.order_by("name"))
    week_ago = now - timedelta(days=7)
    return Status(
        now=now,
        health=health(now),
        papers=papers,
        newest=newest,
        embedded=embedded,
        jobs=jobs,
        failures=[job for job in jobs if job.last_failed_at and job.last_failed_at >= week_ago],
        failed_imports=(
            IngestRun.objects.filter(started_at__gte=week_ago).interrupted()
            + list(IngestRun.objects.filter(state=IngestRun.FAILED, started_at__gte=week_ago)[:10])
        ),
        workers=list(WorkerHeartbeat.objects.order_by("-seen_at")[:20]),
        outbox=dict(Digest.objects.values_list("state").annotate(n=Count("id")).order_by("state")),
        github=github_quota(),
    )
