"""Relevance evaluation on a BEIR-format folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv.

The production path: the corpus goes into a temporary SQLite database, migrated like the site's, and
every query is answered by engine.search() through the SQLite backend, as the site answers it (the FTS5
index and its postings budget, the in-memory vectors, the fusion). The corpus embeddings are cached
under PAPERTIDE_HOME/cache, keyed by corpus, model and precision; queries are encoded in one batch.
"""

import csv
import hashlib
import json
import math
import tempfile
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from . import backends, engine
from .encoder import document_text, get_encoder, model_name
from .fusion import FusionParams, rrf
from .models import PaperVector


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


# --- the corpus database and the systems -----------------------------------------------------------


class CorpusDatabase:
    """A temporary SQLite database holding a BEIR corpus as papers (id = row number + 1), migrated like
    the site's, indexed by the SQLite backend's own index code, with the corpus vectors stored as the
    worker stores them; searched through the SQLite backend like the site's database."""

    def __init__(self, data: Dataset, vectors: np.ndarray):
        from papertide.catalog.models import Paper

        self.folder = tempfile.TemporaryDirectory(prefix="papertide-beir-")
        self.alias = f"beir-{uuid.uuid4().hex[:12]}"
        # Django reads DATABASES once; a database of the run's own is added to its connection settings
        # (with the defaults Django fills in) and removed again by close().
        path = Path(self.folder.name) / "beir.sqlite3"
        sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
        connections.settings[self.alias] = connections.configure_settings({DEFAULT_DB_ALIAS: sqlite})[
            DEFAULT_DB_ALIAS
        ]
        try:
            call_command("migrate", database=self.alias, verbosity=0, interactive=False)
            self.backend = backends.for_alias(self.alias)
            papers = [
                Paper(id=n + 1, arxiv_id=str(n + 1), title=title, abstract=text)
                for n, (title, text) in enumerate(zip(data.titles, data.texts, strict=True))
            ]
            name = model_name()
            with transaction.atomic(using=self.alias):
                Paper.everything.using(self.alias).bulk_create(papers, batch_size=500)
                self.backend.index_papers(papers, replace=False)
                stored = zip(papers, vectors, strict=True)
                PaperVector.objects.using(self.alias).bulk_create(
                    (PaperVector(paper_id=p.pk, model=name, vector=v) for p, v in stored), batch_size=500
                )
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.alias not in connections.settings:
            return
        backend = getattr(self, "backend", None)
        if backend is not None:
            backend.forget()
        connections[self.alias].close()
        del connections[self.alias]
        del connections.settings[self.alias]
        self.folder.cleanup()


class Evaluation:
    """The systems of the command, each run through engine.search() on the corpus database: bm25 is its
    keyword mode, dense its semantic mode, hybrid the site's default; rrf fuses the first two."""

    def __init__(self, data: Dataset, fast: bool = True, progress: Callable[[int], None] | None = None):
        self.data = data
        corpus_vectors = self._corpus_vectors(fast, progress)
        self.query_encoder = get_encoder("fp32" if not fast else "queries")
        self.query_ids = list(data.queries)
        # Encoded in one batch, not one search at a time: the figures recorded were made so.
        self.query_vectors = self.query_encoder.encode([data.queries[q] for q in self.query_ids])
        self.database = CorpusDatabase(data, corpus_vectors)
        # The temporary database goes when the evaluation does, or at close().
        self.close = weakref.finalize(self, self.database.close)

    def _corpus_vectors(self, fast: bool, progress) -> np.ndarray:
        texts = [document_text(t, x) for t, x in zip(self.data.titles, self.data.texts, strict=True)]
        digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        encoder = get_encoder("documents" if fast else "fp32")
        # One file per encoder candidate: vectors of int8 or ONNX Runtime must not stand in for fp32's.
        precision = encoder.candidate
        cache = (
            Path(settings.HOME) / "cache" / f"beir-{digest}-{model_name().replace('/', '_')}-{precision}.npy"
        )
        if cache.exists():
            return np.load(cache)
        parts = []
        for start in range(0, len(texts), 256):
            parts.append(encoder.encode(texts[start : start + 256]))
            if progress:
                progress(len(parts[-1]))
        matrix = np.vstack(parts).astype(np.float32)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, matrix)
        return matrix

    def _search(self, n: int, mode: str, params: FusionParams) -> list[int]:
        """Paper ids of the site's search in this mode for the nth query, best first, 100 deep."""
        vector = self.query_vectors[n]
        try:
            results = engine.search(
                self.data.queries[self.query_ids[n]],
                limit=100,
                mode=mode,
                params=params,
                backend=self.database.backend,
                embed=lambda _text: vector,
            )
        except engine.SearchError:  # a query the site refuses (no words, too long) finds nothing
            return []
        return [hit.paper_id for hit in results.hits]

    def rankings(self, system: str, params: FusionParams | None = None) -> dict[str, list[str]]:
        params = params or FusionParams()
        out = {}
        for n, qid in enumerate(self.query_ids):
            if system == "bm25":
                ranked = self._search(n, "keyword", params)
            elif system == "dense":
                ranked = self._search(n, "semantic", params)
            elif system == "rrf":
                keyword, dense = self._search(n, "keyword", params), self._search(n, "semantic", params)
                ranked = [i for i, _ in rrf(keyword, dense)]
            elif system == "hybrid":
                ranked = self._search(n, "hybrid", params)
            else:
                raise ValueError(system)
            out[qid] = [self.data.doc_ids[i - 1] for i in ranked[:100]]
        return out

    def evaluate(self, system: str, params: FusionParams | None = None) -> dict[str, float]:
        scores = Scores()
        for qid, ranking in self.rankings(system, params).items():
            scores.add(ranking, self.data.qrels[qid])
        return scores.means()
