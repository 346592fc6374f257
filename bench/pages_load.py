"""Load on the list pages and a paper's page: wrk (a separate process) against `papertide serve` (gunicorn).

The catalog is the 753 real Hugging Face daily papers with their upvotes, imported into a fresh SQLite
home. The pages: the daily list (its latest day), trending (top 50), the newest papers (/, 25 a page, the
default) and the page of the most upvoted paper. Each page gets a warm-up, then
`wrk -t2 -c32 -d15s --latency`, once signed out and once with a signed-in reader's session cookie (who
sees their own votes, so nothing of the page is shared). Requires Debian's wrk.

    .venv/bin/python bench/pages_load.py [--workers 3] [--seconds 15]

gunicorn imports the code from its working directory: to measure another tree (a baseline), run this
script from that tree's root, e.g. `cd ../base && python ../tree/bench/pages_load.py`.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HF = (
    Path(__file__).resolve().parent.parent.parent
    / "shared/data/hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json"
)


# A reader with a session, who has upvoted the three most upvoted papers; prints the session key.
SIGNED_IN = """
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from papertide.community.models import DailyEntry
from papertide.community.services import set_vote
reader = User.objects.create_user("reader", "reader@example.org", "a long enough password")
for entry in DailyEntry.objects.select_related("paper").order_by("-imported_upvotes")[:3]:
    set_vote(reader, entry.paper, True)
session = SessionStore()
session["_auth_user_id"] = str(reader.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = reader.get_session_auth_hash()
session.create()
top = DailyEntry.objects.select_related("paper").order_by("-imported_upvotes").first().paper
print(top.arxiv_id, session.session_key)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    if not HF.exists():
        sys.exit(f"benchmark data not found: {HF}")
    papertide = str(Path(sys.executable).parent / "papertide")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PAPERTIDE_HOME": home, "PAPERTIDE_TRENDING_DAYS": "100000"}
        env.pop("DATABASE_URL", None)
        subprocess.run([papertide, "migrate", "-v0"], env=env, check=True)
        subprocess.run([papertide, "ingest", "hf-daily", str(HF)], env=env, check=True, capture_output=True)
        paper, session = subprocess.run(
            [papertide, "shell", "-c", SIGNED_IN],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-2:]  # (the shell may print a line of its own first)
        server = subprocess.Popen(
            [papertide, "serve", "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{args.port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/daily/", timeout=5).read()
                    break
                except OSError:
                    time.sleep(0.2)
            print(f"753 Hugging Face papers, {args.workers} gunicorn workers, wrk -t2 -c32 -d{args.seconds}s")
            pages = ("/daily/", "/trending/", "/", f"/papers/{paper}/")
            for path, who in [(p, w) for p in pages for w in ("signed out", "signed in")]:
                cookie = ["-H", f"Cookie: sessionid={session}"] if who == "signed in" else []
                for _ in range(20):
                    urllib.request.urlopen(base + path, timeout=5).read()
                out = subprocess.run(
                    ["wrk", "-t2", "-c32", f"-d{args.seconds}s", "--latency", *cookie, base + path],
                    capture_output=True,
                    text=True,
                ).stdout
                lines = [line.strip() for line in out.splitlines()]
                keep = [
                    line
                    for line in lines
                    if line.startswith(("50%", "90%", "99%", "Requests/sec", "Non-2xx", "Socket errors"))
                ]
                print(
                    f"{path} ({who}): "
                    + " | ".join(keep)
                    + f" | {next(line for line in lines if 'requests in' in line)}"
                )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()


if __name__ == "__main__":
    main()
