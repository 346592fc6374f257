"""Digest throughput: 10,000 confirmed subscribers with 1 to 3 saved searches each, over the real catalog,
composed and sent by `papertide digest send` to a local SMTP server (aiosmtpd, in this process).

Needs a PAPERTIDE_HOME whose catalog is imported and embedded (as for bench/search_latency.py): it is
copied, never changed. The saved searches are real paper titles from outside the period, each subscriber's
their own (about 20,000 distinct queries); their embeddings are computed before the clock starts, as they
are when a reader saves a search. The period is the catalog's busiest announcement day, 2026-06-02 (713
papers), first seen by the catalog when the daily harvest would have (see below); every digest is due on
2026-06-03 at 08:00 UTC.

    .venv/bin/python bench/digests.py --home /path/to/embedded-home [--subscribers 10000]
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

SEED = 20260603
DAY = "2026-06-02"
NOW = "2026-06-03T09:00+00:00"


class CountingInbox:
    def __init__(self):
        self.recipients: Counter = Counter()
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):
        self.recipients.update(envelope.rcpt_tos)
        self.bytes += len(envelope.content)
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_subscribers(n: int) -> tuple[int, int]:
    """n confirmed subscribers with 1 to 3 saved searches each; returns (subscribers, searches)."""
    from papertide.catalog.models import Paper
    from papertide.digests.models import SavedSearch, Subscription
    from papertide.search.encoder import get_encoder, model_name

    rng = random.Random(SEED)
    counts = [rng.randint(1, 3) for _ in range(n)]
    titles = list(Paper.objects.exclude(listed_on=DAY).order_by("id").values_list("title", flat=True))
    queries = [" ".join(t.split()) for t in rng.sample(titles, sum(counts))]
    confirmed = datetime(2026, 6, 1, tzinfo=UTC)
    frequencies = ["weekdays", "daily"]
    Subscription.objects.bulk_create(
        [
            Subscription(email=f"reader{i}@example.org", frequency=frequencies[i % 2], confirmed_at=confirmed)
            for i in range(n)
        ],
        batch_size=1000,
    )
    subscriptions = list(Subscription.objects.order_by("id").values_list("id", flat=True))
    print(f"encoding {len(queries):,} saved searches (not timed)", flush=True)
    encoder, model = get_encoder("queries"), model_name()
    vectors = []
    for start in range(0, len(queries), 256):
        vectors.extend(encoder.encode(queries[start : start + 256]))
    searches, q = [], 0
    for subscription, count in zip(subscriptions, counts, strict=True):
        for _ in range(count):
            searches.append(
                SavedSearch(
                    subscription_id=subscription, query=queries[q][:300], model=model, vector=vectors[q]
                )
            )
            q += 1
    SavedSearch.objects.bulk_create(searches, batch_size=1000)
    return len(subscriptions), len(searches)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True, help="a PAPERTIDE_HOME with the embedded catalog")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--send-empty",
        action="store_true",
        help="send digests with no paper too (PAPERTIDE_DIGEST_SKIP_EMPTY=false)",
    )
    args = parser.parse_args()
    source = Path(args.home) / "papertide.sqlite3"
    if not source.exists():
        sys.exit(f"no catalog at {source}")
    from aiosmtpd.controller import Controller

    with tempfile.TemporaryDirectory() as home:
        shutil.copy(source, Path(home) / "papertide.sqlite3")
        env = {k: v for k, v in os.environ.items() if not (k.startswith("PAPERTIDE_") or k == "DATABASE_URL")}
        env["PAPERTIDE_HOME"] = home
        papertide = str(Path(sys.executable).parent / "papertide")
        subprocess.run([papertide, "migrate", "-v0"], env=env, check=True)
        os.environ.update(PAPERTIDE_HOME=home, DJANGO_SETTINGS_MODULE="papertide.settings")
        os.environ.pop("DATABASE_URL", None)
        import django

        django.setup()
        from papertide.catalog.models import Paper
        from papertide.search.models import PaperVector

        papers, embedded = Paper.objects.count(), PaperVector.objects.count()
        # Digests take the papers first seen since the previous send time (2026-06-02 08:00 UTC here): the
        # day's papers as the daily harvest finds them, 30 minutes after arXiv's announcement (20:00 in New
        # York, 00:00 UTC).
        harvested = datetime(2026, 6, 3, 0, 30, tzinfo=UTC)
        period = Paper.objects.filter(listed_on=DAY).update(first_seen=harvested)
        subscribers, searches = make_subscribers(args.subscribers)
        from django.db import connections

        connections.close_all()

        inbox = CountingInbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        env.update(PAPERTIDE_EMAIL_HOST="127.0.0.1", PAPERTIDE_EMAIL_PORT=str(controller.port))
        if args.send_empty:
            env["PAPERTIDE_DIGEST_SKIP_EMPTY"] = "false"
        try:
            started = time.perf_counter()
            result = subprocess.run(
                ["/usr/bin/time", "-f", "%M", papertide, "digest", "send", "--no-progress", "--now", NOW],
                env=env,
                capture_output=True,
                text=True,
            )
            elapsed = time.perf_counter() - started
        finally:
            controller.stop()
        if result.returncode:
            sys.exit(result.stdout + result.stderr)
        sender_rss = int(result.stderr.strip().splitlines()[-1]) / 1024  # GNU time's %M: peak RSS in KiB
        messages = sum(inbox.recipients.values())
        print(
            f"catalog {papers:,} papers ({embedded:,} embedded); period {DAY}: {period:,} papers; "
            f"{subscribers:,} subscribers, {searches:,} saved searches"
        )
        print(f"digest send: {result.stdout.strip().splitlines()[-1]}")
        print(
            f"{messages:,} messages accepted by the SMTP server in {elapsed:.1f} s = "
            f"{messages / elapsed:.1f} messages/s; {len(inbox.recipients):,} distinct recipients, "
            "most to one: "
            f"{max(inbox.recipients.values(), default=0)}; {inbox.bytes / max(messages, 1) / 1024:.1f} KiB "
            f"a message; peak RSS of the sender {sender_rss:.0f} MB"
        )


if __name__ == "__main__":
    main()
