"""papertide jobs: the table of the worker's jobs, and `papertide jobs run NAME` to run one now."""

import signal
import threading
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from papertide.ops import runner
from papertide.ops.jobs import JOBS
from papertide.ops.models import Job
from papertide.search.progress import duration

from .worker import selected


def when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = (moment - now).total_seconds()
    stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
    if abs(seconds) < 1:
        return f"{stamp} (now)"
    return f"{stamp} ({'in ' + duration(seconds) if seconds > 0 else duration(-seconds) + ' ago'})"


class Command(BaseCommand):
    help = "Show the worker's jobs (schedule, next run, last start, success and error), or run one now."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action")
        run = sub.add_parser("run", help="run a job now, recorded as the worker records it")
        run.add_argument("name")

    def handle(self, *args, action=None, name=None, **options):
        now = timezone.now()
        runner.sync(JOBS.values(), now)
        if action == "run":
            return self.run_now(name)
        rows = {job.name: job for job in Job.objects.filter(name__in=list(JOBS))}
        table = [("job", "schedule", "next run", "last start", "last success", "last error")]
        for job in JOBS.values():
            row = rows[job.name]
            next_run = when(row.next_run_at, now)
            if row.lease_until and row.lease_until >= now:
                next_run = f"running on {row.lease_owner}"
            error = ""
            if row.last_failed_at:
                error = f"{when(row.last_failed_at, now)}: {row.last_error[:80]}"
            table.append(
                (
                    job.name,
                    job.schedule_text,
                    next_run,
                    when(row.last_started_at, now),
                    when(row.last_succeeded_at, now),
                    error,
                )
            )
        widths = [max(len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
        for line in table:
            cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
            self.stdout.write("  ".join([*cells, line[-1]]).rstrip())
        for job in JOBS.values():
            if rows[job.name].failing:
                self.stdout.write(f"\n{job.name} failed last time:\n{rows[job.name].last_traceback.rstrip()}")

    def run_now(self, name: str) -> None:
        (job,) = selected([name])
        owner = runner.worker_name()
        if not runner.claim(job.name, owner, timezone.now(), force=True):
            row = Job.objects.get(name=job.name)
            until = f"{row.lease_until:%H:%M:%S}" if row.lease_until else "?"
            raise CommandError(f"{job.name} is running on {row.lease_owner} (its lease runs until {until})")
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        summary = runner.Runner([job], owner, self.stdout.write, stopping.is_set, heartbeat=False).run(job)
        if summary is None:
            raise CommandError(f"{job.name} failed: {Job.objects.get(name=job.name).last_error}")
