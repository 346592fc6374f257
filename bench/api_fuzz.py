"""The long fuzzing run: tests/fuzzing.py (Schemathesis) against `papertide serve` (gunicorn), with many more
requests than the suite's bounded run (tests/test_api_fuzz.py).

A fresh SQLite home holds real papers: Hugging Face's 753 daily papers with their upvotes and the first 300
papers of the arXiv listings, all embedded; a reader with a personal token, a collection, a trained
interest and a reading list; an outsider with a collection and an interest of theirs. arXiv's API, asked
about a submitted paper the catalog lacks, is a local server answering with arXiv's real recorded reply for
an id it has no paper for. Submissions may be of any age here (PAPERTIDE_SUBMIT_MAX_AGE_DAYS), and the
token's allowance and the daily cap are out of reach, so that the writes themselves are fuzzed.

Prints, per operation and mode, the requests sent; then the operations covered, the requests (examples)
run, their statuses, the 5xx, and every failed check with the request that reproduces it (curl).

    .venv/bin/python bench/api_fuzz.py [--examples 300] [--seed 20261129] [--workers 2]
"""

import argparse
import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("PAPERTIDE_SHARED_DATA", ROOT.parent / "shared" / "data"))
HF = DATA / "hf-daily-papers/mwoedlinger_PaperExplorer_2024-04/papers.json"
LISTINGS = DATA / "arxiv/listings-2025-03-to-2026-07.jsonl.gz"
NO_PAPERS = DATA / "arxiv-api/recorded-2026/id_0000.0000_s0_m100_8b51d9633a68.json"
LISTED = 300


def prepare() -> tuple[str, dict]:
    """The catalog, the people and their libraries, in the home that PAPERTIDE_HOME names; the reader's
    token and the ids, slugs, days and interests the server holds."""
    import django

    django.setup()
    from django.core.management import call_command

    from papertide.accounts.models import ApiToken
    from papertide.catalog.models import Paper
    from papertide.catalog.services import ingest
    from papertide.catalog.sources.hf_daily import read_hf_daily
    from papertide.catalog.sources.snapshot import from_listing
    from papertide.community.models import DailyEntry
    from tests.fuzzing import library_of
    from tests.personas import person

    call_command("migrate", verbosity=0)
    ingest(read_hf_daily(HF), "hf-daily")
    with gzip.open(LISTINGS, "rt") as f:
        rows = [json.loads(line) for line in islice(f, LISTED + 1)]
    ingest([from_listing(row) for row in rows[:LISTED]], "bench")
    call_command("embed", verbosity=0)
    reader, outsider = person("ada"), person("eve")
    papers = list(Paper.objects.order_by("id"))
    library = library_of(reader, outsider, papers)
    _, token = ApiToken.issue(reader, "fuzzing")
    ids = [p.arxiv_id for p in papers[:: max(1, len(papers) // 12)]]
    days = sorted({d.isoformat() for d in DailyEntry.objects.values_list("day", flat=True)})
    absent = rows[LISTED]["id"]  # a real paper, not imported
    known = {
        "path_parameters": {"arxiv_id": [*ids, f"{ids[0]}v1", absent], "slug": library["slugs"]},
        "query": {"date": days[-6:], "interest": library["interests"]},
        "body": {"paper": [*ids, f"https://arxiv.org/abs/{ids[1]}", absent]},
    }
    return token, known


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=300, help="an operation, in each mode")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    for path in (HF, LISTINGS, NO_PAPERS):
        if not path.exists():
            sys.exit(f"benchmark data not found: {path}")
    from tests.replay import ReplayServer, Reply

    empty = json.loads(NO_PAPERS.read_text())["body"].encode("latin-1")
    with tempfile.TemporaryDirectory() as home, ReplayServer(respond=lambda p, h: Reply(200, empty)) as arxiv:
        os.environ.pop("DATABASE_URL", None)
        os.environ.update(
            PAPERTIDE_HOME=home,
            DJANGO_SETTINGS_MODULE="papertide.settings",
            PAPERTIDE_ALLOWED_HOSTS="127.0.0.1 localhost",
            PAPERTIDE_ARXIV_API_URL=arxiv.url + "/api/query",
            PAPERTIDE_ARXIV_DELAY="0",
            PAPERTIDE_TOKEN_RATE="100000000",
            PAPERTIDE_SUBMIT_DAILY_CAP="100000000",
            PAPERTIDE_SUBMIT_MAX_AGE_DAYS="100000",
        )
        began = time.monotonic()
        token, known = prepare()
        print(f"catalog ready in {time.monotonic() - began:.0f} s", flush=True)
        papertide = str(Path(sys.executable).parent / "papertide")
        server = subprocess.Popen(
            [papertide, "serve", "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers)],
            stdout=subprocess.DEVNULL,
            stderr=(Path(home) / "serve.log").open("w"),
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{args.port}"
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/api/openapi.json", timeout=5).read()
                    break
                except OSError:
                    time.sleep(0.2)
            from tests.fuzzing import fuzz

            report = fuzz(base, token, known, args.examples, args.seed, log=lambda s: print(s, flush=True))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait()
        errors = [line for line in (Path(home) / "serve.log").read_text().splitlines() if "Traceback" in line]
    print(f"operations covered: {', '.join(report.operations)}")
    print(f"{report.summary()}; server tracebacks logged: {len(errors)}")
    for failure in report.failures:
        print("\n" + failure)
    for skipped in report.skipped:
        print("skipped:", skipped)
    sys.exit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
