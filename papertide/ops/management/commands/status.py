"""papertide status: the operator's view on the command line (what /status/ shows)."""

import json

from django.core.management.base import BaseCommand, CommandError

from papertide.ops.status import age, status


class Command(BaseCommand):
    help = (
        "Show the catalog, the jobs (last success, next run, errors), the workers, the embedding backlog, "
        "the digest outbox and GitHub's quota. Exits with status 1 when the service is not healthy."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", dest="machine", action="store_true", help="the health and the figures as JSON"
        )

    def handle(self, *args, machine: bool = False, **options):
        current = status()
        now = current.now

        def ago(when) -> str:
            return f"{age(now - when)} ago" if when else "never"

        if machine:
            self.stdout.write(self.as_json(current))
        else:
            health = current.health
            self.stdout.write("healthy" if health.ok else "NOT HEALTHY")
            for reason in health.reasons:
                self.stdout.write(f"  - {reason}")
            self.stdout.write(
                f"catalog: {current.papers:,} papers, {current.embedded:,} embedded, "
                f"{current.backlog:,} waiting to be embedded"
            )
            if current.newest:
                self.stdout.write(
                    f"newest: {current.newest.arxiv_id}, first seen {ago(current.newest.first_seen)}"
                )
            self.stdout.write("jobs:")
            for job in current.jobs:
                error = (
                    f"; last error {ago(job.last_failed_at)}: {job.last_error[:100]}" if job.failing else ""
                )
                self.stdout.write(
                    f"  {job.name:<16} last success {ago(job.last_succeeded_at)}, "
                    f"next {job.next_run_at:%Y-%m-%d %H:%M} UTC{error}"
                )
            for run in current.failed_imports:
                self.stdout.write(f"failed import {run.source} {ago(run.started_at)}: {run.message[:200]}")
            for worker in current.workers:
                doing = f", running {worker.current_job}" if worker.current_job else ""
                self.stdout.write(f"worker {worker.worker}: seen {ago(worker.seen_at)}{doing}")
            outbox = ", ".join(f"{state} {count:,}" for state, count in current.outbox.items()) or "empty"
            self.stdout.write(f"digest outbox: {outbox}")
            if current.github:
                remaining, limit, reset = current.github
                of = f" of {limit:,}" if limit is not None else ""
                at = f", reset {reset:%Y-%m-%d %H:%M} UTC" if reset else ""
                self.stdout.write(f"GitHub: {remaining:,}{of} requests left{at}")
        if not current.health.ok:
            raise CommandError("not healthy", returncode=1)

    @staticmethod
    def as_json(current) -> str:
        def when(value):
            return value.isoformat() if value else None

        return json.dumps(
            {
                "ok": current.health.ok,
                "reasons": current.health.reasons,
                "papers": current.papers,
                "embedded": current.embedded,
                "newest": current.newest.arxiv_id if current.newest else None,
                "jobs": {
                    job.name: {
                        "last_succeeded_at": when(job.last_succeeded_at),
                        "last_failed_at": when(job.last_failed_at),
                        "last_error": job.last_error,
                        "next_run_at": when(job.next_run_at),
                    }
                    for job in current.jobs
                },
                "workers": {w.worker: when(w.seen_at) for w in current.workers},
                "outbox": current.outbox,
                "github": None
                if current.github is None
                else dict(
                    zip(
                        ("remaining", "limit", "reset_at"),
                        (*current.github[:2], when(current.github[2])),
                        strict=True,
                    )
                ),
            },
            indent=2,
        )
