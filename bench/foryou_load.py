"""The for-you page over HTTP, and retraining one interest, on a catalog of the 74,727 listing papers.

Needs an imported and embedded home (see bench/search_latency.py for how one is made); it is copied, never
changed. In the copy, each paper's dates are moved so that the listing's last day is yesterday, as if the
daily harvest had brought each listing day on its own day (first_seen = the announcement evening): the
for-you page ranks "new papers of the period" by first_seen, and the import gave every paper one
first_seen. A reader gets five interests of 200 papers each: the best 200 keyword matches (the site's own
search) for five topics, trained by the site's training code; the training times are the retrain figure.

Then `papertide serve --workers 2` answers the for-you page (week and month) to two clients at a time;
latency is measured by the clients, request to last byte. The baseline, in the same run: the newest-papers
page, signed in, with the same clients.

    PAPERTIDE_HOME=bench-home .venv/bin/python bench/foryou_load.py [--requests 200]
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

TOPICS = [
    "diffusion models",
    "reinforcement learning",
    "graph neural networks",
    "large language models",
    "robot manipulation",
]

SETUP = """
import time, statistics
from datetime import timedelta
from django.db import connection
from django.db.models import Max
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from papertide.catalog.models import Paper
from papertide.library.models import Collection, Entry, Interest
from papertide.library import recommend
from papertide.search import engine
from papertide.search.query import Filters
from django.utils import timezone
import torch

last = Paper.objects.aggregate(day=Max("listed_on"))["day"]
shift = ((timezone.now().date() - timedelta(days=1)) - last).days
with connection.cursor() as cursor:  # SQLite's date functions: one statement for 74,727 rows
    cursor.execute(
        "UPDATE catalog_paper SET listed_on = date(listed_on, %s), "
        "first_seen = datetime(date(listed_on, %s), '+20 hours', '+30 minutes') WHERE listed_on IS NOT NULL",
        [f"+{shift} days", f"+{shift} days"],
    )
reader = User.objects.create_user("reader", "reader@example.org", "a long enough password")
times = []
for topic in TOPICS:
    ids = [i for i, _ in engine.keyword_top(topic, 200, Filters())]
    collection = Collection.create(reader, topic)
    Entry.objects.bulk_create(Entry(collection=collection, paper_id=i) for i in ids)
    interest = Interest.objects.create(owner=reader, name=topic, collection=collection)
    recommend.train(interest)  # the first, with the vectors loading
    for _ in range(5):
        started = time.perf_counter()
        recommend.train(interest)
        times.append(time.perf_counter() - started)
    print("interest", topic, interest.positives, "positives")
print("retrain ms median %.1f max %.1f (%d runs, cpu %s)" % (
    1000 * statistics.median(times), 1000 * max(times), len(times), torch.backends.cpu.get_cpu_capability()))
week = Paper.objects.new_between(timezone.now() - timedelta(days=7), timezone.now()).count()
month = Paper.objects.new_between(timezone.now() - timedelta(days=30), timezone.now()).count()
print("new papers: week", week, "month", month)
session = SessionStore()
session["_auth_user_id"] = str(reader.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = reader.get_session_auth_hash()
session.create()
print("session", session.session_key)
"""


def fetch(url: str, cookie: str) -> float:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as reply:
        reply.read()
        if reply.status != 200:
            raise RuntimeError(f"{url}: {reply.status}")
    return time.perf_counter() - started


def load(url: str, cookie: str, requests: int, clients: int = 2) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()

    def client(count: int) -> None:
        for _ in range(count):
            elapsed = fetch(url, cookie)
            with lock:
                times.append(elapsed)

    threads = [threading.Thread(target=client, args=(requests // clients,)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    pct = lambda q: 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return f"p50 {pct(0.5):.1f} ms, p95 {pct(0.95):.1f} ms, p99 {pct(0.99):.1f} ms ({len(times)} requests)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    source = Path(os.environ.get("PAPERTIDE_HOME", "")) / "papertide.sqlite3"
    if not source.exists():
        sys.exit("set PAPERTIDE_HOME to an imported and embedded home (see the docstring)")
    papertide = str(Path(sys.executable).parent / "papertide")
    with tempfile.TemporaryDirectory() as home:
        shutil.copy(source, Path(home) / "papertide.sqlite3")
        for name in ("secret.key", "encoders"):
            if (source.parent / name).is_dir():
                shutil.copytree(source.parent / name, Path(home) / name)
            elif (source.parent / name).exists():
                shutil.copy(source.parent / name, Path(home) / name)
        env = {**os.environ, "PAPERTIDE_HOME": home}
        env.pop("DATABASE_URL", None)
        subprocess.run([papertide, "migrate", "-v0"], env=env, check=True)
        out = subprocess.run(
            [papertide, "shell", "-c", f"TOPICS = {TOPICS!r}\n" + SETUP],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        print("".join(line + "\n" for line in out.splitlines() if not line.startswith("session")), end="")
        session = next(line.split()[1] for line in out.splitlines() if line.startswith("session "))
        server = subprocess.Popen(
            [papertide, "serve", "--bind", f"127.0.0.1:{args.port}", "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{args.port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(base + "/", timeout=5).read()
                    break
                except OSError:
                    time.sleep(0.2)
            pages = [("newest papers (baseline)", "/"), ("for-you, week", "/for-you/?period=week")]
            pages.append(("for-you, month", "/for-you/?period=month"))
            results = {}
            for name, path in pages:
                load(base + path, session, 20)  # warm-up: both workers load the vectors and templates
                results[name] = load(base + path, session, args.requests)
                print(f"{name}: {summary(results[name])}")
            baseline = statistics.median(results["newest papers (baseline)"])
            for name in list(results)[1:]:
                print(f"{name}: median {statistics.median(results[name]) / baseline:.2f}x the newest page")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()


if __name__ == "__main__":
    main()
