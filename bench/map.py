"""The map's figures (docs/benchmarks.md, "Map"): the worker's full layout of the catalog on one core, the
points' size as sent to the browser (raw and gzip), and the time to the first full draw in headless Chromium.

Run it on a copy of an imported and embedded home (it writes the map there, never into --home):

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python bench/map.py --home bench-home --work /tmp/mapbench

--phase compute lays out the map (the `map` job's full layout); --phase serve measures the size and the
first draw of a map laid out before (so the two can run apart); --phase all does both.
"""

import argparse
import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_home(home: Path, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "papertide.sqlite3").exists():
        shutil.copy2(home / "papertide.sqlite3", work / "papertide.sqlite3")
        shutil.copy2(home / "secret.key", work / "secret.key")
        if (home / "encoders").exists() and not (work / "encoders").exists():
            shutil.copytree(home / "encoders", work / "encoders")


def compute() -> None:
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    import torch

    from papertide.search import atlas
    from papertide.search.models import MapLayout, PaperVector

    MapLayout.objects.all().delete()  # a full layout, not a placement of new papers
    print(f"embedded papers: {PaperVector.objects.count():,}")
    print(
        f"CPU: {torch.backends.cpu.get_cpu_capability()}, "
        f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS')}"
    )
    started = time.perf_counter()
    line = atlas.map_job(now=timezone.now(), should_stop=lambda: False, write=print)
    print(line)
    print(
        f"full layout (the map job, reading vectors to writing points): {time.perf_counter() - started:.1f} s"
    )


def get(url: str, gzip_ok: bool) -> tuple[bytes, str]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return reply.read(), reply.headers.get("Content-Encoding", "")


def serve(port: int, runs: int, screenshot: Path) -> None:
    from playwright.sync_api import sync_playwright

    from papertide.pages.atlas import layout_version, pack
    from tests.browser import CHROMIUM_ARGS, chromium_path

    for _ in range(3):
        started = time.perf_counter()
        pack(layout_version() or "")
        print(
            "packing points.bin in a web process (query + encode + gzip): "
            f"{time.perf_counter() - started:.2f} s"
        )
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PAPERTIDE_ALLOWED_HOSTS": "127.0.0.1 localhost"}
    server = subprocess.Popen(
        [sys.executable, "-m", "papertide.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(150):
            try:
                get(base + "/map/", False)
                break
            except OSError:
                time.sleep(0.2)
        started = time.perf_counter()
        raw, _ = get(base + "/map/points.bin", False)
        fetched = time.perf_counter() - started
        zipped, encoding = get(base + "/map/points.bin", True)
        assert encoding == "gzip" and gzip.decompress(zipped) == raw
        points = int.from_bytes(raw[:4], "little")
        print(f"points.bin: {points:,} points, {len(raw):,} bytes raw, {len(zipped):,} bytes gzip")
        print(
            f"  ({len(raw) / points:.1f} and {len(zipped) / points:.2f} bytes a point; "
            f"fetched in {fetched * 1000:.0f} ms)"
        )
        page, _ = get(base + "/map/", False)
        print(f"map page HTML: {len(page):,} bytes raw, {len(gzip.compress(page)):,} gzip")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            times = []
            for run in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                tab = context.new_page()
                tab.goto(base + "/map/")
                tab.wait_for_function("window.mapDrawnAt !== undefined", timeout=60000)
                times.append(tab.evaluate("window.mapDrawnAt"))
                frame = tab.evaluate("window.mapFrameMs")
                if run == 0:
                    tab.screenshot(path=str(screenshot))
                context.close()
                print(
                    f"  run {run + 1}: first full draw {times[-1]:.0f} ms after navigation "
                    f"(a redraw {frame:.1f} ms)"
                )
            browser.close()
        times.sort()
        print(
            "first full draw, headless Chromium, new context each run: "
            f"median {times[len(times) // 2]:.0f} ms"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=ROOT.parent / "bench-home")
    parser.add_argument("--work", type=Path, default=Path("/tmp/papertide-map-bench"))
    parser.add_argument("--phase", choices=["compute", "serve", "all"], default="all")
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    copy_home(args.home, args.work)
    os.environ["PAPERTIDE_HOME"] = str(args.work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if args.phase in ("compute", "all"):
        compute()
    if args.phase in ("serve", "all"):
        serve(args.port, args.runs, args.work / "map.png")


if __name__ == "__main__":
    main()
