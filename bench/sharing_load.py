"""Sharing the machine: the worker embedding while the site answers searches, each measured alone first.

`papertide serve` (its default 2 web workers) and `papertide worker` run in one session, as `make run`
starts them. Three phases on one catalog (a bench home with the listing papers imported and embedded):
  1. search alone (the worker idle): CLIENTS concurrent clients send hybrid searches over HTTP for
     SECONDS; latency per request, measured by the client.
  2. worker alone: the vectors of some papers are removed (the same papers are embedded again, so the
     home ends as it began), and the worker embeds them; its rate from the vector count.
  3. both at once: the clients again while the worker goes on embedding.
Then the worker finishes what is left. The figures to read are the ratios: search p99 together / alone
(target at most 2) and the worker's rate together / alone (target at least 0.5).

    PAPERTIDE_HOME=bench-home .venv/bin/python bench/sharing_load.py [--clients 8] [--seconds 40]
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_latency import SCIFACT, get, search_url  # noqa: E402


def start_site(port: int, log: Path, **env_vars: str) -> subprocess.Popen:
    """`papertide serve` and `papertide worker` in one session, as `make run` starts them: the scheduler
    (autogroups) shares the CPU between sessions first, so a worker's nice value only ranks it below web
    processes of its own session."""
    env = {**os.environ, "PAPERTIDE_ALLOWED_HOSTS": "127.0.0.1 localhost", **env_vars}
    papertide = f"{sys.executable} -m papertide.cli"
    script = f"{papertide} serve --bind 127.0.0.1:{port} & {papertide} worker & wait"
    return subprocess.Popen(
        ["sh", "-c", script], env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=120)


def load(base: str, queries: list[str], clients: int, seconds: float) -> tuple[list[float], int]:
    """CLIENTS threads, each sending the next query as soon as the last answered, for SECONDS."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        n = offset
        while time.monotonic() < deadline:
            url = search_url(base, queries[n % len(queries)], "hybrid")
            started = time.perf_counter()
            status, _ = get(url)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors[0] += status != 200
            n += clients

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(latencies), errors[0]


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--papers", type=int, default=3500, help="vectors removed for the worker to remake")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--worker-nice", help="PAPERTIDE_WORKER_NICE for the worker (default: the setting's)")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
    import django

    django.setup()
    import torch
    from django.db import connection
    from django.utils import timezone

    from papertide.catalog.models import Paper
    from papertide.ops.models import Job
    from papertide.search.embedding import coverage
    from papertide.search.models import PaperVector

    embedded, total = coverage()
    print(f"{os.cpu_count()} cpus, {torch.backends.cpu.get_cpu_capability()}; catalog {total:,} papers")
    print(f"{embedded:,} embedded; load average {os.getloadavg()[0]:.2f}")
    rng = random.Random(7)
    titles = [" ".join(t.split()) for t in Paper.objects.order_by("?").values_list("title", flat=True)[:200]]
    claims = [json.loads(line)["text"] for line in SCIFACT.open()] if SCIFACT.exists() else []
    queries = titles + rng.sample(claims, min(200, len(claims)))
    rng.shuffle(queries)
    logs = Path(os.environ.get("PAPERTIDE_HOME", "var"))

    base = f"http://127.0.0.1:{args.port}"
    nice = {"PAPERTIDE_WORKER_NICE": args.worker_nice} if args.worker_nice is not None else {}
    site = start_site(args.port, logs / "bench-site.log", **nice)
    try:
        for _ in range(300):
            try:
                if get(base + "/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        # The worker's first round (its network jobs fail fast offline) is over and nothing is left to
        # embed: from here it is idle.
        started = timezone.now()
        while not Job.objects.filter(name="embedding", last_succeeded_at__gt=started).exists():
            time.sleep(1)
        connection.close()
        if coverage()[0] < total:
            sys.exit("papers are left to embed: run `papertide embed` on this home first")
        load(base, queries, args.clients, 10)  # every web worker loads the model and the vectors

        alone, errors_alone = load(base, queries, args.clients, args.seconds)

        removed = list(PaperVector.objects.order_by("?").values_list("paper_id", flat=True)[: args.papers])
        PaperVector.objects.filter(paper_id__in=removed).delete()
        connection.close()

        def vectors() -> int:
            count = PaperVector.objects.count()
            connection.close()
            return count

        first = vectors()
        while vectors() == first:  # the worker has loaded its model and stored a first batch
            time.sleep(0.5)
        t0, n0 = time.monotonic(), vectors()
        time.sleep(args.seconds)
        t1, n1 = time.monotonic(), vectors()
        rate_alone = (n1 - n0) / (t1 - t0)

        together, errors_together = load(base, queries, args.clients, args.seconds)
        t2, n2 = time.monotonic(), vectors()
        rate_together = (n2 - n1) / (t2 - t1)
        if n2 - first >= args.papers:
            print("warning: the worker ran out of papers during the shared phase; use more --papers")
        while vectors() < total and site.poll() is None:  # leave the home as it was
            time.sleep(2)
    finally:
        stop(site)

    def line(name: str, latencies: list[float], errors: int) -> str:
        rate = len(latencies) / args.seconds
        return (
            f"{name}: {len(latencies)} searches, {rate:.1f}/s, p50 {percentile(latencies, 0.5):.0f} ms, "
            f"p90 {percentile(latencies, 0.9):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms, "
            f"errors {errors}"
        )

    from django.conf import settings

    nice = args.worker_nice if args.worker_nice is not None else settings.PAPERTIDE_WORKER_NICE
    print(
        f"{args.clients} clients, {args.seconds:.0f} s a phase, hybrid search, limit 20, worker nice {nice}"
    )
    print(line("search alone", alone, errors_alone))
    print(line("search beside the worker", together, errors_together))
    print(f"worker alone {rate_alone:.1f} papers/s, beside the searches {rate_together:.1f} papers/s")
    p99_ratio = percentile(together, 0.99) / percentile(alone, 0.99)
    print(f"search p99 ratio {p99_ratio:.2f} (target <= 2)")
    print(f"worker rate ratio {rate_together / rate_alone:.2f} (target >= 0.5)")
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
