"""Shared test setup: where the real data lives, a fast password hasher, the personas (tests/personas.py)."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.personas import moderator, outsider, reader, submitter  # noqa: F401  (fixtures for every test)

REPO = Path(__file__).resolve().parent.parent
# The real data sits beside the checkout (../shared/data); PAPERTIDE_SHARED_DATA points elsewhere.
SHARED_DATA = Path(os.environ.get("PAPERTIDE_SHARED_DATA", REPO.parent / "shared" / "data"))


# Property tests (tests/test_properties_*.py): the default profile is deterministic (a fixed seed, no example
# database) and small, so `make test` runs the same examples every time in seconds; HYPOTHESIS_PROFILE=long
# searches far more widely, with a random seed, and keeps what it finds in .hypothesis/ (ignored by git).
# No deadline: the machine is shared, and speed is measured in bench/, not in tests.
hypothesis_settings.register_profile(
    "default",
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "long", max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def data_path(relative: str) -> Path:
    """A file of the real data set, or skip the test with a message saying what is missing."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real data {relative} not found under {SHARED_DATA} (set PAPERTIDE_SHARED_DATA)")
    return path


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PAPERTIDE_ARXIV_DELAY = 0.0
    settings.PAPERTIDE_HTTP_BACKOFF = 0.0


def scifact_sample(count: int) -> tuple[list[str], list[str]]:
    """The first `count` real SciFact abstracts (title + text, as papers are embedded) and their titles."""
    import json

    from papertide.search.encoder import document_text

    abstracts, titles = [], []
    with data_path("scifact/corpus.jsonl").open() as f:
        for line, _ in zip(f, range(count), strict=False):
            doc = json.loads(line)
            abstracts.append(document_text(doc["title"], doc["text"]))
            titles.append(doc["title"])
    return abstracts, titles


@pytest.fixture(scope="session", autouse=True)
def _encoders_of_this_machine():
    """Tests run with the encoders the calibration chooses on this machine: measured once per machine and
    versions (10-30 s) on real SciFact abstracts, and stored in PAPERTIDE_HOME (var/) like any choice."""
    from papertide.search import calibration

    if calibration.needed() and (SHARED_DATA / "scifact/corpus.jsonl").exists():
        calibration.calibrate(*scifact_sample(calibration.CALIBRATION_PAPERS))


@pytest.fixture(autouse=True)
def _fresh_vector_cache():
    """Each test's database starts empty: so must each process's in-memory vectors."""
    from papertide import caches

    caches.reset_all()
    from django.core.cache import cache

    cache.clear()  # rendered fragments (the trending list) outlive a test's rolled-back rows
    yield


@pytest.fixture
def hub(settings):
    """A local server standing in for Hugging Face (PAPERTIDE_HF_URL), no pause between requests; tests
    give it real captures to answer with (tests/hf_captures.py)."""
    from tests.replay import ReplayServer

    with ReplayServer() as server:
        settings.PAPERTIDE_HF_URL = server.url
        settings.PAPERTIDE_HF_DELAY = 0.0
        settings.PAPERTIDE_HTTP_RETRIES = 1
        yield server
