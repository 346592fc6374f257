"""The variants of the interest model tried on the *tune* half of `papertide eval recommend`'s readers
(docs/benchmarks.md, Recommendations): nDCG@20 of the logistic regression, the nearest-paper cosine and
their sums, on each reader's last week. The test half is never read here.

    PAPERTIDE_HOME=bench-home .venv/bin/python bench/recommend_tune.py hf --readers 1000
    PAPERTIDE_HOME=bench-home .venv/bin/python bench/recommend_tune.py authors --readers 250

Vectors as the command takes them (the catalog's, then --cache, else embedded and cached).
"""

import argparse
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

HF = "../shared/data/hf-daily-papers/2404589803_newsletter-chinese_2024-05_to_2026-08"
LISTINGS = "../shared/data/arxiv/listings-2025-03-to-2026-07.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("set", choices=("hf", "authors"))
    parser.add_argument("--readers", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", default="/tmp/pt-eval/cache")
    args = parser.parse_args()

    import django

    django.setup()
    import numpy as np
    import torch
    from sklearn.linear_model import LogisticRegression

    from papertide.library import evaluate as ev
    from papertide.library import recommend

    torch.set_num_threads(1)
    bench = ev.load_hf(HF) if args.set == "hf" else ev.load_authors(LISTINGS)
    queries = ev.make_queries(bench, "tune", weeks=1, readers=args.readers, seed=args.seed)
    vectors, sources = ev.vectors_for(bench.corpus, args.cache)
    print(f"{args.set}: {len(queries)} queries (tune half), vectors {sources}")
    systems = ev.Systems(bench, vectors, ["papertide"])

    def lr(positives, negatives, c):
        features = np.vstack([positives, negatives])
        labels = np.r_[np.ones(len(positives)), np.zeros(len(negatives))]
        weights = np.ones(len(features))
        weights[: len(positives)] *= len(negatives) / len(positives)
        return LogisticRegression(C=c, max_iter=300).fit(features, labels, sample_weight=weights)

    results: dict[str, list[float]] = {}

    def add(name, scores, query):
        results.setdefault(name, []).append(
            ev.metrics(ev.ranking(scores, query.candidates), query.relevant)[1]
        )

    for i, query in enumerate(queries):
        positives = vectors[query.history]
        negatives = vectors[systems.negatives(query, i)]
        candidates = vectors[query.candidates]
        knn = (candidates @ positives.T).max(axis=1)
        add("nearest paper alone", knn, query)
        knn_z = (knn - knn.mean()) / (knn.std() + 1e-9)
        for c in (1, 4):
            decision = lr(positives, negatives, c).decision_function(candidates)
            add(f"lr C={c}", decision, query)
            z = (decision - decision.mean()) / (decision.std() + 1e-9)
            add(f"lr C={c} + z-scored nearest", z + knn_z, query)
            for weight in (5, 10, 20, 40):
                add(f"lr C={c} + {weight} x nearest", decision + weight * knn, query)
        before = int(np.searchsorted(bench.corpus.weeks, query.week.toordinal()))
        pool = np.arange(max(0, before - recommend.RECENT_POOL), before)
        more = vectors[recommend.sample_recent(pool, query.history, 3000, seed=i)]
        decision = lr(positives, more, 1).decision_function(candidates)
        add("lr C=1, 3000 negatives", decision, query)
        for weight in (10, 20):
            add(f"lr C=1, 3000 negatives + {weight} x nearest", decision + weight * knn, query)
    for name, values in sorted(results.items(), key=lambda item: -np.mean(item[1])):
        print(f"{name:<42} nDCG@20 {np.mean(values):.4f}")


if __name__ == "__main__":
    main()
