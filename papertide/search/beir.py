"""Relevance evaluation on a BEIR-format folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv.

The same code paths as the service: the FTS5 index and bm25 query of keyword.py, the encoder of
encoder.py, exact vector search and the hybrid fusion. The corpus goes into a temporary SQLite database;
its embeddings are cached under PAPERTIDE_HOME/cache, keyed by corpus, model and precision.
"""

import csv
import hashlib
import json
import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings

from . import keyword
from .encoder import document_text, get_encoder, model_name
from .fusion import FusionParams, hybrid_rank, rrf
from .vectors import VectorMatrix


class BeirError(ValueError):
    pass


@dataclass
class Dataset:
    doc_ids: list[str]
    titles: list[str]
    texts: list[str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    path: Path
    split: str = ""


def _jsonl(path: Path):
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BeirError(f"{path.name} line {number}: invalid JSON ({exc.msg})") from None


def load(folder: str | Path, split: str | None = None) -> Dataset:
    folder = Path(folder)
    for name in ("corpus.jsonl", "queries.jsonl"):
        if not (folder / name).is_file():
            raise BeirError(f"{folder} is not a BEIR folder: {name} is missing")
    qrel_files = sorted((folder / "qrels").glob("*.tsv"))
    if split:
        qrel_files = [p for p in qrel_files if p.stem == split]
    if not qrel_files:
        raise BeirError(f"no qrels/{split or '*'}.tsv in {folder}")
    qrels: dict[str, dict[str, int]] = {}
    with qrel_files[0].open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    doc_ids, titles, texts = [], [], []
    for doc in _jsonl(folder / "corpus.jsonl"):
        doc_ids.append(str(doc["_id"]))
        titles.append(doc.get("title") or "")
        texts.append(doc.get("text") or "")
    queries = {str(q["_id"]): q["text"] for q in _jsonl(folder / "queries.jsonl") if str(q["_id"]) in qrels}
    return Dataset(doc_ids, titles, texts, queries, qrels, folder, qrel_files[0].stem)


# --- metrics (as trec_eval computes them, relevance grades used as gains) ---------------------------


def ndcg_at(ranking: list[str], relevant: dict[str, int], k: int = 10) -> float:
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:k]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranking: list[str], relevant: dict[str, int], k: int = 100) -> float:
    wanted = {d for d, g in relevant.items() if g > 0}
    return len(wanted & set(ranking[:k])) / len(wanted) if wanted else 0.0


def mrr_at(ranking: list[str], relevant: dict[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranking[:k]):
        if relevant.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


@dataclass
class Scores:
    ndcg10: list[float] = field(default_factory=list)
    recall100: list[float] = field(default_factory=list)
    mrr10: list[float] = field(default_factory=list)

    def add(self, ranking: list[str], relevant: dict[str, int]) -> None:
        self.ndcg10.append(ndcg_at(ranking, relevant))
        self.recall100.append(recall_at(ranking, relevant))
        self.mrr10.append(mrr_at(ranking, relevant))

    def means(self) -> dict[str, float]:
        return {
            "nDCG@10": float(np.mean(self.ndcg10)),
            "Recall@100": float(np.mean(self.recall100)),
            "MRR@10": float(np.mean(self.mrr10)),
        }


# --- the systems -----------------------------------------------------------------------------------


class Evaluation:
    def __init__(
        self,
        data: Dataset,
        fast: bool = True,
        progress: Callable[[int], None] | None = None,
        prune: bool = True,
    ):
        self.data = data
        self.db = sqlite3.connect(":memory:")
        self.db.execute(keyword.CREATE_SQL)
        self.db.execute(keyword.CREATE_VOCABULARY_SQL)
        self.db.executemany(
            f"INSERT INTO {keyword.TABLE}(rowid, title, abstract, authors) VALUES (?, ?, ?, '')",
            ((i, t, x) for i, (t, x) in enumerate(zip(data.titles, data.texts, strict=True))),
        )
        self.prune = prune  # keyword queries within the postings budget, as in the service
        self.vectors = VectorMatrix(np.arange(len(data.doc_ids)), self._corpus_vectors(fast, progress))
        self.query_encoder = get_encoder("fp32" if not fast else "queries")
        self.query_ids = list(data.queries)
        self.query_vectors = self.query_encoder.encode([data.queries[q] for q in self.query_ids])

    def _corpus_vectors(self, fast: bool, progress) -> np.ndarray:
        texts = [document_text(t, x) for t, x in zip(self.data.titles, self.data.texts, strict=True)]
        digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        compiled = "c" if settings.PAPERTIDE_EMBEDDING_COMPILE else ""
        precision = f"bf16{compiled}" if fast else "fp32"
        cache = (
            Path(settings.HOME) / "cache" / f"beir-{digest}-{model_name().replace('/', '_')}-{precision}.npy"
        )
        if cache.exists():
            return np.load(cache)
        encoder = get_encoder("documents" if fast else "fp32")
        parts = []
        for start in range(0, len(texts), 256):
            parts.append(encoder.encode(texts[start : start + 256]))
            if progress:
                progress(len(parts[-1]))
        matrix = np.vstack(parts).astype(np.float32)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, matrix)
        return matrix

    def _keyword(self, text: str, limit: int = 100) -> list[tuple[int, float]]:
        return keyword.search(self.db.cursor(), text, limit, prune=self.prune)

    def rankings(self, system: str, params: FusionParams | None = None) -> dict[str, list[str]]:
        params = params or FusionParams()
        ids = self.data.doc_ids
        out = {}
        for n, qid in enumerate(self.query_ids):
            text, vector = self.data.queries[qid], self.query_vectors[n]
            if system == "bm25":
                ranked = self._keyword(text)
            elif system == "dense":
                ranked = self.vectors.top(vector, 100)
            elif system == "rrf":
                ranked = rrf(
                    [i for i, _ in self._keyword(text)], [i for i, _ in self.vectors.top(vector, 100)]
                )
            elif system == "hybrid":
                ranked, _, _ = hybrid_rank(
                    self._keyword(text, params.keyword_depth),
                    self.vectors.top(vector, params.candidates),
                    lambda ids, vector=vector: self.vectors.scores_for(vector, ids),
                    params,
                )
            else:
                raise ValueError(system)
            out[qid] = [ids[i] for i, _ in ranked[:100]]
        return out

    def evaluate(self, system: str, params: FusionParams | None = None) -> dict[str, float]:
        scores = Scores()
        for qid, ranking in self.rankings(system, params).items():
            scores.add(ranking, self.data.qrels[qid])
        return scores.means()
