"""Many writers at once: votes, submissions, comments, saves and digest sign-ups from concurrent clients.

`papertide serve` (several gunicorn workers) and `papertide worker` run on one database, as in
production; the worker has papers to embed, so it writes vectors all through the load. The catalog is a
fresh import of the first PAPERS real listing records (shared/data's arXiv listings), none embedded.

CLIENTS threads, each with its own users (logged-in sessions with a CSRF token; an API token for the API
votes), send one write after another for SECONDS, picked at random from:
  vote      POST /papers/<id>/upvote/ (signed in, JSON)
  api-vote  POST /api/papers/<id>/upvote (Authorization: Bearer pt_...)
  submit    POST /daily/submit/ (today's daily list; each paper submitted once)
  comment   POST /papers/<id>/comments/
  save      POST /papers/<id>/save/ (the reading list, JSON)
  sign-up   POST /digests/ (no account: a new address; the confirmation mail goes to a local SMTP server)
No two requests ask for the same write (a user votes for a paper once, a paper is submitted once, every
address is new), so every success must leave exactly one row, and nothing else may be there.

Then the database is read: for each kind, the rows the bench users made must be exactly the writes that
succeeded (none missing, none extra, none twice), and each address that signed up got one mail. Failures:
a 5xx, any answer that mentions "database is locked", an unexpected status, a connection error; 429s
(rate limits) are counted apart, and the limits are raised through their settings so that they do not
hide the measurement. The server's and the worker's logs are searched for errors too.

    .venv/bin/python bench/writers_load.py [--database sqlite|postgres] [--clients 32] [--seconds 60]
        [--web-workers 4] [--papers 20000]

Run from the tree measured: gunicorn and the worker import papertide from the working directory.
"""

import argparse
import gzip
import http.client
import itertools
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTINGS = ROOT.parent / "shared/data/arxiv/listings-2025-03-to-2026-07.jsonl.gz"
KINDS = {"vote": 3, "api-vote": 2, "submit": 2, "comment": 2, "save": 3, "sign-up": 1}  # weights
LOCKED = "database is locked"
# Writes that may be asked for twice at once and must still make one row; this share of them is doubled.
DOUBLED = ("vote", "api-vote", "save", "sign-up")
DOUBLE_SHARE = [0.1]
# The worker's jobs that need no network (the harvests would only fail here, offline).
WORKER_JOBS = ("embedding", "display-text", "keyword-stats", "interests", "map", "digests", "housekeeping")


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


class Client:
    """A plain HTTP client (one connection a request: gunicorn's sync workers close each one)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read().decode("utf-8", "replace")
        finally:
            conn.close()


def cookie_from(headers, name: str) -> str | None:
    for key, value in headers:
        if key.lower() == "set-cookie" and value.startswith(name + "="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return None


class User:
    def __init__(self, pk: int, username: str, session: str, token: str):
        self.pk, self.username, self.session, self.token = pk, username, session, token
        self.csrf = ""

    def form_headers(self) -> dict:
        return {
            "Cookie": f"sessionid={self.session}; csrftoken={self.csrf}",
            "X-CSRFToken": self.csrf,
            "Content-Type": "application/x-www-form-urlencoded",
        }


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.ok: dict[str, set] = defaultdict(set)  # the writes that succeeded, by kind
        self.throttled: Counter = Counter()
        self.doubled: Counter = Counter()  # double clicks sent, by kind
        self.doubled_writes: set = set()
        self.failures: dict[str, Counter] = defaultdict(Counter)  # kind -> reason -> count
        self.examples: list[str] = []

    def record(self, kind: str, ms: float, outcome: str, write=None, detail: str = "") -> None:
        with self.lock:
            self.latencies[kind].append(ms)
            if outcome == "ok":
                self.ok[kind].add(write)  # a set: the two requests of a double click are one write
            elif outcome == "429":
                self.throttled[kind] += 1
            else:
                self.failures[kind][outcome] += 1
                if len(self.examples) < 20:
                    self.examples.append(f"{kind} {outcome}: {detail[:300]}")


def run_client(n, users, papers, client, results, deadline, seed, smtp_anon):
    """One client: writes one after another until the deadline, each a new one (see the module doc)."""
    rng = random.Random(seed)
    kinds, weights = list(KINDS), list(KINDS.values())
    # This client's papers: a slice of the catalog no other client submits from, so that no two
    # submissions are for the same paper. Votes, saves: a user never asks twice for the same paper.
    mine = papers[n :: CLIENTS_TOTAL[0]]
    next_paper: dict = defaultdict(int)  # (kind, user) -> index into mine
    submitted = itertools.count()
    sign_ups = itertools.count()
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        user = rng.choice(users)
        if kind in ("vote", "api-vote", "save", "comment"):
            # Web and API votes share the user's papers: a user votes once per paper, whichever way.
            key = ("vote" if kind == "api-vote" else kind, user.pk)
            i = next_paper[key]
            next_paper[key] += 1
            paper = mine[i % len(mine)]
            if kind != "comment" and i >= len(mine):
                continue  # this user has asked for this write on every paper of the slice
        if kind == "vote":
            path, body, headers = f"/papers/{paper}/upvote/", {"vote": "1"}, user.form_headers()
            headers["Accept"] = "application/json"
            write = (user.pk, paper)
            expect = (200,)
        elif kind == "api-vote":
            path, body = f"/api/papers/{paper}/upvote", None
            headers = {"Authorization": f"Bearer {user.token}", "Content-Type": "application/json"}
            write = (user.pk, paper)
            expect = (200,)
        elif kind == "save":
            path, body, headers = f"/papers/{paper}/save/", {"saved": "1"}, user.form_headers()
            headers["Accept"] = "application/json"
            write = (user.pk, paper)
            expect = (200,)
        elif kind == "comment":
            marker = f"bench comment {user.pk}-{i}"
            path, body, headers = f"/papers/{paper}/comments/", {"body": marker}, user.form_headers()
            write = marker
            expect = (302,)
        elif kind == "submit":
            j = next(submitted)
            if j >= len(mine):
                continue
            paper = mine[-1 - j]  # from the slice's other end, so votes and submissions mix less
            path, body, headers = "/daily/submit/", {"paper": paper}, user.form_headers()
            write = (user.pk, paper)
            expect = (302,)
        else:  # sign-up: no account, a new address each time
            email = f"bench-{n}-{next(sign_ups)}@example.org"
            fields = {"email": email, "frequency": "daily", "hour": "8", "time_zone": "UTC", "top_n": "10"}
            path, body = "/digests/", fields
            headers = {
                "Cookie": f"csrftoken={smtp_anon}",
                "X-CSRFToken": smtp_anon,
                "Content-Type": "application/x-www-form-urlencoded",
            }
            write = email
            expect = (200,)
        data = (
            json.dumps({"vote": True}).encode()
            if kind == "api-vote"
            else urllib.parse.urlencode(body).encode()
        )
        if kind in DOUBLED and rng.random() < DOUBLE_SHARE[0]:
            # A double click (or two tabs): the same write twice at once; one row must come of it.
            twins = [
                threading.Thread(
                    target=send, args=(client, results, kind, path, data, headers, expect, write)
                )
                for _ in range(2)
            ]
            for twin in twins:
                twin.start()
            for twin in twins:
                twin.join()
            results.doubled[kind] += 1
            results.doubled_writes.add((kind, write))
        else:
            send(client, results, kind, path, data, headers, expect, write)


def send(client, results, kind, path, data, headers, expect, write) -> None:
    """One request, its outcome recorded."""
    started = time.perf_counter()
    try:
        status, _, text = client.request("POST", path, data, headers)
    except OSError as exc:
        results.record(kind, (time.perf_counter() - started) * 1000, "connection", detail=repr(exc))
        return
    ms = (time.perf_counter() - started) * 1000
    if LOCKED in text:
        results.record(kind, ms, "locked", detail=f"{status} {path}")
    elif status == 429:
        results.record(kind, ms, "429")
    elif status not in expect:  # a 5xx, or a refusal the bench did not ask for
        results.record(kind, ms, f"{status}", detail=f"{path} {text}")
    elif kind == "sign-up" and "Check your e-mail" not in text:
        results.record(kind, ms, "not-sent", detail=text)  # the page that says the mail failed
    else:
        results.record(kind, ms, "ok", write)


CLIENTS_TOTAL = [32]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--users-per-client", type=int, default=4)
    parser.add_argument("--papers", type=int, default=20000, help="listing records imported")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument(
        "--double", type=float, default=0.1, help="share of double clicks (vote, save, sign-up)"
    )
    parser.add_argument(
        "--show-worker", type=int, default=0, metavar="N", help="print the worker log's last N lines"
    )
    args = parser.parse_args()
    CLIENTS_TOTAL[0] = args.clients
    DOUBLE_SHARE[0] = args.double
    if not LISTINGS.exists():
        sys.exit(f"benchmark data not found: {LISTINGS}")
    sys.path.insert(0, str(ROOT))
    from tests.smtp import serving

    with tempfile.TemporaryDirectory(prefix="writers-") as tmp:
        home = Path(tmp)
        inbox = Counter()

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                for to in envelope.rcpt_tos:
                    inbox[to.lower()] += 1
                return "250 OK"

        with serving(Handler()) as smtp:
            env = {
                **os.environ,
                "PAPERTIDE_HOME": str(home),
                "PAPERTIDE_SECRET_KEY": secrets.token_urlsafe(40),
                "PAPERTIDE_ALLOWED_HOSTS": "127.0.0.1 localhost",
                "PAPERTIDE_EMAIL_HOST": "127.0.0.1",
                "PAPERTIDE_EMAIL_PORT": str(smtp.port),
                # The limits are raised so that they do not hide the measurement (429s are still counted).
                "PAPERTIDE_ACCOUNT_RATE": "10000000",
                "PAPERTIDE_TOKEN_RATE": "10000000",
                # The per-account and per-address limits (accounts/throttle.py): 128 users on one address.
                **{
                    f"PAPERTIDE_{kind}_RATE": "10000000"
                    for kind in ("SUBMIT", "COMMENT", "REPORT", "VOTE", "SAVE", "NEW_TOKEN")
                },
                "PAPERTIDE_NEW_ACCOUNT_DAYS": "0",
                "PAPERTIDE_SUBMIT_DAILY_CAP": "10000000",
                "PAPERTIDE_SUBMIT_MAX_AGE_DAYS": "100000",  # the listing papers are months old
                # Offline: the network jobs fail at once instead of waiting on time-outs.
                "PAPERTIDE_ARXIV_API_URL": "http://127.0.0.1:9/api",
                "PAPERTIDE_OAI_URL": "http://127.0.0.1:9/oai",
                "PAPERTIDE_HF_URL": "http://127.0.0.1:9",
                "PAPERTIDE_GITHUB_API_URL": "http://127.0.0.1:9",
                "PAPERTIDE_HTTP_RETRIES": "0",
            }
            # No calibration (a minute and more on a busy machine) before the worker starts embedding: the
            # encoder it would choose here (docs/benchmarks.md), unless the caller's environment says another.
            env.setdefault("PAPERTIDE_DOCUMENT_ENCODER", "int8")
            env.setdefault("PAPERTIDE_QUERY_ENCODER", "int8")
            env.pop("DATABASE_URL", None)
            pg = None
            if args.database == "postgres":
                pg_dir = home / "pg"
                uri = subprocess.run(
                    [sys.executable, str(ROOT / "tests/postgres_server.py"), "start", str(pg_dir)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
                env["DATABASE_URL"] = uri
                pg = pg_dir
            try:
                measure(args, env, home, inbox)
            finally:
                if pg is not None:
                    subprocess.run([sys.executable, str(ROOT / "tests/postgres_server.py"), "stop", str(pg)])


def papertide(env, *argv, **kwargs):
    return subprocess.run([sys.executable, "-m", "papertide.cli", *argv], env=env, check=True, **kwargs)


def measure(args, env, home: Path, inbox: Counter) -> None:
    print(f"load average before {os.getloadavg()[0]:.2f}")
    papertide(env, "migrate", "-v0")
    subset = home / "listings.jsonl.gz"
    with gzip.open(LISTINGS, "rt") as source, gzip.open(subset, "wt") as out:
        out.writelines(itertools.islice(source, args.papers))
    papertide(env, "ingest", "snapshot", str(subset), capture_output=True)

    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User as Account
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from papertide.accounts.models import ApiToken
    from papertide.catalog.models import Paper
    from papertide.community.models import Comment, DailyEntry, Vote
    from papertide.digests.models import Subscription
    from papertide.library.models import Entry
    from papertide.search.models import PaperVector

    papers = list(Paper.objects.order_by("id").values_list("arxiv_id", flat=True))
    random.Random(1).shuffle(papers)
    accounts = Account.objects.bulk_create(
        [
            Account(username=f"bench{i}", email=f"bench{i}@example.org")
            for i in range(args.clients * args.users_per_client)
        ]
    )
    accounts = list(Account.objects.filter(username__startswith="bench").order_by("id"))
    users = []
    for account in accounts:
        account.set_unusable_password()
        account.save(update_fields=["password"])
        session = SessionStore()
        session["_auth_user_id"] = str(account.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = account.get_session_auth_hash()
        session.create()
        _, token = ApiToken.issue(account, "bench")
        users.append(User(account.pk, account.username, session.session_key, token))
    connection.close()

    logs = {"serve": home / "serve.log", "worker": home / "worker.log"}
    cli = [sys.executable, "-m", "papertide.cli"]
    site = subprocess.Popen(
        [*cli, "serve", "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.web_workers)],
        env=env,
        stdout=logs["serve"].open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [*cli, "worker", "--jobs", *WORKER_JOBS],
        env=env,
        stdout=logs["worker"].open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    client = Client("127.0.0.1", args.port)
    try:
        for _ in range(600):
            try:
                if client.request("GET", "/daily/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        # Each signed-in user gets its CSRF cookie as a browser would: from a page with a form.
        for user in users:
            status, headers, _ = client.request(
                "GET", "/daily/submit/", headers={"Cookie": f"sessionid={user.session}"}
            )
            user.csrf = cookie_from(headers, "csrftoken") or ""
            if status != 200 or not user.csrf:
                sys.exit(f"no CSRF cookie for {user.username} (status {status})")
        status, headers, _ = client.request("GET", "/digests/")
        anon = cookie_from(headers, "csrftoken")
        if not anon:
            sys.exit(f"no CSRF cookie on the sign-up page (status {status})")

        def vectors() -> int:
            count = PaperVector.objects.count()
            connection.close()
            return count

        waited = time.monotonic()
        while vectors() == 0:  # the worker has loaded its model and is writing vectors
            if worker.poll() is not None or time.monotonic() - waited > 600:
                sys.exit(f"the worker wrote no vector; see {logs['worker']}")
            time.sleep(1)

        results = Results()
        by_client = [users[i :: args.clients] for i in range(args.clients)]
        v0, t0 = vectors(), time.monotonic()
        load_before = os.getloadavg()[0]
        deadline = t0 + args.seconds
        threads = [
            threading.Thread(
                target=run_client, args=(i, by_client[i], papers, client, results, deadline, 100 + i, anon)
            )
            for i in range(args.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        v1 = vectors()
        load_after = os.getloadavg()[0]
    finally:
        for process in (site, worker):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (site, worker):
            process.wait(timeout=120)

    # What the database holds for the bench users, by kind, against what succeeded.
    pks = [u.pk for u in users]
    held = {
        "votes": Counter(Vote.objects.filter(user_id__in=pks).values_list("user_id", "paper__arxiv_id")),
        "submit": Counter(
            DailyEntry.objects.filter(submitted_by_id__in=pks).values_list(
                "submitted_by_id", "paper__arxiv_id"
            )
        ),
        "comment": Counter(Comment.objects.filter(user_id__in=pks).values_list("body", flat=True)),
        "save": Counter(
            Entry.objects.filter(collection__owner_id__in=pks, collection__is_reading_list=True).values_list(
                "collection__owner_id", "paper__arxiv_id"
            )
        ),
        "sign-up": Counter(
            Subscription.objects.filter(email__startswith="bench-").values_list("email", flat=True)
        ),
    }
    succeeded = {
        "votes": results.ok["vote"] | results.ok["api-vote"],
        "submit": results.ok["submit"],
        "comment": results.ok["comment"],
        "save": results.ok["save"],
        "sign-up": results.ok["sign-up"],
    }
    mismatches = []
    for kind, rows in held.items():
        missing = succeeded[kind] - set(rows)
        extra = set(rows) - succeeded[kind]
        twice = [w for w, c in rows.items() if c > 1]
        if missing or extra or twice:
            mismatches.append(f"{kind}: {len(missing)} missing, {len(extra)} extra, {len(twice)} twice")
    # One confirmation per address; a double click may send a second (asking again re-sends, by design).
    wrong_mails = [
        email
        for email in results.ok["sign-up"]
        if not 1 <= inbox[email] <= (2 if ("sign-up", email) in results.doubled_writes else 1)
    ]
    if wrong_mails:
        mismatches.append(f"sign-up mails: {len(wrong_mails)} addresses got none or too many")

    log_problems = {}
    for name, path in logs.items():
        text = path.read_text(errors="replace")
        found = {
            "database is locked": text.count(LOCKED),
            "tracebacks": text.count("Traceback"),
            "5xx in the access log": len(re.findall(r'" 5\d\d ', text)),
        }
        log_problems[name] = {k: v for k, v in found.items() if v}

    everything = sorted(ms for values in results.latencies.values() for ms in values)
    writes = sum(len(s) for s in results.ok.values())
    failures = sum(sum(c.values()) for c in results.failures.values())
    import torch

    print(
        f"{args.database}, {args.web_workers} gunicorn workers + the worker, {args.clients} clients "
        f"({len(users)} users), {elapsed:.0f} s, catalog {len(papers):,} listing papers; "
        f"{os.cpu_count()} cpus, {torch.backends.cpu.get_cpu_capability()}"
    )
    print(
        f"writes {writes:,} in {elapsed:.1f} s = {writes / elapsed:.1f} writes/s; latency p50 "
        f"{percentile(everything, 0.5):.0f} ms, p99 {percentile(everything, 0.99):.0f} ms; "
        f"failures {failures}; 429s {sum(results.throttled.values())}"
    )
    for kind in KINDS:
        lat = sorted(results.latencies[kind])
        fails = dict(results.failures[kind])
        print(
            f"  {kind:9} ok {len(results.ok[kind]):6,}  p50 {percentile(lat, 0.5):6.0f} ms  "
            f"p99 {percentile(lat, 0.99):6.0f} ms  failures {fails or 0}  429s {results.throttled[kind]}  "
            f"double clicks {results.doubled[kind]}"
        )
    print(f"worker: {v1 - v0:,} vectors written during the load ({(v1 - v0) / elapsed:.1f}/s)")
    print(f"exactly once: {'yes' if not mismatches else 'NO: ' + '; '.join(mismatches)}")
    print(f"logs: {log_problems if any(log_problems.values()) else 'no lock errors, tracebacks or 5xx'}")
    for example in results.examples:
        print("  e.g.", example)
    if any(log_problems.values()):
        for name, path in logs.items():
            text = path.read_text(errors="replace")
            at = text.find("Traceback")
            if at >= 0:
                print(f"--- first traceback in the {name} log ---\n{text[max(0, at - 300) : at + 3000]}")
    print(f"load average before the load {load_before:.2f}, after {load_after:.2f}")
    if args.show_worker:
        print("--- the worker's log ---")
        print("\n".join(logs["worker"].read_text(errors="replace").splitlines()[-args.show_worker :]))


if __name__ == "__main__":
    main()
