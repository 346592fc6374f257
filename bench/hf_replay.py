"""Hugging Face replay: a month of real daily lists through `papertide ingest hf-api`, against importing
each day's last capture directly.

A local server answers `GET /api/daily_papers?date=D` with the real archived captures of the month
(../shared/data/hf-daily-papers/2404589803_newsletter-chinese_2024-05_to_2026-08/snapshots.jsonl.gz), each
day's captures in committed_at order, and `ingest hf-api --date D` reads one capture a time, with the
clock set to the capture's committed_at (time-machine), as the worker's sync would have read it. Then:

1. re-running the month (the server now answers each day's last capture, as Hugging Face would) must
   change nothing: no paper, entry, code link, upvote count or Hugging Face detail added or altered;
2. a fresh catalog importing each day's last capture directly must hold the same papers, daily lists
   (days and imported upvotes), code links and Hugging Face details.

Prints the counts, the duplicates found (none expected) and the comparison, on a fresh SQLite catalog.

    PYTHONPATH=. .venv/bin/python bench/hf_replay.py [YYYY-MM] [CAPTURES_FILE]
"""

import gzip
import io
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT = (
    ROOT.parent
    / "shared/data/hf-daily-papers/2404589803_newsletter-chinese_2024-05_to_2026-08/snapshots.jsonl.gz"
)


def read_month(path: Path, month: str) -> dict[str, list[dict]]:
    days: dict[str, list[dict]] = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            capture = json.loads(line)
            if capture["date"].startswith(month):
                days[capture["date"]].append(capture)
    for captures in days.values():
        captures.sort(key=lambda c: c["committed_at"])
    return dict(sorted(days.items()))


def when(capture: dict) -> datetime:
    return datetime.fromisoformat(capture["committed_at"].replace("Z", "+00:00")).astimezone(UTC)


def main() -> None:
    month = sys.argv[1] if len(sys.argv) > 1 else "2025-01"
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT
    if not path.exists():
        sys.exit(f"benchmark data not found: {path} (pass the captures file as the second argument)")
    home = tempfile.mkdtemp(prefix="hf-replay-")
    os.environ["PAPERTIDE_HOME"] = home
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "papertide.settings"
    import django

    django.setup()
    import time_machine
    import torch
    from django.conf import settings
    from django.core.management import call_command
    from django.db.models import Count

    from papertide.catalog.models import CodeLink, Paper
    from papertide.catalog.services import ingest
    from papertide.catalog.sources.hf_daily import entries
    from papertide.community.models import DailyEntry, HubPaper, UpvoteCount
    from tests.replay import ReplayServer, Reply

    call_command("migrate", verbosity=0)
    days = read_month(path, month)
    captures = sorted((c for cs in days.values() for c in cs), key=when)
    if not captures:
        sys.exit(f"no captures of {month} in {path}")
    settings.PAPERTIDE_HF_DELAY = 0.0

    def catalog() -> dict[str, list]:
        """The catalog and daily lists, as comparable rows (times of reading left out)."""
        return {
            "papers": sorted(
                Paper.objects.values_list("arxiv_id", "title", "abstract", "authors", "published")
            ),
            "entries": sorted(
                DailyEntry.objects.values_list("paper__arxiv_id", "day", "source", "imported_upvotes")
            ),
            "code links": sorted(CodeLink.objects.values_list("paper__arxiv_id", "url", "kind", "source")),
            "HF details": sorted(
                HubPaper.objects.values_list(
                    "paper__arxiv_id",
                    "ai_summary",
                    "ai_keywords",
                    "organization",
                    "num_comments",
                    "submitter",
                ),
                key=str,
            ),
        }

    def series() -> list:
        return sorted(UpvoteCount.objects.values_list("paper__arxiv_id", "at", "upvotes"))

    def duplicates() -> dict[str, int]:
        def twice(queryset, *fields):
            return queryset.values(*fields).annotate(n=Count("id")).filter(n__gt=1).count()

        return {
            "papers": twice(Paper.everything, "arxiv_id"),
            "entries": twice(DailyEntry.objects, "paper", "day"),
            "code links": twice(CodeLink.objects, "paper", "url"),
            "upvote counts": twice(UpvoteCount.objects, "paper", "at"),
        }

    def sync(day: str) -> None:
        call_command("ingest", "hf-api", "--date", day, stdout=io.StringIO(), stderr=io.StringIO())

    print(
        f"data: {path.name}, {month}: {len(days)} days, {len(captures)} captures, "
        f"{sum(len(c['response']) for c in captures):,} entries read"
    )
    print(f"machine: {os.cpu_count()} cores, CPU capability {torch.backends.cpu.get_cpu_capability()}")
    with ReplayServer() as server:
        settings.PAPERTIDE_HF_URL = server.url
        start = time.perf_counter()
        for capture in captures:  # each day's captures in committed_at order, read at that time
            server.add(
                "/api/daily_papers",
                {"date": capture["date"]},
                Reply(200, json.dumps(capture["response"]).encode()),
            )
            with time_machine.travel(when(capture), tick=True):
                sync(capture["date"])
        replay_s = time.perf_counter() - start
        replayed, replayed_series = catalog(), series()
        print(f"replay through ingest hf-api: {replay_s:.2f} s, {len(captures) / replay_s:.1f} requests/s")
        print(
            "  "
            + ", ".join(f"{len(rows):,} {name}" for name, rows in replayed.items())
            + f", {len(replayed_series):,} upvote counts"
        )
        print("  duplicates: " + ", ".join(f"{n} {name}" for name, n in duplicates().items()))

        # Re-running the month: Hugging Face now answers each day's last capture.
        start = time.perf_counter()
        for day, day_captures in days.items():
            server.add(
                "/api/daily_papers",
                {"date": day},
                Reply(200, json.dumps(day_captures[-1]["response"]).encode()),
            )
            sync(day)
        rerun_s = time.perf_counter() - start
        same = catalog() == replayed and series() == replayed_series
        print(f"re-running the month: {rerun_s:.2f} s; changes nothing: {same}")

    # A fresh catalog: each day's last capture imported directly.
    Paper.everything.all().delete()
    start = time.perf_counter()
    for day, day_captures in days.items():
        last = day_captures[-1]
        ingest(
            entries(last["response"], date.fromisoformat(day), when(last)),
            "hf-daily",
            f"last capture of {day}",
        )
    direct_s = time.perf_counter() - start
    direct = catalog()
    print(f"last capture of each day imported directly: {direct_s:.2f} s")
    print(
        "  "
        + ", ".join(f"{len(rows):,} {name}" for name, rows in direct.items())
        + f", {len(series()):,} upvote counts"
    )
    for name in replayed:
        print(f"  {name}: {'same' if replayed[name] == direct[name] else 'DIFFERENT'}")
    matches = all(replayed[name] == direct[name] for name in replayed)
    print(f"replay ends with the same catalog and daily lists as the direct import: {matches}")
    if not (same and matches and not any(duplicates().values())):
        sys.exit(1)


if __name__ == "__main__":
    main()
