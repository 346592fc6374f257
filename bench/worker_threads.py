"""Worker threads: documents/s of the document encoder on 1 and 2 threads, alone and beside a web load.

The web load is WEB processes (as `papertide serve` starts two), each encoding real SciFact claims one
at a time with the query encoder on one thread, a query every PACE seconds (a busy site), and recording
each one's latency. The question is what the worker's thread count costs searches and what it gains.

    .venv/bin/python bench/worker_threads.py [--docs 96] [--web 2] [--pace 0.02]
"""

import argparse
import json
import multiprocessing
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
SCIFACT = Path(__file__).resolve().parent.parent.parent / "shared/data/scifact"


def web(queries: list[str], pace: float, stop, results) -> None:
    import django

    django.setup()
    from papertide.search.encoder import get_encoder

    model = get_encoder("queries")
    model.encode(queries[:3])
    times = []
    n = 0
    while not stop.is_set():
        started = time.perf_counter()
        model.encode([queries[n % len(queries)]])
        times.append(time.perf_counter() - started)
        n += 1
        time.sleep(max(0.0, pace - times[-1]))
    results.put(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=96)
    parser.add_argument("--web", type=int, default=2)
    parser.add_argument("--pace", type=float, default=0.02, help="seconds between a web process's queries")
    args = parser.parse_args()
    import django

    django.setup()
    from papertide.search import calibration, encoder

    texts = []
    with (SCIFACT / "corpus.jsonl").open() as f:
        for line, _ in zip(f, range(args.docs), strict=False):
            doc = json.loads(line)
            texts.append(encoder.document_text(doc["title"], doc["text"]))
    with (SCIFACT / "queries.jsonl").open() as f:
        queries = [json.loads(line)["text"] for line in f]
    documents, query_encoder = calibration.choice("documents"), calibration.choice("queries")
    print(f"{os.cpu_count()} cpus; documents: {documents}, queries: {query_encoder}; {args.docs} abstracts")
    print(f"web load: {args.web} processes, one query each every {args.pace * 1000:.0f} ms at most\n")
    print(f"{'worker threads':<15} {'web load':<9} {'docs/s':>7} {'query p50 ms':>12} {'p99 ms':>7}")
    context = multiprocessing.get_context("spawn")
    for loaded in (False, True):
        for threads in (0, 1, 2) if loaded else (1, 2):  # 0: no worker, the web load alone
            model = encoder.load(documents, max(threads, 1))
            model.encode(texts[:4])
            stop, results = context.Event(), context.Queue()
            processes = []
            if loaded:
                processes = [
                    context.Process(target=web, args=(queries, args.pace, stop, results))
                    for _ in range(args.web)
                ]
                for process in processes:
                    process.start()
                time.sleep(8)  # Django set up and the query model loaded
            started = time.perf_counter()
            if threads:
                model.encode(texts)
            else:
                time.sleep(15)
            rate = len(texts) / (time.perf_counter() - started) if threads else 0.0
            stop.set()
            latencies = sorted(t for _ in processes for t in results.get())
            for process in processes:
                process.join()
            p50 = f"{statistics.median(latencies) * 1000:12.1f}" if latencies else f"{'':>12}"
            p99 = f"{latencies[int(len(latencies) * 0.99)] * 1000:7.1f}" if latencies else ""
            rate = f"{rate:>7.1f}" if threads else f"{'':>7}"
            print(
                f"{threads or 'no worker':<15} {'yes' if loaded else 'no':<9} {rate} {p50} {p99}", flush=True
            )


if __name__ == "__main__":
    main()
