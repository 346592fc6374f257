"""`papertide eval beir`: metrics, the pipeline on a real SciFact subset, and bad folders."""

import io
import json
import random
import shutil

import pytest
from django.core.management import CommandError, call_command

from papertide.search.beir import mrr_at, ndcg_at, recall_at
from tests.conftest import data_path


def test_metrics_match_their_definitions():
    relevant = {"a": 1, "b": 1}
    assert ndcg_at(["a", "b", "c"], relevant) == pytest.approx(1.0)
    # one relevant at rank 2 of two relevant: (1/log2(3)) / (1 + 1/log2(3))
    assert ndcg_at(["x", "a"], relevant) == pytest.approx((1 / 1.5849625) / (1 + 1 / 1.5849625))
    assert recall_at(["a", "x"], relevant) == 0.5
    assert mrr_at(["x", "y", "b"], relevant) == pytest.approx(1 / 3)
    assert mrr_at(["x"] * 10 + ["a"], relevant) == 0.0  # beyond 10


@pytest.fixture(scope="module")
def scifact_subset(tmp_path_factory):
    """40 real SciFact train queries, their relevant abstracts, and 400 other real abstracts, in a folder
    named scifact with the real published baselines."""
    source = data_path("scifact")
    tmp_path = tmp_path_factory.mktemp("beir") / "scifact"
    tmp_path.mkdir()
    shutil.copy(source / "published_baselines.json", tmp_path)
    qrels = [line.rstrip("\n").split("\t") for line in (source / "qrels/train.tsv").open()][1:]
    chosen = sorted({q for q, _, _ in qrels}, key=int)[:40]
    wanted = {d for q, d, _ in qrels if q in chosen}
    corpus = [json.loads(line) for line in (source / "corpus.jsonl").open()]
    others = [d for d in corpus if d["_id"] not in wanted]
    docs = [d for d in corpus if d["_id"] in wanted] + random.Random(1).sample(others, 400)
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    queries = [json.loads(line) for line in (source / "queries.jsonl").open()]
    (tmp_path / "queries.jsonl").write_text(
        "".join(json.dumps(q) + "\n" for q in queries if q["_id"] in chosen)
    )
    lines = ["query-id\tcorpus-id\tscore"] + ["\t".join(row) for row in qrels if row[0] in chosen]
    (tmp_path / "qrels" / "train.tsv").write_text("\n".join(lines) + "\n")
    return tmp_path


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")  # one embedding cache for the module's two runs


@pytest.fixture
def own_database(django_db_blocker):
    """The evaluation searches a temporary SQLite database of its own, never the test database."""
    from django.db import connections

    aliases = set(connections)
    with django_db_blocker.unblock():
        yield
    assert set(connections) == aliases  # its database is gone with it


def test_eval_reports_every_system_on_real_data(scifact_subset, settings, home, own_database):
    settings.HOME = home
    out = io.StringIO()
    call_command("eval", "beir", str(scifact_subset), "--json", stdout=out, stderr=io.StringIO())
    report = json.loads(out.getvalue())
    assert report["split"] == "train"
    assert set(report["figures"]) == {"bm25", "dense", "rrf", "hybrid"}
    for figures in report["figures"].values():
        assert set(figures) == {"nDCG@10", "Recall@100", "MRR@10"}
        # 40 queries over 440 abstracts is easy: a broken retriever scores near 0, a working one high
        assert figures["nDCG@10"] > 0.6
        assert figures["Recall@100"] > 0.85


def test_eval_prints_published_baselines_beside_its_own(scifact_subset, settings, home, own_database):
    settings.HOME = home
    out = io.StringIO()
    call_command(
        "eval", "beir", str(scifact_subset), "--systems", "bm25", "dense", stdout=out, stderr=io.StringIO()
    )
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:4] == ["system", "nDCG@10", "Recall@100", "MRR@10"]
    assert lines[1].startswith("bm25") and "0.665 (BM25, beir paper, test split)" in lines[1]
    assert lines[2].startswith("dense")
    assert "0.645 (sentence-transformers/all-MiniLM-L6-v2, mteb paper, test split)" in lines[2]


def test_a_folder_that_is_not_beir_is_refused(tmp_path):
    with pytest.raises(CommandError, match="corpus.jsonl is missing"):
        call_command("eval", "beir", str(tmp_path))
    (tmp_path / "corpus.jsonl").write_text("{}\n")
    (tmp_path / "queries.jsonl").write_text("not json\n")
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n")
    with pytest.raises(CommandError, match="no qrels/train.tsv"):
        call_command("eval", "beir", str(tmp_path), "--split", "train")
