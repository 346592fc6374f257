"""CPU time a page costs the server, per request: the pages of bench/pages_load.py rendered in-process by
Django's test client, timed by the process's own CPU clock (time.process_time), so other work on a busy
machine changes the figure much less than it changes wrk's requests per second.

The catalog is the 753 real Hugging Face daily papers with their upvotes, imported into a fresh SQLite
home; the reader has upvoted the three most upvoted papers. Each page is fetched 20 times to warm up,
then `--requests` times; the median of `--rounds` rounds is printed.

    .venv/bin/python bench/pages_cpu.py [--requests 200] [--rounds 3]

Compare two trees with PYTHONPATH=<tree> (the script's own tree otherwise).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pages_load import HF, SIGNED_IN  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not HF.exists():
        sys.exit(f"benchmark data not found: {HF}")
    papertide = str(Path(sys.executable).parent / "papertide")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PAPERTIDE_HOME": home, "PAPERTIDE_TRENDING_DAYS": "100000"}
        env.pop("DATABASE_URL", None)
        subprocess.run([papertide, "migrate", "-v0"], env=env, check=True)
        subprocess.run([papertide, "ingest", "hf-daily", str(HF)], env=env, check=True, capture_output=True)
        paper, session = subprocess.run(
            [papertide, "shell", "-c", SIGNED_IN], env=env, check=True, capture_output=True, text=True
        ).stdout.split()[-2:]
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
        import django

        django.setup()
        from django.test import Client

        clients = {"signed out": Client(HTTP_HOST="localhost"), "signed in": Client(HTTP_HOST="localhost")}
        clients["signed in"].cookies["sessionid"] = session
        print(f"753 Hugging Face papers, {args.requests} requests x {args.rounds} rounds, CPU ms a request")
        for path in ("/daily/", "/trending/", "/", f"/papers/{paper}/"):
            for who, client in clients.items():
                for _ in range(20):
                    assert client.get(path).status_code == 200
                rounds = []
                for _ in range(args.rounds):
                    start = time.process_time()
                    for _ in range(args.requests):
                        client.get(path)
                    rounds.append((time.process_time() - start) * 1000 / args.requests)
                print(f"{path} ({who}): {statistics.median(rounds):.2f} ms CPU a request")


if __name__ == "__main__":
    main()
