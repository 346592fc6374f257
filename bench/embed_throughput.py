"""Embedding throughput: every encoder candidate against fp32 sentence-transformers, in the same run.

All encode the same SciFact abstracts (title + text), in rounds: each round gives every encoder the next
slice of abstracts, so a change in the machine's load falls on all of them alike. Documents/s is given
twice: by the wall clock, and per CPU-second (time.process_time), which holds on a machine shared with
other work. Queries: encode p50 of single SciFact claims on one thread. Then the resident memory of a
web-like process (Django set up, the query encoder loaded, one query encoded) for each query candidate.

    .venv/bin/python bench/embed_throughput.py [--docs 256] [--threads 1] [--rounds 4]

To measure a CPU without AVX-512 on one that has it, limit the instruction sets torch, oneDNN, MKL and
FBGEMM use (ONNX Runtime has no such switch: its figures stay those of the real CPU):

    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 \\
        FBGEMM_ENABLE_INSTRUCTIONS=AVX2 .venv/bin/python bench/embed_throughput.py
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
SCIFACT = Path(__file__).resolve().parent.parent.parent / "shared/data/scifact"
REPO = Path(__file__).resolve().parent.parent

RSS_CODE = """
import django, sys
django.setup()
from django.conf import settings
settings.PAPERTIDE_QUERY_ENCODER = sys.argv[1]
from papertide.search.encoder import get_encoder
get_encoder("queries").encode(["protein structure prediction with language models"])
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) // 1024, "sentence_transformers" in sys.modules)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=256)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1, help="threads for documents (queries: one)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--data", default=str(SCIFACT))
    parser.add_argument(
        "--all", action="store_true", help="bf16 too where the CPU lacks it (about 7x slower than fp32 there)"
    )
    args = parser.parse_args()
    corpus, queries_file = Path(args.data) / "corpus.jsonl", Path(args.data) / "queries.jsonl"
    if not corpus.exists():
        sys.exit(f"benchmark data not found: {corpus}")

    import django

    django.setup()
    import numpy as np
    import torch
    from django.conf import settings

    from papertide.search import encoder

    texts = []
    with corpus.open() as f:
        for line in f:
            doc = json.loads(line)
            texts.append(encoder.document_text(doc.get("title", ""), doc["text"]))
            if len(texts) == args.docs:
                break
    with queries_file.open() as f:
        queries = [json.loads(line)["text"] for line, _ in zip(f, range(args.queries), strict=False)]

    limits = {
        v: os.environ[v]
        for v in (
            "ATEN_CPU_CAPABILITY",
            "ONEDNN_MAX_CPU_ISA",
            "MKL_ENABLE_INSTRUCTIONS",
            "FBGEMM_ENABLE_INSTRUCTIONS",
        )
        if v in os.environ
    }
    from importlib.metadata import version

    from papertide.search.calibration import _cpu_model

    print(
        f"CPU: {_cpu_model()}, {os.cpu_count()} cpus; "
        f"torch capability {torch.backends.cpu.get_cpu_capability()}, "
        f"native bf16 {encoder.native_bf16()}; limits {limits or 'none'}"
    )
    print(
        f"torch {torch.__version__}, onnxruntime {version('onnxruntime')}, "
        f"transformers {version('transformers')}, sentence-transformers {version('sentence-transformers')}; "
        f"documents on {args.threads} thread(s)"
    )

    with tempfile.TemporaryDirectory() as home:
        settings.HOME = Path(home)  # ONNX files made afresh: the export is timed too
        started = time.perf_counter()
        encoder.make_onnx_files()
        print(f"ONNX export, optimisation and int8 quantisation: {time.perf_counter() - started:.1f} s")
        torch.set_num_threads(args.threads)
        baseline = encoder.BaselineEncoder()
        candidates = {"baseline": baseline}
        # torch's int8 is measured even where the calibration leaves it out (no VNNI), to show why.
        measured = [c for c in encoder.CANDIDATES if c in encoder.supported() or c == "int8" or args.all]
        for candidate in measured:
            candidates[candidate] = encoder.load(candidate, args.threads)
        for model in candidates.values():
            model.encode(texts[:4])  # first calls: kernels chosen, memory allocated
        wall = dict.fromkeys(candidates, 0.0)
        cpu = dict.fromkeys(candidates, 0.0)
        vectors = {name: [] for name in candidates}
        size = -(-len(texts) // args.rounds)
        for start in range(0, len(texts), size):
            part = texts[start : start + size]
            for name, model in candidates.items():
                torch.set_num_threads(args.threads)
                t0, c0 = time.perf_counter(), time.process_time()
                vectors[name].append(model.encode(part))
                wall[name] += time.perf_counter() - t0
                cpu[name] += time.process_time() - c0
        reference = np.vstack(vectors["baseline"])

        print(f"calibration would measure: {', '.join(encoder.supported())}")
        print(f"\ndocuments: {len(texts):,} SciFact abstracts, {args.rounds} rounds")
        print(
            f"{'encoder':<10} {'docs/s':>7} {'ratio':>6} {'docs/CPU-s':>10} {'ratio':>6} {'min cos':>8} "
            f"{'query p50 ms':>12} {'CPU ms':>7}"
        )
        for name, model in candidates.items():
            agreement = (np.vstack(vectors[name]) * reference).sum(axis=1).min()
            torch.set_num_threads(1)
            single = model if name == "baseline" else encoder.load(name, 1)
            single.encode(queries[:3])
            times, cpu_times = [], []
            for query in queries:
                t0, c0 = time.perf_counter(), time.process_time()
                single.encode([query])
                times.append(time.perf_counter() - t0)
                cpu_times.append(time.process_time() - c0)
            print(
                f"{name:<10} {len(texts) / wall[name]:>7.1f} {wall['baseline'] / wall[name]:>5.2f}x "
                f"{len(texts) / cpu[name]:>10.1f} {cpu['baseline'] / cpu[name]:>5.2f}x {agreement:>8.4f} "
                f"{statistics.median(times) * 1000:>12.1f} {statistics.median(cpu_times) * 1000:>7.1f}"
            )

        print("\nweb process RSS with the query encoder loaded (Django set up, one query encoded):")
        for name in measured:
            env = {**os.environ, "PAPERTIDE_HOME": home, "PYTHONPATH": str(REPO)}
            out = subprocess.run(
                [sys.executable, "-c", RSS_CODE, name], env=env, capture_output=True, text=True, cwd=REPO
            )
            rss = out.stdout.split()
            print(
                f"  {name:<10} {rss[0] + ' MB' if rss else out.stderr[-200:]}"
                f"{'  (sentence-transformers imported)' if rss and rss[1] == 'True' else ''}"
            )


if __name__ == "__main__":
    main()
