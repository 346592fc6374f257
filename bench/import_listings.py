"""Import benchmark: the 74,728 real listing records into a fresh SQLite catalog, then again.

Prints records/s of the first import, of a re-import that changes nothing, their ratio (measured in the
same run, so machine noise affects both) and each run's peak RSS. Each import runs as its own
`papertide ingest snapshot` process, exactly as an operator would run it; wall time includes start-up.

    .venv/bin/python bench/import_listings.py [FILE]
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/arxiv/listings-2025-03-to-2026-07.jsonl.gz"
)
RECORDS = 74_728


def timed(argv: list[str], env: dict) -> tuple[float, float, str]:
    """Run a command; return wall seconds, peak RSS in MB, and its standard output."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{' '.join(argv)} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024, out


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.exists():
        sys.exit(f"benchmark data not found: {path} (pass the listings file as the first argument)")
    papertide = str(Path(sys.executable).parent / "papertide")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PAPERTIDE_HOME": home}
        env.pop("DATABASE_URL", None)
        subprocess.run([papertide, "migrate", "-v0"], env=env, check=True)
        first, first_rss, first_out = timed([papertide, "ingest", "snapshot", str(path)], env)
        again, again_rss, again_out = timed([papertide, "ingest", "snapshot", str(path)], env)
    print(f"data: {path.name} ({RECORDS:,} records)")
    print(f"first import : {first:6.2f} s  {RECORDS / first:8,.0f} records/s  peak RSS {first_rss:5.0f} MB")
    print(f"  {first_out.splitlines()[0]}")
    print(f"re-import    : {again:6.2f} s  {RECORDS / again:8,.0f} records/s  peak RSS {again_rss:5.0f} MB")
    print(f"  {again_out.splitlines()[0]}")
    print(f"re-import speed-up: {first / again:.2f}x")


if __name__ == "__main__":
    main()
