"""`papertide backup` and `papertide restore`: copies taken while the service writes, restored, served.

The suite's own database is in memory (SQLite) or inside a test transaction (PostgreSQL), and a backup
needs a real one: these tests run the `papertide` script in subprocesses, each with its own
PAPERTIDE_HOME (or its own PostgreSQL database), on 300 real listing records.
"""

import gzip
import importlib.util
import itertools
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import dj_database_url
import pytest
from django.core.management import CommandError, call_command
from django.db.utils import ConnectionHandler

from papertide.ops.management.commands.backup import backup_sqlite, pg_dump_invocation
from tests.conftest import data_path

LISTINGS = "arxiv/listings-2025-03-to-2026-07.jsonl.gz"
SAMPLE = 300
PLAIN_TITLE = re.compile(r"[A-Za-z][A-Za-z0-9 ,:]{20,}")  # no LaTeX, no markup: shown exactly as stored


def clean_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not (k.startswith("PAPERTIDE_") or k == "DATABASE_URL")}
    return {**env, **extra}


def papertide(home: Path, *args, env: dict | None = None, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "papertide.cli", *map(str, args)],
        env=clean_env(PAPERTIDE_HOME=str(home), **(env or {})),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, list[dict]]:
    """300 real listing records, as a file `papertide ingest snapshot` reads, and as dicts."""
    path = tmp_path_factory.mktemp("sample") / "sample.jsonl"
    with gzip.open(data_path(LISTINGS), "rt", encoding="utf-8") as f:
        lines = list(itertools.islice(f, SAMPLE))
    path.write_text("".join(lines))
    return path, [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, sample) -> Path:
    """A PAPERTIDE_HOME migrated and holding the sample; tests copy it (`home`) before they change it."""
    home = tmp_path_factory.mktemp("seeded")
    papertide(home, "migrate", "--no-input")
    assert f"{SAMPLE} new" in papertide(home, "ingest", "snapshot", sample[0]).stdout
    return home


@pytest.fixture
def home(seeded, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(seeded, copy)
    return copy


def rows(db_path: Path, table: str = "catalog_paper") -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(home: Path, env: dict | None = None):
    """`papertide serve` with one gunicorn worker on a free port: its base URL while it runs."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "papertide.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=clean_env(PAPERTIDE_HOME=str(home), XDG_RUNTIME_DIR=str(home), **(env or {})),
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"papertide serve did not start: {process.stderr.read()}") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return response.read().decode()


def assert_serves(base: str, paper: dict) -> None:
    """The restored service shows the paper's page and finds it by its title's words."""
    page = get(f"{base}/papers/{paper['id']}/")
    assert paper["title"] in page
    query = urllib.parse.urlencode({"q": paper["title"], "mode": "keyword", "limit": 10})
    found = [item["paper"]["id"] for item in json.loads(get(f"{base}/api/papers/search?{query}"))]
    assert paper["id"] in found


def plain_paper(records: list[dict]) -> dict:
    return next(r for r in records if PLAIN_TITLE.fullmatch(r["title"]))


# --- SQLite -------------------------------------------------------------------------------------------


def test_backup_is_one_snapshot_while_another_connection_writes(home, tmp_path):
    live, copy = home / "papertide.sqlite3", tmp_path / "copy.sqlite3"
    columns = [row[1] for row in sqlite3.connect(live).execute("PRAGMA table_info(catalog_paper)")]
    columns.remove("id")
    picked = ", ".join("arxiv_id || '-w' || ?" if c == "arxiv_id" else c for c in columns)
    written = []

    def writer():  # another connection commits 20 new papers, one transaction each, during the backup
        db = sqlite3.connect(live, timeout=5, isolation_level=None)
        for n in range(20):
            db.execute(
                f"INSERT INTO catalog_paper ({', '.join(columns)}) SELECT {picked} FROM catalog_paper "
                "WHERE id = (SELECT min(id) FROM catalog_paper)",
                [n],
            )
            written.append(n)
        db.close()

    steps = []

    def progress(copied, total):
        steps.append((copied, total))
        if len(steps) == 1:
            thread = threading.Thread(target=writer)
            thread.start()
            thread.join(timeout=10)  # the backup's read transaction must not block the writer

    before = rows(live)
    result = backup_sqlite(live, copy, pages=8, progress=progress)

    assert len(written) == 20 and len(steps) > 10
    assert all(a[0] < b[0] for a, b in itertools.pairwise(steps)), "the copy restarted"
    assert steps[-1][0] == steps[-1][1]
    assert result.integrity == "ok" and result.papers == SAMPLE
    assert result.size == copy.stat().st_size
    assert rows(copy) == before  # the state when the backup began, not a mix
    assert len(rows(live)) == SAMPLE + 20
    assert rows(copy, "search_fts") == rows(live, "search_fts")  # the keyword index came along
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file, no -wal needed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.sqlite3", "home"]


def test_backup_command_then_restore_into_a_fresh_home_serves_the_papers(home, tmp_path, sample):
    dest = tmp_path / "backups" / "papertide.bak"
    dest.parent.mkdir()
    result = papertide(home, "backup", dest)
    assert f"backed up to {dest}: " in result.stdout
    assert f"{SAMPLE} papers, integrity check ok" in result.stdout
    assert [p.name for p in dest.parent.iterdir()] == ["papertide.bak"]  # no partial file left
    assert dest.stat().st_mode & 0o077 == 0  # e-mail addresses and password hashes: owner only
    with sqlite3.connect(dest) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert rows(dest) == rows(home / "papertide.sqlite3")

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    result = papertide(fresh, "restore", dest, "--no-input")
    assert f"restored {dest} into {fresh / 'papertide.sqlite3'}: {SAMPLE} papers" in result.stdout
    assert "migrate" not in result.stdout  # same version: nothing to migrate
    assert rows(fresh / "papertide.sqlite3") == rows(home / "papertide.sqlite3")
    with serving(fresh) as base:
        assert_serves(base, plain_paper(sample[1]))


def test_backup_refuses_to_overwrite_unless_forced(home, tmp_path):
    dest = tmp_path / "papertide.bak"
    dest.write_text("an older backup")
    result = papertide(home, "backup", dest, ok=False)
    assert result.returncode == 1
    assert f"{dest} already exists: choose another name, or pass --force" in result.stderr
    assert dest.read_text() == "an older backup"

    assert f"{SAMPLE} papers" in papertide(home, "backup", "--force", dest).stdout
    assert len(rows(dest)) == SAMPLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "papertide.bak"]


def test_backup_refuses_a_missing_folder_or_a_folder_as_destination(tmp_path):
    with pytest.raises(CommandError, match="the directory .*/missing does not exist"):
        call_command("backup", str(tmp_path / "missing" / "papertide.bak"))
    with pytest.raises(CommandError, match="is a directory: name the backup file"):
        call_command("backup", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_restore_replaces_a_database_that_has_moved_on(home, tmp_path, sample):
    dest = tmp_path / "papertide.bak"
    papertide(home, "backup", dest)
    # Afterwards papers change and arrive; a connection keeps the WAL open with the latest commits in it.
    live = home / "papertide.sqlite3"
    db = sqlite3.connect(live, isolation_level=None)
    db.execute("UPDATE catalog_paper SET title = 'changed after the backup'")
    db.execute("DELETE FROM catalog_version")
    assert (home / "papertide.sqlite3-wal").stat().st_size > 0

    result = papertide(home, "restore", dest, "--no-input")
    assert f"{SAMPLE} papers" in result.stdout
    assert db.execute("SELECT count(*) FROM catalog_paper WHERE title LIKE 'changed%'").fetchone()[0] == 0
    db.close()
    assert rows(live) == rows(dest) and rows(live, "catalog_version") == rows(dest, "catalog_version")
    with sqlite3.connect(live) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with serving(home) as base:
        assert_serves(base, plain_paper(sample[1]))


def test_restore_says_when_the_backup_needs_migrating(home, tmp_path):
    dest = tmp_path / "papertide.bak"
    papertide(home, "backup", dest)
    with sqlite3.connect(dest) as db:  # as if made by a version before the newest catalog migration
        [(newest,)] = db.execute("SELECT max(name) FROM django_migrations WHERE app = 'catalog'").fetchall()
        db.execute("DELETE FROM django_migrations WHERE app = 'catalog' AND name = ?", [newest])
    result = papertide(home, "restore", dest, "--no-input")
    assert "the backup predates 1 migration(s) of this version: run `papertide migrate`" in result.stdout


def test_restore_checks_the_backup_before_touching_anything(home, tmp_path, sample):
    before = rows(home / "papertide.sqlite3")
    result = papertide(home, "restore", sample[0], "--no-input", ok=False)
    assert result.returncode == 1 and "is not a readable SQLite database" in result.stderr
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    result = papertide(home, "restore", other, "--no-input", ok=False)
    assert result.returncode == 1 and "is an SQLite database but not a papertide one" in result.stderr
    result = papertide(home, "restore", tmp_path / "missing.bak", "--no-input", ok=False)
    assert result.returncode == 1 and "there is no backup file at" in result.stderr
    assert rows(home / "papertide.sqlite3") == before


def test_restore_asks_before_replacing_the_database(home, tmp_path):
    dest = tmp_path / "papertide.bak"
    papertide(home, "backup", dest)
    result = subprocess.run(
        [sys.executable, "-m", "papertide.cli", "restore", str(dest)],
        env=clean_env(PAPERTIDE_HOME=str(home)),
        input="no\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Stop the web processes and workers first" in result.stdout
    assert "restore cancelled: nothing was changed" in result.stderr


# --- PostgreSQL ---------------------------------------------------------------------------------------


def test_pg_dump_gets_the_password_from_the_environment_not_the_command_line(tmp_path):
    url = "postgres://papertide:s3cret-pw@db.example.org:5433/papers?sslmode=require&keepalives=1"
    connection = ConnectionHandler({"default": dj_database_url.parse(url)})["default"]
    argv, env = pg_dump_invocation(connection, tmp_path / "dump", "/opt/pg/bin/pg_dump")
    assert argv == [
        "/opt/pg/bin/pg_dump",
        "--format=custom",
        "--file",
        str(tmp_path / "dump"),
        "--dbname=keepalives=1",  # libpq has no environment variable for it
    ]
    assert "s3cret-pw" not in " ".join(argv)
    assert env["PGPASSWORD"] == "s3cret-pw"
    assert (env["PGHOST"], env["PGPORT"], env["PGDATABASE"], env["PGUSER"], env["PGSSLMODE"]) == (
        "db.example.org",
        "5433",
        "papers",
        "papertide",
        "require",
    )


def test_backup_says_when_pg_dump_is_missing(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {
        "DATABASE_URL": "postgres://u:p@127.0.0.1:9/papertide",  # never reached
        "PAPERTIDE_SECRET_KEY": "test-only",
        "PATH": str(empty),
    }
    result = papertide(tmp_path, "backup", tmp_path / "papertide.dump", env=env, ok=False)
    assert result.returncode == 1
    assert "pg_dump is not on PATH" in result.stderr
    assert not any("dump" in p.name for p in tmp_path.iterdir())  # no partial file left either


def pg_bin_path() -> str:
    """PATH with pgserver's PostgreSQL programs first: Debian's pg_dump may be older than its server."""
    spec = importlib.util.find_spec("pgserver")  # (found, not imported: importing it warns)
    if spec is None:
        return os.environ["PATH"]
    pgserver = Path(next(iter(spec.submodule_search_locations)))
    return os.pathsep.join([str(pgserver / "pginstall" / "bin"), os.environ["PATH"]])


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@pytest.fixture
def pg_databases():
    """Two new, empty databases on the suite's PostgreSQL server (DATABASE_URL), dropped afterwards."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.skip("the pg_dump/pg_restore round trip needs PostgreSQL: run it with `make test-postgres`")
    import psycopg

    names = [f"papertide_backup_{os.getpid()}_{which}" for which in ("live", "restored")]
    with psycopg.connect(url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield [with_database(url, name) for name in names]
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_rows(url: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as db:
        return db.execute(
            "SELECT arxiv_id, title, abstract, authors::text, listed_on FROM catalog_paper ORDER BY id"
        ).fetchall()


def test_pg_dump_backup_and_pg_restore(pg_databases, tmp_path, sample):
    live, restored = pg_databases
    env = {"DATABASE_URL": live, "PAPERTIDE_SECRET_KEY": "test-only", "PATH": pg_bin_path()}
    papertide(tmp_path, "migrate", "--no-input", env=env)
    papertide(tmp_path, "ingest", "snapshot", sample[0], env=env)
    dest = tmp_path / "papertide.dump"
    result = papertide(tmp_path, "backup", dest, env=env)
    assert f"backed up to {dest}: " in result.stdout and "PostgreSQL custom format" in result.stdout
    assert dest.read_bytes()[:5] == b"PGDMP" and dest.stat().st_mode & 0o077 == 0
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())
    assert f"{dest} already exists" in papertide(tmp_path, "backup", dest, env=env, ok=False).stderr

    # Into a new database, with the command docs/operations.md gives.
    def pg_restore(url):
        done = subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--dbname", url, str(dest)],
            env={**os.environ, "PATH": env["PATH"]},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

    pg_restore(restored)
    expected = pg_rows(live)
    assert len(expected) == SAMPLE and pg_rows(restored) == expected
    with serving(tmp_path, env={**env, "DATABASE_URL": restored}) as base:
        assert_serves(base, plain_paper(sample[1]))  # the page, and the full-text index came along

    # Over the database it came from, after everything in it was lost.
    import psycopg

    with psycopg.connect(live, autocommit=True) as db:
        db.execute("TRUNCATE catalog_paper CASCADE")
    pg_restore(live)
    assert pg_rows(live) == expected
    assert (
        "restore a PostgreSQL dump with pg_restore"
        in papertide(tmp_path, "restore", dest, "--no-input", env=env, ok=False).stderr
    )
