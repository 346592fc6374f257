"""papertide worker: the background loop: embeddings, display text, and the digests that are due."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from papertide.digests.delivery import send_due
from papertide.search.embedding import clean_pending, embed_reporting
from papertide.search.keyword_pg import refresh_when_due

DIGEST_EVERY = 60.0  # seconds between looks for due digests


class Command(BaseCommand):
    help = (
        "Run background work in a loop: embed new papers, fill display text, send due digests. "
        "Stops cleanly on SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="do what is pending, then exit")
        parser.add_argument("--sleep", type=float, default=5.0, help="seconds between polls when idle")
        parser.add_argument("--batch-size", type=int, default=64)

    def handle(self, *args, once, sleep, batch_size, **options):
        self.stopping = False
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.stdout.write("worker started")
        last_digests = 0.0
        while not self.stopping:
            if not connection.in_atomic_block:  # (inside a test's transaction there is nothing to renew)
                close_old_connections()
            # Small batches: a stop request waits at most one batch.
            done = embed_reporting(self.stdout.write, batch_size, should_stop=lambda: self.stopping)
            if done:
                self.stdout.write(f"embedded {done:,} papers")
            stats = refresh_when_due()  # PostgreSQL: which words are too common to rank
            if stats is not None:
                self.stdout.write(f"counted the papers of {stats:,} common words")
            cleaned = clean_pending(should_stop=lambda: self.stopping)
            if cleaned:
                self.stdout.write(f"cleaned the display text of {cleaned:,} papers")
            if once or time.monotonic() - last_digests >= DIGEST_EVERY:
                last_digests = time.monotonic()
                report = send_due(should_stop=lambda: self.stopping)
                if report.planned or report.sent or report.failed or report.retried:
                    self.stdout.write(f"digests: {report}")
            if once:
                break
            for _ in range(int(sleep * 10)):
                if self.stopping:
                    break
                time.sleep(0.1)
        self.stdout.write("worker stopped")

    def stop(self, *args):
        self.stopping = True
