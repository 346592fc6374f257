"""The idle worker's cost: CPU time of a real `papertide worker` with nothing to do, read from /proc.

A fresh PAPERTIDE_HOME (SQLite) gets PAPERS real listing papers, which the worker embeds first; once every
job has run and none is due, the worker's CPU time (user + system, /proc/PID/stat) is read over SECONDS
seconds of its idle polling: every job looked at each pass, its heartbeat written, the embedding job
finding nothing pending every 10 s, the digests job every minute. With --home, an existing home is used
as it is (a full catalog, already embedded).

    .venv/bin/python bench/worker_idle.py [--papers 300] [--seconds 60] [--home DIR]
"""

import argparse
import gzip
import itertools
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LISTINGS = Path(os.environ.get("PAPERTIDE_SHARED_DATA", REPO.parent / "shared" / "data")) / (
    "arxiv/listings-2025-03-to-2026-07.jsonl.gz"
)


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not (k.startswith("PAPERTIDE_") or k == "DATABASE_URL")}
    env.update(PAPERTIDE_HOME=str(home), PYTHONPATH=str(REPO))
    return env


def papertide(home: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "papertide.cli", *args], env=environment(home), check=True, cwd=home
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/PID/stat (fields 14 and 15, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle(db: Path) -> bool:
    """Every job has run, none is running, none is due."""
    with sqlite3.connect(db, timeout=30) as conn:
        rows = conn.execute("SELECT last_started_at, lease_owner FROM ops_job").fetchall()
        pending = conn.execute(
            "SELECT count(*) FROM catalog_paper WHERE id NOT IN (SELECT paper_id FROM search_papervector)"
        ).fetchone()[0]
    return bool(rows) and all(started and not owner for started, owner in rows) and pending == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()

    import torch

    model = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        "?",
    )
    print(f"{model}, {os.cpu_count()} cpus, torch CPU capability {torch.backends.cpu.get_cpu_capability()}")
    home = args.home or Path(tempfile.mkdtemp(prefix="worker-idle-"))
    if args.home is None:
        sample = home / "sample.jsonl"
        with gzip.open(LISTINGS, "rt", encoding="utf-8") as f:
            sample.write_text("".join(itertools.islice(f, args.papers)))
        papertide(home, "migrate", "--no-input", "-v", "0")
        papertide(home, "ingest", "snapshot", str(sample))
    db = home / "papertide.sqlite3"
    papers = sqlite3.connect(db).execute("SELECT count(*) FROM catalog_paper").fetchone()[0]

    worker = subprocess.Popen(
        [sys.executable, "-m", "papertide.cli", "worker"],
        env=environment(home),
        cwd=home,
        stdout=subprocess.DEVNULL,
    )
    try:
        started = time.monotonic()
        while not idle(db):
            if worker.poll() is not None:
                raise SystemExit("the worker ended")
            time.sleep(1)
        time.sleep(5)  # past the last job's summary and heartbeat
        waited = time.monotonic() - started
        print(f"{papers:,} papers; every job ran and the catalog is embedded after {waited:.0f} s")
        cpu0, wall0 = cpu_seconds(worker.pid), time.monotonic()
        time.sleep(args.seconds)
        cpu1, wall1 = cpu_seconds(worker.pid), time.monotonic()
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    share = (cpu1 - cpu0) / (wall1 - wall0)
    print(
        f"idle worker: {cpu1 - cpu0:.2f} CPU-s over {wall1 - wall0:.0f} s = {100 * share:.2f}% of one core "
        f"(exit code {worker.returncode} after SIGTERM)"
    )


if __name__ == "__main__":
    main()
