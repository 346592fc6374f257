"""papertide embed: embed every paper that has no vector of the configured model yet."""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from papertide.search.embedding import clean_pending, embed_pending, pending
from papertide.search.encoder import model_name


class Command(BaseCommand):
    help = "Embed papers without a vector of the configured model (resumable; progress on stderr)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=256)
        parser.add_argument("--limit", type=int, help="embed at most this many papers")

    def handle(self, *args, batch_size, limit, **options):
        todo = pending().count()
        if limit is not None:
            todo = min(todo, limit)
        self.stderr.write(f"embedding {todo:,} papers with {model_name()}")
        with tqdm(total=todo, unit=" papers", file=sys.stderr, disable=None, dynamic_ncols=True) as bar:
            done = embed_pending(batch_size=batch_size, limit=limit, on_progress=bar.update)
        self.stdout.write(f"{done:,} papers embedded")
        cleaned = clean_pending() if limit is None else 0
        if cleaned:
            self.stdout.write(f"display text cleaned for {cleaned:,} more papers")
