"""papertide worker: the background loop that runs the registered jobs (ops.jobs) when they are due."""

import logging
import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from papertide.ops import runner
from papertide.ops.jobs import JOBS, Registered

log = logging.getLogger("papertide.jobs")


def selected(names: list[str] | None) -> list[Registered]:
    """The registered jobs by these names (all when none), or a CommandError listing the names."""
    if not names:
        return list(JOBS.values())
    unknown = [name for name in names if name not in JOBS]
    if unknown:
        raise CommandError(f"no job named {', '.join(unknown)}; the jobs are: {', '.join(JOBS)}")
    return [JOBS[name] for name in names]


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (embedding, display text, keyword stats, digests, housekeeping...) when "
        "they are due, in a loop. Stops after the job in hand on SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run the jobs that are due, then exit")
        parser.add_argument("--jobs", nargs="+", metavar="NAME", help="run only these jobs")
        parser.add_argument("--sleep", type=float, help="longest sleep between looks (s), for this run")
        parser.add_argument("--batch-size", type=int, help="papers per embedding batch, for this run")

    def handle(self, *args, once, jobs, sleep, batch_size, **options):
        chosen = selected(jobs)
        if settings.PAPERTIDE_WORKER_NICE:
            os.nice(settings.PAPERTIDE_WORKER_NICE)  # web processes first on a shared machine
        configured = settings.PAPERTIDE_EMBEDDING_BATCH
        settings.PAPERTIDE_EMBEDDING_BATCH = batch_size or configured  # for this run only
        try:
            self.loop(chosen, once, sleep)
        finally:
            settings.PAPERTIDE_EMBEDDING_BATCH = configured

    def loop(self, chosen: list[Registered], once: bool, sleep: float | None) -> None:
        poll = sleep if sleep is not None else settings.PAPERTIDE_WORKER_POLL_SECONDS
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())

        owner = runner.worker_name()
        work = runner.Runner(chosen, owner, write=self.stdout.write, should_stop=stopping.is_set)
        runner.sync(chosen, timezone.now())
        self.stdout.write(f"worker {owner} started: {', '.join(job.name for job in chosen)}")
        while not stopping.is_set():
            if not connection.in_atomic_block:  # (inside a test's transaction there is nothing to renew)
                close_old_connections()
            try:
                work.beat()
                work.run_due()
                soonest = work.next_due(work.rows())
            except DatabaseError:  # the database restarting, say: the worker waits and tries again
                if once:
                    raise
                log.exception("worker pass failed; trying again in %.0f s", poll)
                soonest = None
            if once:
                break
            wait = poll if soonest is None else (soonest - timezone.now()).total_seconds()
            # Woken at once by SIGTERM; never a busy loop on a job another worker holds.
            stopping.wait(min(max(wait, 0.1), poll))
        self.stdout.write("worker stopped")
