"""`papertide eval recommend`: the metrics on a hand-checkable case of real paper ids, the histories and
their queries on the real data, and the command end to end on a small real sample of listing authors."""

import gzip
import io
import json
import random
from collections import defaultdict
from datetime import date

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from papertide.library import evaluate, recommend
from tests.conftest import data_path

LISTINGS = "arxiv/listings-2025-03-to-2026-07.jsonl.gz"
HF = "hf-daily-papers/2404589803_newsletter-chinese_2024-05_to_2026-08"


def test_metrics_on_real_ids_by_hand():
    # Two held-out papers; the ranking finds one at rank 1 and the other at rank 3 of 20.
    relevant = ["2503.13435", "2503.13459"]
    ranked = ["2503.13435", "2503.13440", "2503.13459"] + [f"2503.1350{i}" for i in range(17)]
    recall, ndcg = evaluate.metrics(ranked, relevant)
    assert recall == 1.0
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3)
    assert ndcg == pytest.approx(1.5 / (1 + 1 / np.log2(3)))
    # Only the second, at rank 21: outside the top 20, nothing counts.
    others = [f"2503.135{i:02d}" for i in range(20)]
    recall, ndcg = evaluate.metrics(others + ["2503.13459"], ["2503.13459"])
    assert (recall, ndcg) == (0.0, 0.0)
    assert evaluate.metrics(["2503.13440", "2503.13459"], relevant) == pytest.approx(
        (0.5, (1 / np.log2(3)) / (1 + 1 / np.log2(3)))
    )


def test_ranking_puts_the_best_scores_first():
    candidates = np.array([7, 3, 9, 4])
    assert evaluate.ranking(np.array([0.1, 0.9, 0.5, 0.9]), candidates, k=3) == [3, 4, 9]


def test_the_negatives_follow_the_sites_rule():
    pool = np.arange(100, 120)
    sample = recommend.sample_recent(pool, exclude=[100, 101], size=5, seed=3)
    assert len(set(sample)) == 5 and not {100, 101} & set(sample) and set(sample) <= set(range(102, 120))
    assert sample == recommend.sample_recent(pool, exclude=[100, 101], size=5, seed=3)
    assert sorted(recommend.sample_recent(pool, exclude=range(100, 117), size=5)) == [117, 118, 119]


def test_hugging_face_histories_predict_the_week_after():
    bench = evaluate.load_hf(data_path(HF))
    corpus = bench.corpus
    assert len(corpus) == 9877  # the archive's papers (data README)
    assert all(len(rows) >= 5 for rows in bench.readers.values())
    queries = evaluate.make_queries(bench, "all", weeks=2)
    assert queries
    for query in queries[:200]:
        week = query.week.toordinal()
        # history strictly before the week, held-out papers in it, candidates every paper of that week
        assert all(corpus.weeks[r] < week for r in query.history) and len(query.history) >= 3
        assert all(corpus.weeks[r] == week for r in query.relevant)
        assert set(query.relevant) <= set(query.candidates.tolist())
        assert (corpus.weeks[query.candidates] == week).all()
        assert len(query.candidates) == (corpus.weeks == week).sum()
    # the halves split the readers, and a query stays in its reader's half
    tune = {q.reader for q in evaluate.make_queries(bench, "tune")}
    test = {q.reader for q in evaluate.make_queries(bench, "test")}
    assert tune and test and not tune & test


@pytest.fixture(scope="module")
def small_listing(tmp_path_factory):
    """20 real authors with at least 8 papers in the spring of 2025 and, for each week of theirs, up to
    40 other real papers first listed that week (the candidates), in a listing file of the real format."""
    records = []
    with gzip.open(data_path(LISTINGS), "rt") as lines:
        for line in lines:
            record = json.loads(line)
            if record["first_listing_date"] < "2025-05-20":
                records.append(record)
    papers_of = defaultdict(list)
    for record in records:
        for name in record["authors"]:
            papers_of[name].append(record)
    authors = sorted(name for name, papers in papers_of.items() if 8 <= len(papers) <= 12)[:20]
    chosen = {r["id"]: r for name in authors for r in papers_of[name]}
    weeks = {evaluate.week_of(date.fromisoformat(r["first_listing_date"])) for r in chosen.values()}
    rng = random.Random(7)
    for week in sorted(weeks):
        others = [
            r
            for r in records
            if evaluate.week_of(date.fromisoformat(r["first_listing_date"])) == week and r["id"] not in chosen
        ]
        chosen.update((r["id"], r) for r in rng.sample(others, min(40, len(others))))
    path = tmp_path_factory.mktemp("listings") / "listings.jsonl.gz"
    with gzip.open(path, "wt") as out:
        out.writelines(json.dumps(r) + "\n" for r in chosen.values())
    return path, authors


@pytest.mark.django_db
def test_command_prints_the_table_for_every_system(small_listing, settings, tmp_path):
    settings.HOME = tmp_path
    path, authors = small_listing
    out = io.StringIO()
    call_command(
        "eval", "recommend", "--sets", "authors", "--listings", str(path), "--part", "all", "--json",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    report = json.loads(out.getvalue())
    figures = report["sets"]["authors"]
    assert report["cpu"] and report["k"] == 20
    assert figures["readers"] >= 15  # the 20 authors, less those without 3 papers before a week of theirs
    assert figures["vectors"]["embedded"] == figures["papers"]  # the test catalog is empty
    assert set(figures["figures"]) == set(evaluate.SYSTEMS)
    for values in figures["figures"].values():
        assert 0.0 <= values["nDCG@20"] <= 1.0 and 0.0 <= values["recall@20"] <= 1.0
    # an author's later papers are like their earlier ones: every learned ranking beats chance
    for system in ("papertide", "sanity", "centroid"):
        assert figures["figures"][system]["nDCG@20"] > figures["figures"]["random"]["nDCG@20"]
    assert (tmp_path / "cache").is_dir()  # the vectors it embedded, for the next run

    table = io.StringIO()
    call_command(
        "eval", "recommend", "--sets", "authors", "--listings", str(path), "--part", "all",
        "--systems", "papertide", "random", stdout=table, stderr=io.StringIO(),
    )  # fmt: skip
    lines = table.getvalue().splitlines()
    assert lines[0].startswith("CPU capability: ")
    assert lines[1].split()[:4] == ["set", "system", "recall@20", "nDCG@20"]
    assert [line.split()[1] for line in lines[2:]] == ["papertide", "random"]


def test_command_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("eval", "recommend", "--sets", "authors", "--listings", str(tmp_path / "none.jsonl.gz"))
