"""Which encoder candidate runs where, chosen by measuring each one on this machine's CPU.

A calibration encodes real abstracts (title + abstract, as papers are embedded) and real queries (paper
titles) with every candidate this CPU supports (encoder.supported()) and keeps:
- for documents, the fastest whose vector agrees with fp32's (cosine >= AGREEMENT) on EVERY abstract;
- for queries, the fastest single query on one thread, under the same agreement on every query.
Speed is CPU time on one thread (time.process_time), not wall time: the machines here are shared, and CPU
time is what a candidate costs whatever else runs beside it. The worker then embeds with its own thread
count (PAPERTIDE_EMBEDDING_THREADS).

The texts are the catalog's own papers: CALIBRATION_PAPERS of them. While the catalog has fewer, the
calibration waits and fp32 is used. The choice and its figures are stored as JSON in PAPERTIDE_HOME,
keyed by the CPU (its instruction-set flags and the variables that limit them), the versions of torch,
onnxruntime, transformers and sentence-transformers, and the model: when any of these changes, the
stored choice no longer applies (fp32 again) until the worker or `papertide embed` calibrates anew.
Calibrating takes 10-30 s, in the worker or a command, never in a web process: web processes read the
stored choice (again after CHOICE_TTL seconds) and switch to it.

PAPERTIDE_DOCUMENT_ENCODER and PAPERTIDE_QUERY_ENCODER override the choice ("auto" keeps it).
"""

import json
import logging
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from django.conf import settings

from papertide.caches import ProcessCache

from . import encoder

log = logging.getLogger("papertide.search")
T = TypeVar("T")

AGREEMENT = 0.99
CALIBRATION_PAPERS = 32
CHOICE_TTL = 60.0  # seconds a web process keeps the stored choice before reading the file again
FORMAT = 1  # raise when the candidates change, so that every stored choice is made again
PACKAGES = ("torch", "onnxruntime", "transformers", "sentence-transformers")
# Variables that limit the instruction sets torch, oneDNN, MKL and FBGEMM use: they change the speeds.
ISA_LIMITS = (
    "ATEN_CPU_CAPABILITY",
    "ONEDNN_MAX_CPU_ISA",
    "MKL_ENABLE_INSTRUCTIONS",
    "FBGEMM_ENABLE_INSTRUCTIONS",
)

_key = ProcessCache("encoder calibration key")  # what this process runs on: fixed for its life
_stored = ProcessCache("encoder calibration", ttl=CHOICE_TTL)


def path() -> Path:
    return Path(settings.HOME) / "encoders" / "calibration.json"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def current_key() -> dict:
    """What a stored choice must have been measured on. Made without importing torch (web processes
    that encode queries with ONNX Runtime never import it)."""

    def make():
        flags = sorted(f for f in encoder.cpu_flags() if f.startswith(("avx", "amx", "fma", "f16c")))
        return {
            "cpu": _cpu_model(),
            "flags": flags,
            "limits": {name: os.environ.get(name, "") for name in ISA_LIMITS},
            "versions": {package: _version(package) for package in PACKAGES},
            "model": encoder.model_name(),
            "format": FORMAT,
        }

    return _key.get(encoder.model_name(), make)


def stored() -> dict | None:
    """The stored calibration, whatever machine or versions it was made on (None: none stored)."""

    def read():
        try:
            return json.loads(path().read_text())
        except (OSError, ValueError):
            return None

    return _stored.get(str(path()), read)


def current() -> dict | None:
    """The stored calibration if it was made on this CPU with these versions and this model."""
    result = stored()
    return result if result and result.get("key") == current_key() else None


def setting(role: str) -> str:
    return settings.PAPERTIDE_DOCUMENT_ENCODER if role == "documents" else settings.PAPERTIDE_QUERY_ENCODER


def choice(role: str) -> str:
    """The candidate for "documents" or "queries": the setting's, else the calibration's, else fp32."""
    configured = setting(role)
    if configured != "auto":
        return configured
    result = current()
    return result[role]["choice"] if result else "fp32"


def needed() -> bool:
    """Whether a calibration would be used: a role is left to it and none is stored for this machine."""
    return any(setting(role) == "auto" for role in encoder.ROLES) and current() is None


# --- measuring -------------------------------------------------------------------------------------------


def _cpu_seconds(work: Callable[[], T]) -> tuple[float, T]:
    started = time.process_time()
    result = work()
    return time.process_time() - started, result


def _make(candidate: str) -> encoder.Encoder:
    """A fresh encoder on one thread, not kept: the calibration loads every candidate once."""
    files = encoder._files()
    cls = encoder.OnnxEncoder if candidate.startswith("onnx") else encoder.TorchEncoder
    return cls(candidate, files, 1, encoder.DOCUMENT_BATCH)


def _documents(model, abstracts: list[str], best: float) -> tuple[dict, np.ndarray | None]:
    """CPU seconds for the abstracts in batches; stops once past `best` (it cannot be chosen then)."""
    size = encoder.DOCUMENT_BATCH
    order = sorted(range(len(abstracts)), key=lambda i: len(abstracts[i]), reverse=True)
    vectors = np.zeros((len(abstracts), encoder.DIMENSIONS), dtype=np.float32)
    spent = 0.0
    for start in range(0, len(abstracts), size):
        rows = order[start : start + size]
        seconds, part = _cpu_seconds(partial(model.encode, [abstracts[i] for i in rows]))
        vectors[rows] = part
        spent += seconds
        if spent > best:
            return {"stopped": f"slower than the fastest after {start + len(rows)} abstracts"}, None
    return {"documents_per_s": round(len(abstracts) / spent, 2)}, vectors


def _queries(model, queries: list[str]) -> tuple[dict, np.ndarray]:
    times, vectors = [], []
    for text in queries:
        seconds, vector = _cpu_seconds(partial(model.encode, [text]))
        times.append(seconds)
        vectors.append(vector[0])
    return {"query_p50_ms": round(statistics.median(times) * 1000, 2)}, np.array(vectors)


def _lowest_cosine(vectors: np.ndarray, reference: Any) -> float:
    return round(float((vectors * reference).sum(axis=1).min()), 5)


def _fastest(figures: dict[str, dict], measure: str, agrees: str, smaller: bool) -> str:
    usable = {c: f[measure] for c, f in figures.items() if f.get(agrees) and measure in f}
    pick = min if smaller else max
    return pick(usable, key=lambda candidate: usable[candidate]) if usable else "fp32"


def measure(abstracts: list[str], queries: list[str], write: Callable[[str], None] = log.info) -> dict:
    """Figures of every candidate this CPU supports on these texts, and the choice for each role."""
    import torch

    started = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    candidates = encoder.supported()
    figures: dict[str, dict] = {}
    try:
        if any(c.startswith("onnx") for c in candidates):
            try:
                seconds, _ = _cpu_seconds(encoder.make_onnx_files)
                if seconds > 1:
                    write(f"encoders: ONNX files made in {seconds:.0f} CPU-seconds")
            except Exception as exc:  # an export this model or these versions do not support
                log.warning("ONNX export failed: %s", exc)
                for candidate in ("onnx", "onnx-int8"):
                    figures[candidate] = {"error": f"export failed: {exc}"[:300]}
                candidates = [c for c in candidates if not c.startswith("onnx")]
        reference: tuple[Any, Any] | None = None
        best = float("inf")
        for candidate in ["fp32"] + [c for c in candidates if c != "fp32"]:
            try:
                loaded, model = _cpu_seconds(partial(_make, candidate))
            except Exception as exc:  # e.g. a quantisation engine this build of torch lacks
                figures[candidate] = {"error": str(exc)[:300]}
                continue
            model.encode(abstracts[:2])  # first calls allocate and pick kernels: not timed
            entry = {"load_s": round(loaded, 2)}
            documents, document_vectors = _documents(model, abstracts, best)
            query_figures, query_vectors = _queries(model, queries)
            entry.update(documents)
            entry.update(query_figures)
            del model
            if reference is None:  # fp32, measured first
                reference = (document_vectors, query_vectors)
            if document_vectors is not None:
                entry["min_cosine"] = _lowest_cosine(document_vectors, reference[0])
                entry["agrees"] = entry["min_cosine"] >= AGREEMENT
                if entry["agrees"]:
                    best = min(best, len(abstracts) / entry["documents_per_s"])
            entry["query_min_cosine"] = _lowest_cosine(query_vectors, reference[1])
            entry["query_agrees"] = entry["query_min_cosine"] >= AGREEMENT
            figures[candidate] = entry
    finally:
        torch.set_num_threads(threads)
    return {
        "documents": {"choice": _fastest(figures, "documents_per_s", "agrees", smaller=False)},
        "queries": {"choice": _fastest(figures, "query_p50_ms", "query_agrees", smaller=True)},
        "figures": figures,
        "abstracts": len(abstracts),
        "queries_measured": len(queries),
        "capability": torch.backends.cpu.get_cpu_capability(),
        "native_bf16": encoder.native_bf16(),
        "seconds": round(time.perf_counter() - started, 1),
    }


def calibrate(abstracts: list[str], queries: list[str], write: Callable[[str], None] = log.info) -> dict:
    """Measure, store the choice with its figures and key, and say what was chosen."""
    result = measure(abstracts, queries, write)
    result["key"] = current_key()
    result["calibrated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(partial, target)  # readers see the old file or the new one, never half of one
    _stored.forget(str(target))
    write(summary(result))
    return result


def summary(result: dict) -> str:
    figures = result["figures"]
    documents, queries = result["documents"]["choice"], result["queries"]["choice"]
    rate = figures.get(documents, {}).get("documents_per_s")
    base = figures.get("fp32", {}).get("documents_per_s")
    ratio = f", {rate / base:.2f}x fp32" if rate and base else ""
    p50 = figures.get(queries, {}).get("query_p50_ms")
    return (
        f"encoders ({result['capability']}): documents {documents} ({rate} abstracts per CPU-second"
        f"{ratio}), queries {queries} (p50 {p50} ms on one thread); calibrated in {result['seconds']} s"
    )


# --- on the catalog's papers ----------------------------------------------------------------------------


def catalog_sample() -> tuple[list[str], list[str]] | None:
    """The text and the title of the catalog's CALIBRATION_PAPERS latest papers that have an abstract."""
    from papertide.catalog.models import Paper

    from .embedding import paper_text

    papers = Paper.objects.exclude(abstract="").only(
        "id", "title", "abstract", "title_clean", "abstract_clean"
    )
    chosen = list(papers.order_by("-id")[:CALIBRATION_PAPERS])
    if len(chosen) < CALIBRATION_PAPERS:
        return None
    return [paper_text(p) for p in chosen], [p.title_display for p in chosen]


def ensure(write: Callable[[str], None] = log.info, force: bool = False) -> dict | None:
    """Calibrate on the catalog's papers when needed (or forced); None while it has too few of them."""
    if any(setting(role).startswith("onnx") for role in encoder.ROLES):
        encoder.make_onnx_files()  # chosen by a setting: made here, never in a web process
    if not force and not needed():
        return current()
    sample = catalog_sample()
    if sample is None:
        log.debug("encoder calibration waits for %d papers with an abstract", CALIBRATION_PAPERS)
        return None
    return calibrate(*sample, write=write)
