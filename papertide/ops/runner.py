"""Running the registered jobs (ops.jobs): each due job is claimed, run, and recorded in ops.models.Job.

A due job is claimed by one conditional UPDATE (due, and no lease or an expired one) that sets a lease:
on PostgreSQL the row's lock makes a second worker's UPDATE wait and then find the row no longer
matching, so any number of workers on any number of machines run each due run of a job once. The lease
is renewed while the job runs (each time it asks should_stop(), at most every tenth of the lease), and
cleared when the run is recorded with the next run's time; a worker that dies leaves a lease that runs
out, and the job runs again. Clocks of the machines must agree (NTP): due and expired are judged by each
worker's own clock.
"""

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import F, Q
from django.utils import timezone

from .jobs import Registered
from .models import Job, WorkerHeartbeat

log = logging.getLogger("papertide.jobs")


def worker_name() -> str:
    return f"{socket.gethostname()[:150]}:{os.getpid()}"


def lease() -> timedelta:
    return timedelta(seconds=settings.PAPERTIDE_JOB_LEASE_SECONDS)


def sync(jobs: Iterable[Registered], now: datetime) -> None:
    """Make the rows of jobs that have none (due at once), and bring forward a next run that a shorter
    period set since (the next run is stored when a run ends, with the period of that time)."""
    jobs = list(jobs)
    Job.objects.bulk_create([Job(name=j.name, next_run_at=now) for j in jobs], ignore_conflicts=True)
    ended = {
        name: max(filter(None, (succeeded, failed)), default=None)
        for name, succeeded, failed in Job.objects.filter(name__in=[j.name for j in jobs]).values_list(
            "name", "last_succeeded_at", "last_failed_at"
        )
    }
    for job in jobs:
        last = ended.get(job.name)
        if last is not None:
            sooner = job.schedule(last)
            Job.objects.filter(name=job.name, next_run_at__gt=sooner).update(next_run_at=sooner)


def claim(name: str, owner: str, now: datetime, force: bool = False) -> bool:
    """Take the job's lease for `owner` if it is due (or `force`: now, due or not) and nobody holds a
    live lease. True when this call took it."""
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    rows = Job.objects.filter(free, name=name)
    if not force:
        rows = rows.filter(next_run_at__lte=now)
    return rows.update(lease_owner=owner, lease_until=now + lease(), last_started_at=now) == 1


def beat(owner: str, started_at: datetime, current_job: str = "") -> None:
    """Write this worker's heartbeat."""
    now = timezone.now()
    fields = {"seen_at": now, "current_job": current_job}
    if not WorkerHeartbeat.objects.filter(worker=owner).update(**fields):
        WorkerHeartbeat.objects.create(worker=owner, started_at=started_at, **fields)


class Runner:
    """Runs jobs for one worker (`owner`), writing their progress and summaries to `write`."""

    def __init__(
        self,
        jobs: Iterable[Registered],
        owner: str,
        write: Callable[[str], None],
        should_stop: Callable[[], bool] = lambda: False,
        heartbeat: bool = True,
    ):
        self.jobs = {job.name: job for job in jobs}
        self.heartbeat = heartbeat  # a worker's; `papertide jobs run` is no worker and writes none
        self.owner, self.write, self.should_stop = owner, write, should_stop
        self.started_at = timezone.now()
        self.printed: dict[str, str] = {}  # the last summary written per job, not repeated when unchanged

    def beat(self, current_job: str = "") -> None:
        if self.heartbeat:
            beat(self.owner, self.started_at, current_job)

    def rows(self) -> list[Job]:
        return list(Job.objects.filter(name__in=list(self.jobs)).only("name", "next_run_at", "lease_until"))

    def due(self, rows: list[Job], now: datetime) -> list[Registered]:
        """Jobs due and free, the longest overdue first (ties: registry order)."""
        order = list(self.jobs)
        ready = [r for r in rows if r.next_run_at <= now and (r.lease_until is None or r.lease_until < now)]
        ready.sort(key=lambda r: (r.next_run_at, order.index(r.name)))
        return [self.jobs[r.name] for r in ready]

    def next_due(self, rows: list[Job]) -> datetime | None:
        """When the soonest job can run: its next run, or when another worker's lease on it runs out."""
        times = [max(r.next_run_at, r.lease_until or r.next_run_at) for r in rows]
        return min(times, default=None)

    def run_due(self) -> int:
        """Claim and run each due job once, until a stop request; returns how many ran."""
        ran = 0
        now = timezone.now()
        for job in self.due(self.rows(), now):
            if self.should_stop():
                break
            if claim(job.name, self.owner, timezone.now()):
                self.run(job)
                ran += 1
        return ran

    def run(self, job: Registered) -> str | None:
        """Run a job this worker holds the lease of, and record how it went: its summary, or None when
        it failed (logged with its traceback on `papertide.jobs` and kept on the job)."""
        started = timezone.now()
        clock = time.monotonic()
        renewed = clock
        lost = False
        self.beat(job.name)

        def should_stop() -> bool:
            nonlocal renewed, lost
            if not lost and time.monotonic() - renewed >= settings.PAPERTIDE_JOB_LEASE_SECONDS / 10:
                renewed = time.monotonic()
                now = timezone.now()
                held = Job.objects.filter(name=job.name, lease_owner=self.owner)
                lost = not held.update(lease_until=now + lease())
                if lost:
                    log.warning("%s: lease lost to another worker; stopping", job.name)
                self.beat(job.name)
            return lost or self.should_stop()

        def write(line: str) -> None:
            self.write(f"{job.name}: {line}")

        try:
            summary = job.run(now=started, should_stop=should_stop, write=write)
        except Exception as exc:
            log.exception("job %s failed", job.name)
            if not connection.in_atomic_block:
                close_old_connections()  # a connection the failure left unusable is replaced
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
            self.record(job, started, clock, last_error=error, tb=traceback.format_exc())
            self.write(f"{job.name}: failed: {error}")
            self.beat()
            return None
        summary = (str(summary or "").splitlines() or [""])[0][:1000]
        self.record(job, started, clock, last_summary=summary)
        if self.printed.get(job.name) != summary:
            self.printed[job.name] = summary
            self.write(f"{job.name}: {summary} ({time.monotonic() - clock:.1f} s)")
        self.beat()
        return summary

    def record(self, job: Registered, started: datetime, clock: float, tb: str = "", **outcome) -> None:
        finished = timezone.now()
        fields: dict = {
            "next_run_at": job.schedule(finished),
            "last_seconds": time.monotonic() - clock,
            "runs": F("runs") + 1,
        }
        if "last_error" in outcome:
            # A failed run is tried again within PAPERTIDE_JOB_RETRY_SECONDS, even when its schedule says
            # later: a harvest that met an arXiv hiccup at 20:30 must not wait for the next announcement.
            retry = finished + timedelta(seconds=settings.PAPERTIDE_JOB_RETRY_SECONDS)
            fields["next_run_at"] = min(fields["next_run_at"], retry)
            fields.update(
                last_failed_at=finished,
                last_error=outcome["last_error"],
                last_traceback=tb,
                failures=F("failures") + 1,
            )
        else:
            fields.update(last_succeeded_at=finished, last_summary=outcome["last_summary"])
        mine = Job.objects.filter(name=job.name, lease_owner=self.owner)
        if not mine.update(lease_owner="", lease_until=None, **fields):
            # Another worker took the job over after our lease ran out: its lease stays.
            log.warning("%s: finished after its lease ran out; recorded, lease left to its holder", job.name)
            Job.objects.filter(name=job.name).update(**fields)
