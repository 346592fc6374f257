"""papertide embed: embed every paper that has no vector of the configured model yet."""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from papertide.search import calibration
from papertide.search.embedding import clean_pending, embed_reporting, pending
from papertide.search.encoder import model_name


class Command(BaseCommand):
    help = (
        "Embed papers without a vector of the configured model (resumable). Progress on stderr: a bar on "
        "a terminal, else a line at least once a minute."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=256)
        parser.add_argument("--limit", type=int, help="embed at most this many papers")

    def handle(self, *args, batch_size, limit, **options):
        todo = pending().count()
        if limit is not None:
            todo = min(todo, limit)
        if todo:
            calibration.ensure(self.stderr.write)
        self.stderr.write(
            f"embedding {todo:,} papers with {model_name()} ({calibration.choice('documents')} encoder)"
        )
        with tqdm(total=todo, unit=" papers", file=sys.stderr, disable=None, dynamic_ncols=True) as bar:
            # Without a terminal (a log file, a service manager) tqdm draws nothing: lines say how it goes.
            done = embed_reporting(
                self.stderr.write if bar.disable else bar.write,
                batch_size,
                limit,
                on_progress=None if bar.disable else bar.update,
                every=None if bar.disable else float("inf"),
                total=todo,
            )
        self.stdout.write(f"{done:,} papers embedded")
        cleaned = clean_pending() if limit is None else 0
        if cleaned:
            self.stdout.write(f"display text cleaned for {cleaned:,} more papers")
