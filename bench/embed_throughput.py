"""Embedding throughput: papertide's document encoder against plain fp32 SentenceTransformer.encode.

Both encode the same SciFact abstracts (title + text) in the same run, so the ratio is robust to the
machine's noise. The one-off torch.compile warm-up of papertide's encoder is timed and printed apart.
Then (with --quality) both embed the whole SciFact corpus and the hybrid/dense nDCG@10 of each is
printed: the issue asks for the speed-up at no more than 0.005 nDCG@10 lost.

    .venv/bin/python bench/embed_throughput.py [--docs 1000] [--quality]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
SCIFACT = Path(__file__).resolve().parent.parent.parent / "shared/data/scifact"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--data", default=str(SCIFACT))
    parser.add_argument("--quality", action="store_true")
    args = parser.parse_args()
    corpus = Path(args.data) / "corpus.jsonl"
    if not corpus.exists():
        sys.exit(f"benchmark data not found: {corpus}")

    import django

    django.setup()
    import torch
    from sentence_transformers import SentenceTransformer

    from papertide.search.encoder import Encoder, document_text, model_path

    texts = []
    with corpus.open() as f:
        for line in f:
            doc = json.loads(line)
            texts.append(document_text(doc.get("title", ""), doc["text"]))
            if len(texts) == args.docs:
                break

    print(f"machine: {os.cpu_count()} cpus, torch {torch.__version__}, {torch.get_num_threads()} threads")
    baseline = SentenceTransformer(model_path(), device="cpu")
    baseline.encode(texts[:32])  # warm
    started = time.perf_counter()
    baseline.encode(texts, normalize_embeddings=True)
    base_rate = len(texts) / (time.perf_counter() - started)

    started = time.perf_counter()
    fast = Encoder("documents")
    fast.encode(texts[:64])  # compiles the model
    warm_up = time.perf_counter() - started
    started = time.perf_counter()
    fast.encode(texts)
    fast_rate = len(texts) / (time.perf_counter() - started)

    print(f"documents: {len(texts):,} SciFact abstracts (title + text)")
    print(f"baseline fp32 SentenceTransformer.encode : {base_rate:6.1f} docs/s")
    print(f"papertide bf16 + torch.compile, batch 8  : {fast_rate:6.1f} docs/s")
    print(f"  (plus a one-off compile warm-up of {warm_up:.0f} s per process)")
    print(f"speed-up: {fast_rate / base_rate:.2f}x")

    if args.quality:
        from papertide.search.beir import Evaluation, load

        data = load(args.data)
        for name, flag in (("fp32", False), ("papertide", True)):
            evaluation = Evaluation(data, fast=flag)
            dense = evaluation.evaluate("dense")["nDCG@10"]
            hybrid = evaluation.evaluate("hybrid")["nDCG@10"]
            print(
                f"SciFact {data.split} nDCG@10, {name} corpus vectors: dense {dense:.4f} hybrid {hybrid:.4f}"
            )


if __name__ == "__main__":
    main()
