"""The encoder candidates, the calibration that chooses among them, and `papertide encoders`."""

import gzip
import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from django.core.management import call_command

from papertide.search import calibration, encoder
from tests.conftest import REPO, data_path, scifact_sample

pytestmark = pytest.mark.django_db


def arxiv_abstracts(count: int) -> list[str]:
    """Real arXiv titles and abstracts, every 500th of the listing file (the catalog's kind of text)."""
    texts = []
    with gzip.open(data_path("arxiv/listings-2025-03-to-2026-07.jsonl.gz"), "rt") as f:
        for number, line in enumerate(f):
            if number % 500 == 0:
                record = json.loads(line)
                texts.append(encoder.document_text(record["title"], " ".join(record["summary"].split())))
                if len(texts) == count:
                    break
    return texts


def test_every_candidate_this_cpu_supports_agrees_with_sentence_transformers_on_real_abstracts():
    abstracts = arxiv_abstracts(48) + scifact_sample(16)[0]
    encoder.make_onnx_files()
    reference = encoder.get_encoder("fp32").encode(abstracts)
    candidates = encoder.supported()
    assert {"fp32", "onnx", "onnx-int8"} <= set(candidates)
    for candidate in candidates:
        vectors = encoder.load(candidate).encode(abstracts)
        assert vectors.dtype == np.float32 and vectors.shape == (len(abstracts), encoder.DIMENSIONS)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        agreement = (vectors * reference).sum(axis=1)
        assert agreement.min() >= calibration.AGREEMENT, (candidate, agreement.min())


def test_bf16_is_offered_only_where_the_cpu_computes_it():
    import torch

    if torch.backends.cpu.get_cpu_capability() in ("DEFAULT", "AVX2"):
        assert "bf16" not in encoder.supported()
    if not {"avx512_bf16", "amx_bf16"} & encoder.cpu_flags():
        assert not encoder.native_bf16()


def test_limiting_the_instruction_set_takes_bf16_and_torch_int8_away(tmp_path):
    """An AVX-512 machine limited to AVX2 (as the benchmarks emulate that kind of CPU) offers neither."""
    code = "from papertide.search.encoder import supported; print(' '.join(supported()))"
    env = {
        **os.environ,
        "ATEN_CPU_CAPABILITY": "avx2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "FBGEMM_ENABLE_INSTRUCTIONS": "AVX2",
        "PYTHONPATH": str(REPO),
    }
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=REPO)
    assert result.stdout.split() == ["fp32", "onnx", "onnx-int8"], result.stderr


def test_web_processes_encode_queries_without_sentence_transformers(tmp_path):
    """Importing sentence-transformers (scipy, scikit-learn) costs each web worker 170 MB."""
    code = (
        "import django, sys; django.setup();"
        "from papertide.search.encoder import get_encoder;"
        "v = get_encoder('queries').encode(['protein folding with language models']);"
        "print(v.shape, 'sentence_transformers' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "papertide.settings", "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=REPO)
    assert result.stdout.strip() == "(1, 384) False", result.stderr


@pytest.fixture
def home(settings, tmp_path):
    """An empty PAPERTIDE_HOME holding only the ONNX files already made (an export takes seconds)."""
    encoder.make_onnx_files()
    folder = encoder.onnx_folder()
    settings.HOME = tmp_path
    shutil.copytree(folder, encoder.onnx_folder())
    return tmp_path


def test_fp32_until_the_catalog_is_large_enough_then_the_worker_calibrates(home):
    from tests.search_data import import_sample

    import_sample(calibration.CALIBRATION_PAPERS - 1, embed=False)
    assert calibration.ensure() is None  # too few papers: postponed
    assert calibration.choice("documents") == calibration.choice("queries") == "fp32"
    assert encoder.get_encoder("queries").candidate == "fp32"

    import_sample(calibration.CALIBRATION_PAPERS + 4, embed=False)
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert (
        "encoders (" in out.getvalue()
        and f"embedded {calibration.CALIBRATION_PAPERS + 4} papers" in out.getvalue()
    )
    stored = json.loads(calibration.path().read_text())
    assert stored["key"] == calibration.current_key()
    assert stored["abstracts"] == stored["queries_measured"] == calibration.CALIBRATION_PAPERS
    assert stored["seconds"] > 0  # its duration is a benchmark figure (docs/benchmarks.md), not a test
    for role, measure, agrees in (
        ("documents", "documents_per_s", "agrees"),
        ("queries", "query_p50_ms", "query_agrees"),
    ):
        chosen = stored[role]["choice"]
        assert calibration.choice(role) == chosen and stored["figures"][chosen][agrees]
        rivals = [f[measure] for f in stored["figures"].values() if f.get(agrees) and measure in f]
        best = min(rivals) if role == "queries" else max(rivals)
        assert stored["figures"][chosen][measure] == best
    assert encoder.get_encoder("documents").candidate == stored["documents"]["choice"]
    assert not calibration.needed()

    # The same stored file made on another CPU or other versions no longer applies: fp32 until redone.
    stored["key"]["versions"]["onnxruntime"] = "0.0.1"
    calibration.path().write_text(json.dumps(stored))
    calibration._stored.reset()
    assert calibration.current() is None and calibration.needed()
    assert calibration.choice("documents") == "fp32"


def test_web_processes_follow_a_new_choice_within_a_minute(home, monkeypatch):
    import time

    stored = {
        "key": calibration.current_key(),
        "documents": {"choice": "int8"},
        "queries": {"choice": "onnx"},
    }
    assert calibration.choice("queries") == "fp32"
    calibration.path().parent.mkdir(parents=True, exist_ok=True)
    calibration.path().write_text(json.dumps(stored))
    now = [time.monotonic()]
    monkeypatch.setattr(calibration._stored, "clock", lambda: now[0])
    assert calibration.choice("queries") == "fp32"  # what this process read is kept CHOICE_TTL seconds
    now[0] += calibration.CHOICE_TTL
    assert calibration.choice("queries") == "onnx"
    assert encoder.get_encoder("queries").candidate == "onnx"


def test_settings_override_the_choice(home, settings):
    settings.PAPERTIDE_QUERY_ENCODER = "onnx-int8"
    settings.PAPERTIDE_DOCUMENT_ENCODER = "int8"
    assert calibration.choice("queries") == "onnx-int8"
    assert encoder.get_encoder("queries").candidate == "onnx-int8"
    assert encoder.get_encoder("documents").candidate == "int8"
    assert not calibration.needed()  # nothing left to the calibration


def test_a_bad_encoder_setting_is_refused(tmp_path):
    from tests.test_settings import settings_in_subprocess

    result = settings_in_subprocess(tmp_path, PAPERTIDE_QUERY_ENCODER="fastest")
    assert result.returncode != 0
    assert "PAPERTIDE_QUERY_ENCODER must be one of auto, fp32, bf16, int8, onnx, onnx-int8" in result.stderr


def test_encoders_command_shows_the_choice_and_the_figures(home):
    out = io.StringIO()
    call_command("encoders", stdout=out)
    assert "documents: fp32 (the default until a calibration is stored)" in out.getvalue()

    calibration.calibrate(*scifact_sample(calibration.CALIBRATION_PAPERS), write=lambda line: None)
    out = io.StringIO()
    call_command("encoders", stdout=out)
    text = out.getvalue()
    assert f"documents: {calibration.choice('documents')} (measured fastest on this machine)" in text
    assert "calibrated " in text
    for candidate in encoder.supported():
        assert any(line.startswith(f"{candidate} ") for line in text.splitlines()), candidate


def test_encoders_calibrate_needs_papers(home):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="needs 32 papers"):
        call_command("encoders", "--calibrate", stdout=io.StringIO())


def test_eval_takes_an_encoder_or_fp32_not_both():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="exclude each other"):
        call_command("eval", "beir", "nowhere", "--fp32", "--encoder", "int8", stderr=io.StringIO())


def test_the_encoder_settings_accept_every_candidate_and_auto():
    # settings.py imports no app, so it spells the names out; they must stay the encoder module's.
    from papertide import settings as project_settings
    from papertide.search.encoder import CANDIDATES

    assert project_settings.ENCODER_CHOICES == ("auto", *CANDIDATES)
