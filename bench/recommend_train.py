"""Time to retrain one interest with 200 papers, the site's way (issue 14: at most 100 ms).

Run it against a catalog that is imported and embedded, e.g.

    PAPERTIDE_HOME=bench-home .venv/bin/python bench/recommend_train.py

The interest: 200 real catalog papers about one topic (titles with the word, newest first); negatives: the
site's sample (recommend.recent_sample, NEGATIVE_SAMPLE of the RECENT_POOL newest papers). Vectors are in
memory (engine.catalog_vectors(), loaded before timing), one thread, as in a web process. Timed: the
vectors' look-up and recommend.fit (what recommend.train does besides its two database reads and one
write), and, as the baseline in the same run, the plain logistic regression that fit runs inside.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positives", type=int, default=200)
    parser.add_argument("--word", default="diffusion", help="the topic: a word of the papers' titles")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    import numpy as np
    import torch
    from sklearn.linear_model import LogisticRegression

    from papertide.catalog.models import Paper
    from papertide.library import recommend
    from papertide.search import engine

    torch.set_num_threads(1)
    vectors = engine.catalog_vectors()
    if len(vectors.row_of) < recommend.NEGATIVE_SAMPLE + args.positives:
        raise SystemExit("the catalog has too few vectors: import and embed the listing first")
    positive_ids = list(
        Paper.objects.filter(title__icontains=args.word)
        .order_by("-id")
        .values_list("id", flat=True)[: args.positives]
    )
    sample_ids = recommend.recent_sample(set(positive_ids), seed=1)

    def site() -> None:
        _, pos = vectors.vectors_of(positive_ids)
        _, sample = vectors.vectors_of(sample_ids)
        recommend.fit(pos, pos[:0], sample)

    _, pos = vectors.vectors_of(positive_ids)
    _, sample = vectors.vectors_of(sample_ids)

    def plain() -> None:
        features = np.vstack([pos, sample])
        labels = np.r_[np.ones(len(pos)), np.zeros(len(sample))]
        weights = np.r_[np.full(len(pos), len(sample) / len(pos)), np.ones(len(sample))]
        LogisticRegression(C=1.0, max_iter=300).fit(features, labels, sample_weight=weights)

    times: dict[str, list[float]] = {"fit (site)": [], "plain logistic regression": []}
    site(), plain()  # warm-up
    for _ in range(args.repeat):
        for name, run in (("fit (site)", site), ("plain logistic regression", plain)):
            started = time.perf_counter()
            run()
            times[name].append(1000 * (time.perf_counter() - started))
    print(f"CPU: {torch.backends.cpu.get_cpu_capability()}, torch threads {torch.get_num_threads()}")
    print(f"interest: {len(pos)} positives ('{args.word}'), {len(sample)} sampled negatives, 384 dims")
    for name, values in times.items():
        print(
            f"{name:<28} median {statistics.median(values):7.1f} ms   p90 "
            f"{sorted(values)[int(0.9 * len(values)) - 1]:7.1f} ms   ({len(values)} runs)"
        )
    ratio = statistics.median(times["fit (site)"]) / statistics.median(times["plain logistic regression"])
    print(f"fit / plain (same run): {ratio:.2f}x")


if __name__ == "__main__":
    main()
