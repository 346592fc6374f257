"""Crash safety: SIGKILL the web processes, the worker and imports at random points of a mixed load, many
times, restart them, then check that the data still holds together.

A fresh home (SQLite in WAL mode, or with --database postgres a PostgreSQL with pgvector from the PyPI
package pgserver, which is never killed) gets real papers (the listings file and Hugging Face daily
captures, cut into chunk files in the home). Then, at once:
- `papertide serve --workers 2` answers readers (upvotes, withdrawn upvotes, comments, submissions to the
  daily list, the daily and trending pages) sent by a load thread over HTTP, as signed-in readers;
- `papertide worker` embeds the papers (fp32, batches of 32), fills their display text and sends the
  digests of confirmed subscriptions (added a few at each kill, each due at once) to a real SMTP server
  (aiosmtpd, in this process, which takes 0.1 s per message so that kills land in the middle of batches);
- `papertide ingest` imports the chunk files one after another (a killed import is run again).
Every 2 to 10 seconds a random choice of those three is killed (SIGKILL to its process group: gunicorn's
master and workers together) and started again: the web processes and the import half the time each,
the worker 30 % of the time and never within 20 s of its start (spent loading the model), and 30 % of
the worker's kills (--mid-send) wait for the next message to reach the SMTP server and land within twice
its delay of it, in and around the window where a digest can be sent twice. After the last kill
everything runs until the work is done (every paper embedded, every digest out), stops politely, and the
invariants are checked:

- `PRAGMA integrity_check` says ok, `PRAGMA foreign_key_check` finds nothing (PostgreSQL: no invalid
  index; the duplicates below are counted from the tables, index scans off);
- no two papers with one arXiv id, daily entries for one (paper, day), votes for one (user, paper),
  outbox rows for one (subscription, day), delivered rows for one (subscription, paper), comments with
  one body (each comment the load posts is unique; a comment whose request died is not sent again);
- every paper of every chunk is in the catalog, once in the keyword index, and has one vector (nothing
  left pending); no embedding claim or job lease is left held;
- every outbox row is sent, each subscription got its digest, and no message reached the SMTP server
  twice except in the documented crash window: a worker killed after the server accepted a message and
  before the "sent" mark committed, i.e. a repeat whose first copy was the last message the server
  received before a kill of the worker. Those are counted apart.

    PYTHONPATH=$PWD .venv/bin/python bench/crash_kill.py [--kills 50] [--database postgres] [--seed 1]
        [--json out.json]

The exit status is 1 when an invariant fails. Reads ../shared/data (or PAPERTIDE_SHARED_DATA).
"""

import argparse
import asyncio
import gzip
import http.client
import itertools
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("PAPERTIDE_SHARED_DATA", REPO.parent / "shared" / "data"))
LISTINGS = DATA / "arxiv/listings-2025-03-to-2026-07.jsonl.gz"
CAPTURES = DATA / "hf-daily-papers/2404589803_newsletter-chinese_2024-05_to_2026-08/snapshots.jsonl.gz"
READERS = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the SMTP server ---------------------------------------------------------------------------------------


@dataclass
class Received:
    at: float  # time.monotonic() when the message's DATA arrived
    to: str
    message_id: str


class Inbox:
    """Records every message the server accepts, after a short pause (a real server is not instant)."""

    def __init__(self, delay: float):
        self.delay = delay
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.arrival = threading.Event()  # set when a message arrives: a kill can wait for one

    async def handle_DATA(self, server, session, envelope):
        import email

        arrived = time.monotonic()
        self.arrival.set()
        await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(Received(arrived, message["To"], message["Message-ID"]))
        return "250 OK"


# --- the processes -----------------------------------------------------------------------------------------


class Service:
    """One papertide command in its own process group, so that a kill takes its children too."""

    def __init__(self, name: str, argv: list[str], env: dict, home: Path):
        self.name, self.argv, self.env, self.home = name, argv, env, home
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.started_wall = datetime.now(UTC)
        self.lock = threading.Lock()
        self.log = open(home / "logs" / f"{name}.log", "ab")  # noqa: SIM115 (open for the run)

    def start(self) -> subprocess.Popen:
        with self.lock:
            self.started_at = time.monotonic()
            self.started_wall = datetime.now(UTC)
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "papertide.cli", *self.argv],
                env=self.env,
                cwd=self.home,
                stdout=self.log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            return self.proc

    def age(self) -> float:
        return time.monotonic() - self.started_at

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> bool:
        """SIGKILL the whole process group; False when it was not running."""
        with self.lock:
            if not self.running():
                return False
            assert self.proc is not None
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                return False
            self.proc.wait()
            return True

    def stop(self) -> None:
        """SIGTERM (the polite stop), waited for."""
        with self.lock:
            if self.running():
                assert self.proc is not None
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()


class Importer(threading.Thread):
    """Runs `papertide ingest` over the chunk files in turn; a chunk whose import was killed runs again.
    After the last chunk it starts over (a re-import must change nothing)."""

    def __init__(self, chunks: list[tuple[str, Path]], service_for):
        super().__init__(daemon=True)
        self.chunks, self.service_for = chunks, service_for
        self.current: Service | None = None
        self.done_once = threading.Event()
        self.stopping = threading.Event()
        self.runs = Counter()  # ok, killed, failed

    def run(self) -> None:
        for number in itertools.count():
            if number and number % len(self.chunks) == 0:
                self.done_once.set()
            kind, path = self.chunks[number % len(self.chunks)]
            while not self.stopping.is_set():
                self.current = self.service_for(kind, path)
                code = self.current.start().wait()
                if code == 0:
                    self.runs["ok"] += 1
                    break
                self.runs["killed" if code == -signal.SIGKILL else "failed"] += 1
                if code != -signal.SIGKILL:
                    time.sleep(1)
            if self.stopping.is_set():
                return

    def kill(self) -> bool:
        return self.current is not None and self.current.kill()

    def wait_until_writing(self, rng: random.Random, seconds: float = 10) -> bool:
        """Wait (up to `seconds`) until the running import has begun writing (its run is recorded), then a
        random moment of its batches (it may have finished by then); False when none began in time. Without
        it most kills fell in the command's start-up, which takes longer than importing a chunk."""
        from django.db import close_old_connections

        from papertide.catalog.models import IngestRun

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            current = self.current
            if current is not None and current.running():
                since = current.started_wall
                if IngestRun.objects.filter(state=IngestRun.RUNNING, started_at__gte=since).exists():
                    time.sleep(rng.uniform(0, 0.2))  # a chunk's five batches take about half a second
                    return True
            time.sleep(0.05)
        close_old_connections()
        return False


# --- the readers' load -------------------------------------------------------------------------------------


class Load(threading.Thread):
    """Signed-in readers upvoting, withdrawing upvotes, commenting, submitting and reading lists. A request
    whose server died is not sent again (a comment might then be posted twice by the client itself)."""

    def __init__(self, base: str, sessions: list[str], papers: list[str], seed: int):
        super().__init__(daemon=True)
        self.base, self.sessions, self.papers = base, sessions, papers
        self.random = random.Random(seed)
        self.stopping = threading.Event()
        self.outcomes = Counter()
        self.errors = Counter()  # requests without an answer, by exception
        self.comments_sent = 0

    def request(self, session: str, path: str, data: dict | None = None) -> int:
        csrf = "a" * 32
        headers = {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}
        if data is not None:
            headers["Accept"] = "application/json"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(req, timeout=30) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except (OSError, http.client.HTTPException) as exc:  # the server was killed, or is starting
            reason = getattr(exc, "reason", exc)
            self.errors[type(reason).__name__] += 1
            return 0

    def run(self) -> None:
        while not self.stopping.is_set():
            session = self.random.choice(self.sessions)
            paper = self.random.choice(self.papers)
            action = self.random.choices(
                ["vote", "unvote", "comment", "submit", "daily", "trending"], [50, 10, 15, 5, 10, 10]
            )[0]
            if action == "vote":
                status = self.request(session, f"/papers/{paper}/upvote/", {"vote": "1"})
            elif action == "unvote":
                status = self.request(session, f"/papers/{paper}/upvote/", {"vote": "0"})
            elif action == "comment":
                self.comments_sent += 1
                body = f"crash-test comment {secrets.token_hex(8)} on {paper}"
                status = self.request(session, f"/papers/{paper}/comments/", {"body": body})
            elif action == "submit":
                status = self.request(session, "/daily/submit/", {"paper": paper})
            else:
                status = self.request(session, f"/{action}/")
            self.outcomes[(action, "failed" if status == 0 or status >= 500 else "ok")] += 1
            if status >= 500:
                self.outcomes[(action, f"http {status}")] += 1
            # Without a server, wait a little: no storm of refused connections while gunicorn starts.
            time.sleep(0.5 if status == 0 else self.random.uniform(0.01, 0.1))


# --- set-up ------------------------------------------------------------------------------------------------


def write_chunks(home: Path, papers: int, chunk: int, captures: int, capture_chunk: int) -> list:
    folder = home / "chunks"
    folder.mkdir()
    chunks: list[tuple[str, Path]] = []
    with gzip.open(LISTINGS, "rt", encoding="utf-8") as f:
        lines = list(itertools.islice(f, papers))
    for i in range(0, len(lines), chunk):
        path = folder / f"listings-{i // chunk:03d}.jsonl"
        path.write_text("".join(lines[i : i + chunk]))
        chunks.append(("snapshot", path))
    with gzip.open(CAPTURES, "rt", encoding="utf-8") as f:
        lines = list(itertools.islice(f, captures))
    hf = []
    for i in range(0, len(lines), capture_chunk):
        path = folder / f"hf-{i // capture_chunk:03d}.jsonl"
        path.write_text("".join(lines[i : i + capture_chunk]))
        hf.append(("hf-daily", path))
    # Interleaved: an import of each kind is running at some kill.
    mixed = []
    for a, b in itertools.zip_longest(chunks, hf):
        mixed += [c for c in (a, b) if c]
    return mixed


def environment(home: Path, smtp_port: int, web_port: int, database_url: str) -> dict:
    dead = "http://127.0.0.1:9"  # no outside service is asked (nothing listens on port 9)
    env = {k: v for k, v in os.environ.items() if not (k.startswith("PAPERTIDE_") or k == "DATABASE_URL")}
    env.update(
        PYTHONPATH=str(REPO),
        PAPERTIDE_HOME=str(home),
        PAPERTIDE_SECRET_KEY=secrets.token_hex(32),  # required beside DATABASE_URL; the same for all
        PAPERTIDE_BIND=f"127.0.0.1:{web_port}",
        PAPERTIDE_EMAIL_HOST="127.0.0.1",
        PAPERTIDE_EMAIL_PORT=str(smtp_port),
        PAPERTIDE_SITE_URL=f"http://127.0.0.1:{web_port}",
        # Short leases and periods, so that what a killed worker held comes back within a cycle or two.
        PAPERTIDE_JOB_LEASE_SECONDS="10",
        PAPERTIDE_DIGEST_LEASE_SECONDS="10",
        PAPERTIDE_EMBEDDING_LEASE_SECONDS="10",
        PAPERTIDE_JOB_DIGESTS_SECONDS="2",
        PAPERTIDE_JOB_EMBEDDING_SECONDS="2",
        PAPERTIDE_JOB_DISPLAY_TEXT_SECONDS="5",
        PAPERTIDE_JOB_INTERESTS_SECONDS="10",
        PAPERTIDE_WORKER_POLL_SECONDS="1",
        PAPERTIDE_EMBEDDING_BATCH="32",
        # Imports of several batches each, so that a kill lands between or inside them, not only in the
        # command's start-up (a 50-record file was imported in one batch, well under a second).
        PAPERTIDE_INGEST_BATCH="25",
        PAPERTIDE_EMBEDDING_RUN_SECONDS="5",  # short embedding runs: the digests take turns between them
        PAPERTIDE_DIGEST_BATCH="5",
        PAPERTIDE_DIGEST_SKIP_EMPTY="false",
        # The calibration of the encoders (10-30 s) is not what is tested here.
        PAPERTIDE_DOCUMENT_ENCODER="fp32",
        PAPERTIDE_QUERY_ENCODER="fp32",
        PAPERTIDE_SUBMIT_MAX_AGE_DAYS="100000",
        PAPERTIDE_SUBMIT_DAILY_CAP="1000",
        PAPERTIDE_ACCOUNT_RATE="100000",
        PAPERTIDE_HF_URL=dead,
        PAPERTIDE_OAI_URL=dead,
        PAPERTIDE_ARXIV_API_URL=dead,
        PAPERTIDE_GITHUB_API_URL=dead,
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def setup_readers(first_chunk: Path) -> tuple[list[str], list[str]]:
    """Readers with sessions, and yesterday's daily list (the digests' trending) from the first chunk's
    papers: (session keys, the arXiv ids the load acts on)."""
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from papertide.catalog.models import Paper
    from papertide.community.models import DailyEntry

    sessions = []
    for i in range(READERS):
        user = User.objects.create_user(f"reader{i}", f"reader{i}@example.org", "a long enough password")
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    ids = [json.loads(line)["id"] for line in first_chunk.read_text().splitlines()]
    papers = list(Paper.objects.filter(arxiv_id__in=ids).order_by("arxiv_id"))
    yesterday = timezone.localdate() - timedelta(days=1)
    DailyEntry.objects.bulk_create(
        [DailyEntry(paper=p, day=yesterday - timedelta(days=i % 2)) for i, p in enumerate(papers[:60])]
    )
    return sessions, [p.arxiv_id for p in papers[:120]]


def add_subscribers(start: int, count: int) -> None:
    """Confirmed daily subscriptions whose digest is due at once (today's, at midnight UTC)."""
    from papertide.digests.models import Subscription

    confirmed = datetime.now(UTC) - timedelta(days=2)
    for i in range(start, start + count):
        Subscription.objects.create(
            email=f"subscriber{i}@example.org",
            frequency=Subscription.DAILY,
            hour=0,
            time_zone="UTC",
            top_n=5,
            confirmed_at=confirmed,
        )


# --- the invariants ----------------------------------------------------------------------------------------


def repeats(messages: list[Received], worker_kills: list[float]) -> tuple[int, int]:
    """Messages received again with the same Message-ID: (in the crash window, beyond it). A repeat is in
    the window when its earlier copy was the last message the server received before a kill of the worker
    (the worker sends one message at a time: it died between the server's acceptance and its sent mark)."""
    arrivals = sorted(m.at for m in messages)
    copies: dict[str, list[float]] = {}
    for message in sorted(messages, key=lambda m: m.at):
        copies.setdefault(message.message_id, []).append(message.at)
    in_window = beyond = 0
    for times in copies.values():
        for earlier in times[:-1]:
            kill = next((k for k in sorted(worker_kills) if k > earlier), None)
            if kill is not None and not any(earlier < a < kill for a in arrivals):
                in_window += 1
            else:
                beyond += 1
    return in_window, beyond


def duplicates(sql: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS duplicated")
        return cursor.fetchone()[0]


def check(chunks, inbox: Inbox, worker_kills: list[float], subscribers: int) -> tuple[dict, list[str]]:
    """The invariants: (figures, failures)."""
    from django.db import connection

    from papertide.catalog.models import IngestRun, Paper
    from papertide.community.models import Comment, DailyEntry, Vote
    from papertide.digests.models import Delivered, Digest
    from papertide.ops.models import Job
    from papertide.search.embedding import pending
    from papertide.search.keyword import TABLE
    from papertide.search.models import EmbeddingClaim, PaperVector

    failures = []

    def expect(ok: bool, text: str) -> None:
        if not ok:
            failures.append(text)

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            integrity = [row[0] for row in cursor.fetchall()]
            cursor.execute("PRAGMA foreign_key_check")
            foreign = cursor.fetchall()
            expect(integrity == ["ok"], f"integrity_check: {integrity[:5]}")
            expect(not foreign, f"foreign_key_check: {foreign[:5]}")
            cursor.execute(f"SELECT COUNT(*), COUNT(DISTINCT rowid) FROM {TABLE}")
            indexed, indexed_distinct = cursor.fetchone()
            papers = Paper.everything.count()
            expect(
                indexed == indexed_distinct == papers,
                f"keyword index: {indexed} rows, {indexed_distinct} papers, catalog {papers}",
            )
        else:
            # PostgreSQL (its full-text column is generated: nothing to compare). An index left invalid
            # or not ready; then the duplicates below are counted from the tables, not through the unique
            # indexes whose work they check.
            cursor.execute(
                "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT (indisvalid AND indisready)"
            )
            invalid = [row[0] for row in cursor.fetchall()]
            expect(not invalid, f"invalid indexes: {invalid}")
            for plan in ("indexscan", "indexonlyscan", "bitmapscan"):
                cursor.execute(f"SET enable_{plan} = off")

    dups = {
        "papers (arxiv id)": duplicates(
            "SELECT arxiv_id FROM catalog_paper GROUP BY arxiv_id HAVING COUNT(*) > 1"
        ),
        "daily entries (paper, day)": duplicates(
            "SELECT paper_id, day FROM community_dailyentry GROUP BY paper_id, day HAVING COUNT(*) > 1"
        ),
        "votes (user, paper)": duplicates(
            "SELECT user_id, paper_id FROM community_vote GROUP BY user_id, paper_id HAVING COUNT(*) > 1"
        ),
        "comments (body)": duplicates("SELECT body FROM community_comment GROUP BY body HAVING COUNT(*) > 1"),
        "outbox rows (subscription, day)": duplicates(
            "SELECT subscription_id, due_on FROM digests_digest GROUP BY subscription_id, due_on "
            "HAVING COUNT(*) > 1"
        ),
        "deliveries (subscription, paper)": duplicates(
            "SELECT subscription_id, paper_id FROM digests_delivered GROUP BY subscription_id, paper_id "
            "HAVING COUNT(*) > 1"
        ),
        "vectors (paper)": duplicates(
            "SELECT paper_id FROM search_papervector GROUP BY paper_id HAVING COUNT(*) > 1"
        ),
    }
    for what, count in dups.items():
        expect(count == 0, f"{count} duplicated {what}")

    listed = set()
    for kind, path in chunks:
        if kind == "snapshot":
            listed |= {json.loads(line)["id"] for line in path.read_text().splitlines()}
    have = set(Paper.everything.filter(arxiv_id__in=listed).values_list("arxiv_id", flat=True))
    papers = Paper.everything.count()
    expect(have == listed, f"{len(listed - have)} papers of the listing chunks missing")
    left = pending().count()
    expect(left == 0, f"{left} papers still pending embedding")
    vectors = PaperVector.objects.count()
    expect(vectors == papers, f"{vectors} vectors for {papers} papers")
    claims = EmbeddingClaim.objects.count()
    expect(claims == 0, f"{claims} embedding claims left")
    leased = list(Job.objects.exclude(lease_owner="").values_list("name", flat=True))
    expect(not leased, f"job leases left held: {leased}")

    states = Counter(Digest.objects.values_list("state", flat=True))
    expect(set(states) <= {Digest.SENT}, f"outbox rows not sent: {dict(states)}")
    expect(
        states[Digest.SENT] == subscribers,
        f"{states[Digest.SENT]} digests sent for {subscribers} subscriptions",
    )

    in_window, beyond = repeats(inbox.messages, worker_kills)
    expect(beyond == 0, f"{beyond} digests received twice outside the crash window")
    recipients = {m.to for m in inbox.messages}
    expect(len(recipients) == subscribers, f"{len(recipients)} recipients of {subscribers} subscribers")

    figures = {
        "papers": papers,
        "papers of the listing chunks": len(listed),
        "vectors": vectors,
        "daily entries": DailyEntry.objects.count(),
        "votes": Vote.objects.count(),
        "comments": Comment.objects.count(),
        "outbox rows": sum(states.values()),
        "delivered papers": Delivered.objects.count(),
        "import runs left 'running'": IngestRun.objects.filter(state=IngestRun.RUNNING).count(),
        "import runs interrupted mid-way": IngestRun.objects.filter(
            message__startswith="interrupted"
        ).count(),
        "messages received": len(inbox.messages),
        "repeats in the crash window": in_window,
        "repeats beyond it": beyond,
        "duplicates": dups,
    }
    return figures, failures


# --- the run -----------------------------------------------------------------------------------------------


def wait_for_http(base: str, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(base + "/daily/", timeout=5):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.2)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--papers", type=int, default=500, help="listing records imported")
    parser.add_argument("--chunk", type=int, default=125, help="listing records a chunk")
    parser.add_argument("--captures", type=int, default=16, help="Hugging Face daily captures imported")
    parser.add_argument("--min-gap", type=float, default=2.0, help="shortest time between kills (s)")
    parser.add_argument("--max-gap", type=float, default=10.0, help="longest time between kills (s)")
    parser.add_argument("--subscribers", type=int, default=3, help="subscriptions added at each kill")
    parser.add_argument("--worker-odds", type=float, default=0.3, help="chance the worker is in a kill")
    parser.add_argument(
        "--worker-life",
        type=float,
        default=20,
        help="the worker is killed at least this long after its start",
    )
    parser.add_argument(
        "--mid-send", type=float, default=0.3, help="share of worker kills timed on a message being sent"
    )
    parser.add_argument("--smtp-delay", type=float, default=0.1, help="seconds the SMTP server takes")
    parser.add_argument(
        "--settle", type=float, default=1200, help="longest wait for the work left after the last kill (s)"
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--home", help="keep the home here (default: a temporary folder, removed)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    for path in (LISTINGS, CAPTURES):
        if not path.exists():
            sys.exit(f"data not found: {path} (set PAPERTIDE_SHARED_DATA)")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(args.home) if args.home else Path(scratch)
        home.mkdir(parents=True, exist_ok=True)
        (home / "logs").mkdir(exist_ok=True)
        if args.database == "sqlite":
            return run(args, rng, home, "")
        # PostgreSQL with pgvector from the PyPI package pgserver, in the home; it is never killed.
        import pgserver

        server = pgserver.get_server(home / "pg", cleanup_mode="stop")
        try:
            return run(args, rng, home, server.get_uri())
        finally:
            server.cleanup()


def run(args, rng: random.Random, home: Path, database_url: str) -> int:
    from aiosmtpd.controller import Controller

    inbox = Inbox(args.smtp_delay)
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    web_port = free_port()
    base = f"http://127.0.0.1:{web_port}"
    env = environment(home, smtp.port, web_port, database_url)
    os.environ.update({k: v for k, v in env.items() if k.startswith("PAPERTIDE_") or k == "DATABASE_URL"})
    os.environ["DJANGO_SETTINGS_MODULE"] = "papertide.settings"
    import django

    django.setup()
    from django.core.management import call_command

    chunks = write_chunks(home, args.papers, args.chunk, args.captures, 8)
    call_command("migrate", verbosity=0)
    first = chunks[0][1]
    subprocess.run(
        [sys.executable, "-m", "papertide.cli", "ingest", "snapshot", str(first)],
        env=env,
        cwd=home,
        check=True,
        capture_output=True,
    )
    sessions, papers = setup_readers(first)
    subscribers = 0
    add_subscribers(subscribers, args.subscribers)
    subscribers += args.subscribers

    web = Service("web", ["serve", "--workers", "2"], env, home)
    worker = Service(
        "worker",
        ["worker", "--jobs", "embedding", "display-text", "digests", "interests", "housekeeping"],
        env,
        home,
    )
    importer = Importer(chunks, lambda kind, path: Service("ingest", ["ingest", kind, str(path)], env, home))
    web.start()
    worker.start()
    if not wait_for_http(base, 120):
        sys.exit("papertide serve did not answer within 2 minutes (see logs/web.log)")
    load = Load(base, sessions, papers, args.seed)
    importer.start()
    load.start()

    kills = Counter()
    worker_kills: list[float] = []
    started = time.monotonic()
    for number in range(1, args.kills + 1):
        gap = rng.uniform(args.min_gap, args.max_gap)
        odds = {"web": 0.5, "worker": args.worker_odds, "ingest": 0.5}
        victims = [name for name, odd in odds.items() if rng.random() < odd] or [rng.choice(list(odds))]
        if "worker" in victims and worker.age() + gap < args.worker_life:
            # A worker killed again and again before it has loaded the model does nothing else: it is
            # killed at a random point after its start-up.
            gap = args.worker_life - worker.age() + rng.uniform(0, args.max_gap)
        mid_send = "worker" in victims and rng.random() < args.mid_send
        if mid_send:
            # At the next message the worker sends (if one comes within the gap), at a random point from
            # its arrival to just after the server's reply: the crash window and the moments around it.
            inbox.arrival.clear()
            mid_send = inbox.arrival.wait(gap)
            time.sleep(rng.uniform(0, 2 * args.smtp_delay))
        else:
            time.sleep(gap)
        inside = "ingest" in victims and not mid_send and importer.wait_until_writing(rng)
        killed = []
        if "web" in victims and web.kill():
            killed.append("web")
        if "worker" in victims and worker.kill():
            worker_kills.append(time.monotonic())
            killed.append("worker (mid-send)" if mid_send else "worker")
        if "ingest" in victims and importer.kill():
            killed.append("ingest (run begun)" if inside else "ingest")
        kills[" + ".join(killed) or "nothing running"] += 1
        if "web" in killed:
            web.start()
        if any(name.startswith("worker") for name in killed):
            worker.start()
        add_subscribers(subscribers, args.subscribers)
        subscribers += args.subscribers
        print(
            f"kill {number}/{args.kills}: {', '.join(killed) or 'nothing running'} "
            f"({time.monotonic() - started:.0f} s)",
            flush=True,
        )
    kill_seconds = time.monotonic() - started

    # Everything runs until the work is done, then stops politely.
    settled = settle(importer, args, subscribers)
    load.stopping.set()
    importer.stopping.set()
    load.join(timeout=60)
    importer.join(timeout=600)
    web.stop()
    worker.stop()
    smtp.stop()
    figures, failures = check(chunks, inbox, worker_kills, subscribers)
    if settled is None:
        failures.insert(0, f"the work left was not done within {args.settle:.0f} s of the last kill")
    figures.update(
        kills=args.kills,
        kill_mix=dict(kills),
        worker_kills=len(worker_kills),
        seconds_of_kills=round(kill_seconds),
        settled_in_seconds=settled,
        imports=dict(importer.runs),
        requests={" ".join(k): v for k, v in sorted(load.outcomes.items())},
        unanswered=dict(load.errors),
        seed=args.seed,
        database=args.database,
        failures=failures,
    )
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    survived = args.kills if not failures else 0
    print(f"kills survived with every invariant holding: {survived} of {args.kills}")
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


def settle(importer: Importer, args, subscribers: int) -> float | None:
    """Seconds until every chunk is imported, every paper embedded and every digest out; None if not."""
    from django.db import close_old_connections

    from papertide.digests.models import Digest
    from papertide.search.embedding import pending

    started = time.monotonic()
    while time.monotonic() - started < args.settle:
        close_old_connections()
        sent = Digest.objects.filter(state=Digest.SENT).count()
        if importer.done_once.is_set() and not pending().exists() and sent == subscribers:
            return round(time.monotonic() - started)
        time.sleep(2)
    return None


if __name__ == "__main__":
    sys.exit(main())
