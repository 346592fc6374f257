"""Shared test setup: where the real data lives, a fast password hasher, the personas (tests/personas.py)."""

import os
from pathlib import Path

import pytest

from tests.personas import moderator, outsider, reader, submitter  # noqa: F401  (fixtures for every test)

REPO = Path(__file__).resolve().parent.parent
# The real data sits beside the checkout (../shared/data); PAPERTIDE_SHARED_DATA points elsewhere.
SHARED_DATA = Path(os.environ.get("PAPERTIDE_SHARED_DATA", REPO.parent / "shared" / "data"))


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
    # torch.compile costs ~20 s per process: worth it for the worker, not for a test run.
    settings.PAPERTIDE_EMBEDDING_COMPILE = False


@pytest.fixture(autouse=True)
def _fresh_vector_cache():
    """Each test's database starts empty: so must each process's in-memory vectors."""
    from papertide import caches

    caches.reset_all()
    from django.core.cache import cache

    cache.clear()  # rendered fragments (the trending list) outlive a test's rolled-back rows
    yield
