"""`papertide worker` as a real process on a SQLite file: SIGTERM stops it after the job in hand, and while
it embeds with the real model, sign-ups and votes through Django's request handling answer within a
second (they once waited behind the encoding for the whole 20 s busy timeout, then failed).

The suite's own SQLite database is in memory, so these tests run subprocesses on a PAPERTIDE_HOME of
their own, seeded with real listing records.
"""

import gzip
import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, data_path

LISTINGS = "arxiv/listings-2025-03-to-2026-07.jsonl.gz"
PAPERS = 240  # at one thread, enough to keep the worker embedding for well over the writes' few seconds

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="a SQLite file of its own: the SQLite run covers it"
)


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not (k.startswith("PAPERTIDE_") or k == "DATABASE_URL")}
    # fp32 for both roles: no calibration in a fresh home (it would take the worker 10-30 s).
    env.update(PAPERTIDE_HOME=str(home), PAPERTIDE_DOCUMENT_ENCODER="fp32", PAPERTIDE_QUERY_ENCODER="fp32")
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return {**env, **extra}


def papertide(home: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "papertide.cli", *args],
        env=environment(home),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A PAPERTIDE_HOME migrated and holding PAPERS real listing papers, none embedded."""
    home = tmp_path_factory.mktemp("worker-seeded")
    sample = home / "sample.jsonl"
    with gzip.open(data_path(LISTINGS), "rt", encoding="utf-8") as f:
        sample.write_text("".join(itertools.islice(f, PAPERS)))
    papertide(home, "migrate", "--no-input")
    assert f"{PAPERS} new" in papertide(home, "ingest", "snapshot", str(sample))
    return home


@pytest.fixture
def home(seeded, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(seeded, copy)
    return copy


def query(home: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "papertide.sqlite3", timeout=30) as db:
        return db.execute(sql).fetchall()


def python(home: Path, code: str, **env: str) -> subprocess.Popen:
    """A Python process with Django set up on this home, running `code`."""
    script = "import django\ndjango.setup()\n" + textwrap.dedent(code)
    return subprocess.Popen(
        [sys.executable, "-c", script],
        env=environment(home, DJANGO_SETTINGS_MODULE="papertide.settings", **env),
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, timeout: float, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process ended before {what}: {process.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.1)


def test_sigterm_stops_the_worker_after_the_job_in_hand(home):
    worker = python(
        home,
        """
        import sys, time
        from django.core.management import call_command
        from papertide.ops import jobs

        def slow(*, now, should_stop, write):  # a unit of work that does not look at should_stop
            print("slow started", flush=True)
            time.sleep(2)
            return "slow finished its work"

        def after(*, now, should_stop, write):
            return "after ran"

        jobs.register("slow", slow, jobs.Every("PAPERTIDE_JOB_DIGESTS_SECONDS"), "")
        jobs.register("after", after, jobs.Every("PAPERTIDE_JOB_DIGESTS_SECONDS"), "")
        call_command("worker", "--jobs", "slow", "after", stdout=sys.stdout)
        """,
    )
    lines: list[str] = []
    assert worker.stdout is not None
    while "slow started" not in lines:
        line = worker.stdout.readline()
        assert line, f"the worker ended before its job started: {worker.communicate()}"
        lines.append(line.strip())
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, out + err
    assert "slow: slow finished its work" in out and out.rstrip().endswith("worker stopped")
    assert "after ran" not in out  # due too, but the worker stopped after the job in hand
    rows = dict(query(home, "SELECT name, last_summary FROM ops_job"))
    assert rows == {"slow": "slow finished its work", "after": ""}
    assert query(home, "SELECT lease_owner, lease_until FROM ops_job WHERE name = 'slow'") == [("", None)]
    assert query(home, "SELECT last_started_at FROM ops_job WHERE name = 'after'") == [(None,)]


def test_votes_and_sign_ups_answer_within_a_second_while_the_worker_embeds(home):
    def embedded() -> int:
        return query(home, "SELECT count(*) FROM search_papervector")[0][0]

    worker = subprocess.Popen(
        [sys.executable, "-m", "papertide.cli", "worker", "--jobs", "embedding", "--batch-size", "8"],
        env=environment(home),
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: embedded() > 0, 120, "the worker's first batch", worker)
        writer = python(
            home,
            """
            import json, time
            from django.conf import settings
            from django.contrib.auth.models import User
            from django.test import Client
            from papertide.catalog.models import Paper

            settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
            # The suite's fast hasher (conftest): what is timed is the wait on the database, not Argon2's
            # 0.4 s of CPU on this shared machine.
            settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
            papers = list(Paper.objects.order_by("id").values_list("arxiv_id", flat=True)[:6])
            voter = Client()
            voter.force_login(User.objects.create_user("voter", "voter@example.org", "a quiet lab at night"))
            # Warm up: the first request of a process loads the templates, the URLs, the password hasher.
            Client().post("/accounts/signup/", {"username": "warm", "email": "warm@example.org"})
            voter.get(f"/papers/{papers[0]}/")
            answers = []
            for i, paper in enumerate(papers):
                started = time.monotonic()
                sign_up = Client().post("/accounts/signup/", {
                    "username": f"reader{i}", "email": f"reader{i}@example.org",
                    "password1": "a quiet lab at night", "password2": "a quiet lab at night",
                })
                answers.append(("sign-up", sign_up.status_code, time.monotonic() - started))
                started = time.monotonic()
                vote = voter.post(f"/papers/{paper}/upvote/", {"vote": "1"}, HTTP_ACCEPT="application/json")
                answers.append(("vote", vote.status_code, time.monotonic() - started))
                time.sleep(0.3)  # spread over several of the worker's batches
            print(json.dumps(answers))
            """,
            PAPERTIDE_ALLOWED_HOSTS="testserver",
            PAPERTIDE_ACCOUNT_RATE="1000",
        )
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        still_embedding = embedded() < PAPERS
        worker.send_signal(signal.SIGTERM)
        worker_out, worker_err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    answers = json.loads(out.strip().splitlines()[-1])
    assert still_embedding, "the worker finished before the writes did: give it more papers"
    assert [(what, status) for what, status, _ in answers] == [("sign-up", 200), ("vote", 200)] * 6
    slowest = max(seconds for _, _, seconds in answers)
    assert slowest < 1.0, answers
    assert query(home, "SELECT count(*) FROM auth_user WHERE username LIKE 'reader%'") == [(6,)]
    assert query(home, "SELECT count(*) FROM community_vote") == [(6,)]

    # SIGTERM: the job in hand stopped after its batch, recorded as done so far, and the worker ended.
    assert worker.returncode == 0, worker_out + worker_err
    assert worker_out.rstrip().endswith("worker stopped")
    sql = "SELECT last_summary, lease_owner FROM ops_job WHERE name = 'embedding'"
    ((summary, lease),) = query(home, sql)
    assert summary == f"embedded {embedded():,} papers (stopped)" and lease == ""
    assert not query(home, "SELECT * FROM search_embeddingclaim")
