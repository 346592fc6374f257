"""The real archived Hugging Face daily-papers captures, and a local server replaying them as the API.

Each line of the captures file is one `GET /api/daily_papers?date=D` response as a bot saved it, with the
day asked for (`date`) and when it was saved (`committed_at`). Read once per test process.
"""

import gzip
import json
from collections import defaultdict
from datetime import UTC, datetime
from functools import cache

from tests.conftest import data_path
from tests.replay import ReplayServer, Reply

CAPTURES = "hf-daily-papers/2404589803_newsletter-chinese_2024-05_to_2026-08/snapshots.jsonl.gz"
PATH = "/api/daily_papers"


@cache
def _all() -> dict[str, list[dict]]:
    days: dict[str, list[dict]] = defaultdict(list)
    with gzip.open(data_path(CAPTURES), "rt", encoding="utf-8") as f:
        for line in f:
            capture = json.loads(line)
            days[capture["date"]].append(capture)
    for captures in days.values():
        captures.sort(key=lambda c: c["committed_at"])
    return dict(days)


def captures(day: str) -> list[dict]:
    """The captures of one day, oldest first (the test is skipped when the data is absent)."""
    return _all()[day]


def all_days() -> dict[str, list[dict]]:
    return _all()


def committed_at(capture: dict) -> datetime:
    return datetime.fromisoformat(capture["committed_at"].replace("Z", "+00:00")).astimezone(UTC)


def body(capture: dict) -> bytes:
    return json.dumps(capture["response"]).encode()


def serve(server: ReplayServer, day: str, *replies: dict | Reply) -> None:
    """Answer the day's request with these captures (or replies) in turn; the last one repeats."""
    server.add(PATH, {"date": day}, *(r if isinstance(r, Reply) else Reply(200, body(r)) for r in replies))


def write_captures(path, lines: list[dict]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for capture in lines:
            f.write(json.dumps(capture) + "\n")
