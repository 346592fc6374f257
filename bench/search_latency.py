"""Search latency over HTTP against `papertide serve` (gunicorn), warm model, and web workers' peak RSS.

Run it against a catalog that is imported and embedded, e.g.

    PAPERTIDE_HOME=bench-home .venv/bin/papertide ingest snapshot ../shared/data/arxiv/listings-...jsonl.gz
    PAPERTIDE_HOME=bench-home .venv/bin/papertide embed
    PAPERTIDE_HOME=bench-home .venv/bin/python bench/search_latency.py

Queries: real ones, SciFact's claims (long natural-language questions) and titles of catalog papers, in a
fixed order. Each is sent once, one at a time, after every worker has answered warm-up queries (model and
vectors loaded). Latency is measured by the client, request to last byte.
"""

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

SCIFACT = Path(__file__).resolve().parent.parent.parent / "shared/data/scifact/queries.jsonl"


def search_url(base: str, query: str, mode: str) -> str:
    return f"{base}/api/papers/search?{urllib.parse.urlencode({'q': query, 'limit': 20, 'mode': mode})}"


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mode", default="hybrid")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
    import django

    django.setup()
    from papertide.catalog.models import Paper
    from papertide.search.embedding import coverage

    embedded, total = coverage()
    print(f"catalog: {total:,} papers, {embedded:,} embedded")
    rng = random.Random(7)
    titles = list(Paper.objects.order_by("?").values_list("title", flat=True)[: args.queries // 2])
    claims = [json.loads(line)["text"] for line in SCIFACT.open()] if SCIFACT.exists() else []
    queries = [" ".join(t.split()) for t in titles] + rng.sample(
        claims, min(len(claims), args.queries - len(titles))
    )
    rng.shuffle(queries)

    base = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "PAPERTIDE_ALLOWED_HOSTS": "127.0.0.1 localhost"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "papertide.cli",
            "serve",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                if get(base + "/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        for query in queries[:20] * 2:  # every worker loads the model and the vectors
            get(search_url(base, query, args.mode))
        latencies, errors = [], 0
        for query in queries:
            url = search_url(base, query, args.mode)
            started = time.perf_counter()
            status, _ = get(url)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += status != 200
        workers = [
            int(p)
            for p in subprocess.run(
                ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
            ).stdout.split()
        ]
        rss = [peak_rss_mb(p) for p in workers]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    latencies.sort()

    def p(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    print(
        f"{len(latencies)} {args.mode} queries over HTTP, limit 20, {args.workers} workers, errors {errors}"
    )
    print(f"p50 {p(0.50):.1f} ms  p90 {p(0.90):.1f} ms  p99 {p(0.99):.1f} ms  max {latencies[-1]:.1f} ms")
    print(f"mean {statistics.mean(latencies):.1f} ms")
    print("web workers' peak RSS: " + ", ".join(f"{r:.0f} MB" for r in rss))


if __name__ == "__main__":
    main()
