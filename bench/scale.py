"""One million papers: import time, HNSW recall against exact search, and hybrid search latency over HTTP
at concurrency 8, on PostgreSQL (pgvector) or SQLite.

The catalog: the 74,728 real listing papers, plus synthetic copies of them (id "synthetic-N-<real id>",
marked synthetic in the database, never listed or shown) up to --papers records. A copy has its source's
text, so it loads the keyword index like a real paper, and its source's embedding plus Gaussian noise
(renormalised; cosine to the source about 0.9), so it loads the vector index. The real embeddings come
from a PAPERTIDE_HOME where the real papers are embedded (--vectors-from); nothing is embedded here.

    .venv/bin/python bench/scale.py --db postgres --vectors-from HOME [--papers 1000000] [--keep DIR]
    .venv/bin/python bench/scale.py --db sqlite --vectors-from HOME [--papers 1000000] [--keep DIR]

Steps and what each prints:
1. import: every record through the one upsert path (catalog.services.ingest), timed (embeddings excluded);
2. vectors: written in bulk, then (PostgreSQL) the HNSW index built, timed separately;
3. recall@10 of the configured vector search against exact search over the same vectors, real queries;
4. latency: `papertide serve` (gunicorn) and wrk, a separate process, with 8 connections sending real
   queries (titles of real papers and SciFact claims) to /api/papers/search in hybrid mode, each query
   once (bench/each_path_once.lua); p50, p90, p99, requests/s.
Before step 3 the papers' display text is filled, as the worker does: without it every result was cleaned
of LaTeX per request. PostgreSQL gets shared_buffers of 4 GB (--shared-buffers), room for the HNSW index
(2 GB at a million papers); with the default 128 MB an HNSW search read its pages from the OS cache and took
5 to 60 ms instead of 3 to 5.
With --keep DIR the database stays in DIR and a second run skips the import and vectors (--reuse);
--rebuild-index builds the HNSW index again with --hnsw-m and --hnsw-ef-construction.
"""

import argparse
import gzip
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parent.parent.parent / "shared/data"
LISTINGS = SHARED / "arxiv/listings-2025-03-to-2026-07.jsonl.gz"
SCIFACT = SHARED / "scifact/queries.jsonl"
WRK_SCRIPT = Path(__file__).resolve().parent / "each_path_once.lua"
NOISE = 0.025  # per dimension: noise of norm about 0.49 on a unit vector, cosine to the source about 0.9
SEED = 1_000_000


def listing_rows() -> list[dict]:
    with gzip.open(LISTINGS, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def records(rows: list[dict], total: int):
    """The real records, then synthetic copies, until `total` records."""
    import dataclasses

    from papertide.catalog.sources.snapshot import from_listing

    made, copy = 0, 0
    while made < total:
        for row in rows:
            if made >= total:
                return
            record = from_listing(dict(row))
            if copy:
                record = dataclasses.replace(record, synthetic=True, arxiv_id=f"synthetic-{copy}-{row['id']}")
            made += 1
            yield record
        copy += 1


def real_vectors(home: Path) -> dict[str, np.ndarray]:
    db = sqlite3.connect(f"file:{home / 'papertide.sqlite3'}?mode=ro", uri=True)
    rows = db.execute(
        "SELECT p.arxiv_id, v.vector FROM search_papervector v JOIN catalog_paper p ON p.id = v.paper_id"
    )
    return {arxiv_id: np.frombuffer(blob, dtype="<f4") for arxiv_id, blob in rows}


def all_vectors(real: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(ids, matrix) for every paper of the new catalog whose source paper has a real embedding."""
    from papertide.catalog.models import Paper

    rng = np.random.default_rng(SEED)
    ids, rows, synthetic = [], [], []
    for paper_id, arxiv_id in Paper.everything.order_by("id").values_list("id", "arxiv_id").iterator(20_000):
        copy = arxiv_id.startswith("synthetic-")
        source = arxiv_id.split("-", 2)[2] if copy else arxiv_id
        if source in real:
            ids.append(paper_id)
            rows.append(source)
            synthetic.append(copy)
    matrix = np.stack([real[s] for s in rows]).astype(np.float32)
    synthetic = np.array(synthetic)
    noise = rng.normal(0.0, NOISE, size=(int(synthetic.sum()), matrix.shape[1])).astype(np.float32)
    matrix[synthetic] += noise
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.array(ids, dtype=np.int64), matrix


def copy_vectors_postgres(ids: np.ndarray, matrix: np.ndarray, model: str) -> None:
    """PostgreSQL's binary COPY, built with numpy: pgvector's binary form is int16 dim, int16 0, float4s."""
    from django.db import connection

    dim = matrix.shape[1]
    name = model.encode()
    row = np.dtype(
        [
            ("fields", ">i2"),
            ("id_len", ">i4"),
            ("id", ">i8"),
            ("model_len", ">i4"),
            ("model", f"S{len(name)}"),
            ("vec_len", ">i4"),
            ("dim", ">i2"),
            ("unused", ">i2"),
            ("vec", ">f4", (dim,)),
            ("ts_len", ">i4"),
            ("ts", ">i8"),
        ]
    )
    data = np.zeros(len(ids), dtype=row)
    data["fields"], data["id_len"], data["id"] = 4, 8, ids
    data["model_len"], data["model"] = len(name), name
    data["vec_len"], data["dim"], data["vec"] = 4 + 4 * dim, dim, matrix
    data["ts_len"] = 8
    data["ts"] = int((time.time() - 946684800) * 1_000_000)  # microseconds since 2000-01-01
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY search_papervector (paper_id, model, vector, updated_at) FROM STDIN WITH (FORMAT binary)"
        ) as copy:
            copy.write(header)
            step = 50_000
            for start in range(0, len(data), step):
                copy.write(data[start : start + step].tobytes())
            copy.write(struct.pack(">h", -1))


def build_hnsw(m: int, ef_construction: int) -> float:
    """(Re)build the HNSW index with these parameters; seconds taken."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS search_papervector_hnsw")
        cursor.execute("SET maintenance_work_mem = '8GB'")
        started = time.perf_counter()
        cursor.execute("SET max_parallel_maintenance_workers = 1")  # two cores: the leader and one more
        options = f"m = {int(m)}, ef_construction = {int(ef_construction)}"
        cursor.execute(
            "CREATE INDEX search_papervector_hnsw ON search_papervector "
            f"USING hnsw (vector vector_cosine_ops) WITH ({options})"
        )
        took = time.perf_counter() - started
        cursor.execute("ANALYZE search_papervector")
    return took


def write_vectors(ids: np.ndarray, matrix: np.ndarray, m: int, ef_construction: int) -> dict[str, float]:
    from django.db import connection

    from papertide.search.encoder import model_name

    timings = {}
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_papervector")
        if connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS search_papervector_hnsw")
            started = time.perf_counter()
            copy_vectors_postgres(ids, matrix, model_name())
            timings["vectors written"] = time.perf_counter() - started
            timings[f"HNSW index built (m {m}, ef_construction {ef_construction})"] = build_hnsw(
                m, ef_construction
            )
        else:
            started = time.perf_counter()
            model, now = model_name(), time.strftime("%Y-%m-%d %H:%M:%S")
            cursor.executemany(
                "INSERT INTO search_papervector (paper_id, model, vector, updated_at) "
                "VALUES (%s, %s, %s, %s)",
                ((int(i), model, v.tobytes(), now) for i, v in zip(ids, matrix, strict=True)),
            )
            timings["vectors written"] = time.perf_counter() - started
    return timings


def queries(titles_wanted: int) -> tuple[list[str], list[str]]:
    """Real queries, the same every run: titles of real catalog papers (in the catalog's domain), and
    every SciFact claim (biomedical questions, mostly outside it), each list shuffled."""
    from papertide.catalog.models import Paper

    rng = random.Random(7)
    every = list(Paper.objects.order_by("id").values_list("title", flat=True))
    titles = [" ".join(t.split()) for t in rng.sample(every, min(len(every), titles_wanted))]
    claims = [json.loads(line)["text"] for line in SCIFACT.open()] if SCIFACT.exists() else []
    return titles, rng.sample(claims, len(claims))


def recall(texts: list[str], ids: np.ndarray, matrix: np.ndarray, k: int = 10) -> tuple[float, float, int]:
    """Mean recall@k of the configured vector search against exact search, its mean time in ms, and how
    many queries were far enough from the catalog to be searched twice (PostgreSQL)."""
    from django.conf import settings

    from papertide.search.encoder import get_encoder
    from papertide.search.engine import catalog_vectors

    encoder, vectors = get_encoder("queries"), catalog_vectors()
    found, took, far = [], [], 0
    for text in texts:
        query = encoder.encode([text])[0]
        exact = set(ids[np.argpartition(-(matrix @ query), k)[:k]].tolist())
        started = time.perf_counter()
        got = vectors.top(query, k)
        took.append((time.perf_counter() - started) * 1000)
        found.append(len(exact & {i for i, _ in got}) / k)
        if hasattr(vectors, "_nearest") and settings.PAPERTIDE_HNSW_FAR_SIMILARITY:
            first = vectors._nearest(query, k, max(settings.PAPERTIDE_HNSW_EF_SEARCH, 2 * k))
            far += first[-1][1] < settings.PAPERTIDE_HNSW_FAR_SIMILARITY
    return statistics.mean(found), statistics.mean(took), far


def search_paths(texts: list[str]) -> Path:
    """A file of /api/papers/search paths, one per text, for wrk."""
    path = Path(tempfile.mkstemp(prefix="papertide-queries-", suffix=".txt")[1])
    path.write_text(
        "".join(f"/api/papers/search?{urllib.parse.urlencode({'q': t, 'limit': 20})}\n" for t in texts)
    )
    return path


def load(base: str, texts: list[str], concurrency: int, seconds: int) -> dict[str, float]:
    """wrk with `concurrency` connections for `seconds`, each text once (while they last)."""
    paths = search_paths(texts)
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{concurrency}",
                f"-d{seconds}s",
                "--timeout",
                "60s",
                "-s",
                str(WRK_SCRIPT),
                base,
                "--",
                str(paths),
                "2",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        paths.unlink()
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    return {key: float(value) for key, value in (pair.split("=") for pair in line.split()[1:])}


def cpu_seconds(server_group: int) -> dict[str, float]:
    """CPU seconds used so far by the web server's processes and by PostgreSQL's (Linux /proc)."""
    tick, used = os.sysconf("SC_CLK_TCK"), {"web": 0.0, "postgres": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if name == "postgres":
            used["postgres"] += seconds
        elif int(fields[2]) == server_group:
            used["web"] += seconds
    return used


def tune_postgres(pg, shared_buffers: str) -> None:
    """shared_buffers large enough for the HNSW index; it takes a restart."""
    from pgserver._commands import pg_ctl  # pgserver runs PostgreSQL as its own system user

    if shared_buffers.lower() in pg.psql("SHOW shared_buffers;").lower():
        return  # already so: a restart would only empty the buffers
    pg.psql(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers}';")
    pg_ctl(["-w", "restart"], pgdata=pg.pgdata, user=pg.system_user, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["postgres", "sqlite"], required=True)
    parser.add_argument(
        "--vectors-from", required=True, help="a PAPERTIDE_HOME with the real papers embedded"
    )
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--keep", help="keep the database in this folder")
    parser.add_argument("--reuse", action="store_true", help="use the database kept in --keep as it is")
    parser.add_argument("--titles", type=int, default=2400, help="titles sent in the load (each once)")
    parser.add_argument("--recall-queries", type=int, default=100, help="of each kind")
    parser.add_argument("--recall-ef", default="100", help="PostgreSQL: ef_search values to measure, a,b,...")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=30, help="of load")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--shared-buffers", default="4GB", help="PostgreSQL's")
    parser.add_argument("--hnsw-m", type=int, default=16)
    parser.add_argument("--hnsw-ef-construction", type=int, default=200)  # as migrated
    parser.add_argument(
        "--setting", action="append", default=[], help="PAPERTIDE_NAME=VALUE for this run (repeatable)"
    )
    parser.add_argument("--no-load", action="store_true", help="stop after the recall figures")
    parser.add_argument("--rebuild-index", action="store_true", help="with --reuse: build HNSW again")
    args = parser.parse_args()
    if not LISTINGS.exists():
        sys.exit(f"benchmark data not found: {LISTINGS}")
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")

    folder = Path(args.keep or tempfile.mkdtemp(prefix="papertide-scale-")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not (k.startswith("PAPERTIDE_") or k == "DATABASE_URL")}
    env["PAPERTIDE_HOME"] = str(folder)
    env.update(pair.split("=", 1) for pair in args.setting)
    pg = None
    if args.db == "postgres":
        import pgserver

        pg = pgserver.get_server(folder / "pg", cleanup_mode=None if args.keep else "stop")
        tune_postgres(pg, args.shared_buffers)
        env["DATABASE_URL"] = pg.get_uri()
        env["PAPERTIDE_SECRET_KEY"] = "scale-benchmark-only"
    os.environ.update(env, DJANGO_SETTINGS_MODULE="papertide.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from papertide.catalog.models import Paper
    from papertide.catalog.services import ingest

    print(f"{args.db}: {folder}", flush=True)
    if not args.reuse:
        call_command("migrate", verbosity=0)
        rows = listing_rows()
        from tqdm import tqdm

        bar = tqdm(total=args.papers, unit=" records", mininterval=5)
        started = time.perf_counter()
        stats, _ = ingest(records(rows, args.papers), "scale", on_progress=bar.update)
        took = time.perf_counter() - started
        bar.close()
        print(
            f"import: {args.papers:,} records ({stats.new:,} new, {len(rows):,} real) in {took:.0f} s "
            f"= {args.papers / took:,.0f} records/s (embeddings excluded)",
            flush=True,
        )
        real = real_vectors(Path(args.vectors_from))
        ids, matrix = all_vectors(real)
        for what, seconds in write_vectors(ids, matrix, args.hnsw_m, args.hnsw_ef_construction).items():
            print(f"{what}: {len(ids):,} vectors in {seconds:.0f} s", flush=True)
        if connection.vendor == "postgresql":  # what the worker does at start and every 6 hours
            from papertide.search.keyword_pg import refresh_term_stats

            started = time.perf_counter()
            counted = refresh_term_stats()
            print(
                f"word counts (postings budget): {counted:,} words in {time.perf_counter() - started:.0f} s"
            )
    else:
        from papertide.search.models import PaperVector

        pairs = PaperVector.objects.order_by("paper_id").values_list("paper_id", "vector")
        ids = np.array([p for p, _ in pairs.iterator(chunk_size=20_000)], dtype=np.int64)
        matrix = np.stack([v for _, v in pairs.iterator(chunk_size=20_000)]).astype(np.float32)
        if args.rebuild_index and connection.vendor == "postgresql":
            took = build_hnsw(args.hnsw_m, args.hnsw_ef_construction)
            print(
                f"HNSW index built (m {args.hnsw_m}, ef_construction {args.hnsw_ef_construction}): "
                f"{len(ids):,} vectors in {took:.0f} s",
                flush=True,
            )
    from papertide.search.embedding import clean_pending

    started = time.perf_counter()
    cleaned = clean_pending()  # the worker's display text; real papers only (the copies are never shown)
    print(f"display text filled: {cleaned:,} papers in {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT (SELECT setting FROM pg_settings WHERE name = 'shared_buffers')::bigint * 8192, "
                "pg_relation_size('search_papervector_hnsw'), "
                "(SELECT reloptions FROM pg_class WHERE relname = 'search_papervector_hnsw')"
            )
            buffers, size, options = cursor.fetchone()
            print(
                f"PostgreSQL shared_buffers {buffers / 2**30:.1f} GiB; HNSW index {size / 2**30:.2f} GiB, "
                f"{options or 'default parameters'}; ef_search {settings.PAPERTIDE_HNSW_EF_SEARCH}",
                flush=True,
            )
    total, real_count = Paper.everything.count(), Paper.objects.count()
    print(f"catalog: {total:,} papers ({real_count:,} real), {len(ids):,} vectors", flush=True)

    titles, claims = queries(args.recall_queries + args.titles + 100)
    half = args.recall_queries
    configured = settings.PAPERTIDE_HNSW_EF_SEARCH, settings.PAPERTIDE_HNSW_FAR_SIMILARITY
    postgres = connection.vendor == "postgresql"
    for ef in [int(e) for e in args.recall_ef.split(",")] if postgres else [0]:
        for far in sorted({0.0, configured[1]}) if postgres else [0.0]:
            settings.PAPERTIDE_HNSW_EF_SEARCH, settings.PAPERTIDE_HNSW_FAR_SIMILARITY = (
                ef or configured[0],
                far,
            )
            for name, group in (("titles", titles[:half]), ("SciFact claims", claims[:half])):
                mean_recall, vector_ms, deeper = recall(group, ids, matrix)
                how = f" (ef_search {ef}, {f'again at 1000 below similarity {far}' if far else 'one look'})"
                print(
                    f"recall@10 of {connection.vendor} vector search against exact search"
                    + (how if postgres else "")
                    + f", {len(group)} {name}: {mean_recall:.3f} ({vector_ms:.1f} ms a query in-process"
                    + (f"; {deeper} searched twice)" if far else ")"),
                    flush=True,
                )
    settings.PAPERTIDE_HNSW_EF_SEARCH, settings.PAPERTIDE_HNSW_FAR_SIMILARITY = configured
    if args.no_load:
        return
    warm = titles[-100:]
    texts = titles[half:-100] + claims
    random.Random(7).shuffle(texts)
    del matrix
    connection.close()

    base = f"http://127.0.0.1:{args.port}"
    papertide = str(Path(sys.executable).parent / "papertide")
    server = subprocess.Popen(
        [papertide, "serve", "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers)],
        env={**env, "PAPERTIDE_ALLOWED_HOSTS": "127.0.0.1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/api/papers/search?q=warm", timeout=120).read()
                break
            except OSError:
                time.sleep(0.5)
        load(base, warm, args.concurrency, 10)  # every worker loads the model (and, on SQLite, vectors)
        before = cpu_seconds(server.pid)
        figures = load(base, texts, args.concurrency, args.seconds)
        after = cpu_seconds(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
        if pg is not None and not args.keep:
            pg.cleanup()

    f = figures
    print(
        f"hybrid search over HTTP, {f['requests']:.0f} queries (of {len(titles) - half - 100:,} titles and "
        f"{len(claims):,} claims, shuffled; {f['repeats']:.0f} sent twice), wrk with {args.concurrency} "
        f"connections, {args.workers} gunicorn workers: p50 {f['p50']:.1f} ms, p90 {f['p90']:.1f} ms, "
        f"p99 {f['p99']:.1f} ms, max {f['max']:.0f} ms, {f['requests'] / f['seconds']:.1f} requests/s, "
        f"errors {f['errors']:.0f}"
    )
    per = {k: (after[k] - before[k]) * 1000 / f["requests"] for k in after}
    print(
        f"CPU per request: web processes {per['web']:.1f} ms, PostgreSQL {per['postgres']:.1f} ms "
        f"({per['web'] + per['postgres']:.1f} ms in all; {os.cpu_count()} cores here). At concurrency "
        f"{args.concurrency}, a p50 of 50 ms needs about {args.concurrency * sum(per.values()) / 50:.1f} "
        "busy cores at that cost."
    )


if __name__ == "__main__":
    main()
