"""The database's own write ceiling: writes through the model code with no HTTP in front, from several
processes at once, to see how far below it the site's writes (bench/writers_load.py) stay.

A fresh home imports the first PAPERS real listing records; PROCESSES processes (each its own connection,
as gunicorn workers have) then make writes as the views do, for SECONDS: an upvote (community.services
.set_vote), a comment (add_comment) and a save (library.saving.add), in turn, each a new one. Prints
writes/s, the latency of one write (p50, p99, max: a writer waiting for SQLite's lock waits here) and
errors ("database is locked" among them), then checks the rows against the writes counted.

    .venv/bin/python bench/writers_ceiling.py [--database sqlite|postgres] [--processes 4] [--seconds 20]
"""

import argparse
import gzip
import itertools
import multiprocessing
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTINGS = ROOT.parent / "shared/data/arxiv/listings-2025-03-to-2026-07.jsonl.gz"


def writer(n: int, processes: int, seconds: float, start_at: float, out) -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User

    from papertide.catalog.models import Paper
    from papertide.community.services import add_comment, set_vote
    from papertide.library import saving
    from papertide.library.models import Collection

    user = User.objects.get(username=f"ceiling{n}")
    papers = list(Paper.objects.order_by("id").values_list("id", flat=True))
    papers = [Paper(pk=pk) for pk in papers[n::processes]]
    reading_list = Collection.reading_list(user)
    latencies, errors, made = [], [], {"vote": 0, "comment": 0, "save": 0}
    while time.time() < start_at:
        time.sleep(0.01)
    deadline = time.monotonic() + seconds
    for i in itertools.count():
        if time.monotonic() > deadline:
            break
        paper = papers[(i // 3) % len(papers)]
        kind = ("vote", "comment", "save")[i % 3]
        started = time.perf_counter()
        try:
            if kind == "vote":
                set_vote(user, paper, True)
            elif kind == "comment":
                add_comment(user, paper, f"ceiling {n}-{i}")
            else:
                saving.add(reading_list, paper)
        except Exception as exc:  # noqa: BLE001 (counted and shown)
            errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            continue
        latencies.append(time.perf_counter() - started)
        if i // 3 < len(papers):  # a vote or a save of a paper already done is no new row
            made[kind] += 1
    out.put((latencies, errors, made))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--papers", type=int, default=20000)
    args = parser.parse_args()
    if not LISTINGS.exists():
        sys.exit(f"benchmark data not found: {LISTINGS}")
    with tempfile.TemporaryDirectory(prefix="ceiling-") as tmp:
        home = Path(tmp)
        os.environ.update(PAPERTIDE_HOME=str(home), PAPERTIDE_SECRET_KEY=secrets.token_urlsafe(40))
        os.environ.pop("DATABASE_URL", None)
        server = [sys.executable, str(ROOT / "tests/postgres_server.py")]
        if args.database == "postgres":
            uri = subprocess.run(
                [*server, "start", str(home / "pg")], check=True, capture_output=True, text=True
            )
            os.environ["DATABASE_URL"] = uri.stdout.strip()
        os.environ["DJANGO_SETTINGS_MODULE"] = "papertide.settings"
        try:
            run(args, home)
        finally:
            if args.database == "postgres":
                subprocess.run([*server, "stop", str(home / "pg")])


def run(args, home: Path) -> None:
    cli = [sys.executable, "-m", "papertide.cli"]
    subprocess.run([*cli, "migrate", "-v0"], check=True)
    subset = home / "listings.jsonl.gz"
    with gzip.open(LISTINGS, "rt") as source, gzip.open(subset, "wt") as out:
        out.writelines(itertools.islice(source, args.papers))
    subprocess.run([*cli, "ingest", "snapshot", str(subset)], check=True, capture_output=True)
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection

    from papertide.community.models import Comment, Vote
    from papertide.library.models import Entry

    users = User.objects.bulk_create([User(username=f"ceiling{n}") for n in range(args.processes)])
    connection.close()
    load_before = os.getloadavg()[0]
    spawn = multiprocessing.get_context("spawn")  # fresh processes, each its own connection
    queue = spawn.Queue()
    start_at = time.time() + 10  # every process set up before the first write
    workers = [
        spawn.Process(target=writer, args=(n, args.processes, args.seconds, start_at, queue))
        for n in range(args.processes)
    ]
    for w in workers:
        w.start()
    results = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    latencies = sorted(x * 1000 for r in results for x in r[0])
    errors = [e for r in results for e in r[1]]
    made = {k: sum(r[2][k] for r in results) for k in ("vote", "comment", "save")}
    users = list(User.objects.filter(username__startswith="ceiling"))
    held = {
        "vote": Vote.objects.filter(user__in=users).count(),
        "comment": Comment.objects.filter(user__in=users).count(),
        "save": Entry.objects.filter(collection__owner__in=users).count(),
    }

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    print(
        f"{args.database}: {args.processes} processes, {args.seconds:.0f} s, catalog {args.papers:,} listing "
        f"papers, {os.cpu_count()} cpus; load average before {load_before:.2f}, "
        f"after {os.getloadavg()[0]:.2f}"
    )
    print(
        f"writes {len(latencies):,} = {len(latencies) / args.seconds:.0f} writes/s; one write p50 "
        f"{pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, max {latencies[-1]:.0f} ms; errors {len(errors)}"
    )
    print(f"rows: made {made}, in the database {held}: {'same' if made == held else 'DIFFERENT'}")
    for e in errors[:5]:
        print("  e.g.", e)


if __name__ == "__main__":
    main()
