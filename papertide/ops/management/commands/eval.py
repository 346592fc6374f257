"""papertide eval beir DIR: nDCG@10, Recall@100 and MRR@10 of bm25, dense and hybrid on a BEIR folder.
papertide eval recommend: recall@20 and nDCG@20 of the recommender and its baselines on real histories.

The command lives in ops, the top floor, so that it may reach both search (beir) and library (recommend).
"""

import json
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from papertide.library import evaluate as recommend_eval
from papertide.search.beir import BeirError, Evaluation, load
from papertide.search.calibration import choice
from papertide.search.encoder import CANDIDATES, make_onnx_files

SYSTEMS = ("bm25", "dense", "rrf", "hybrid")
DEFAULT_HF = "../shared/data/hf-daily-papers/2404589803_newsletter-chinese_2024-05_to_2026-08"
DEFAULT_LISTINGS = "../shared/data/arxiv/listings-2025-03-to-2026-07.jsonl.gz"
# Where published_baselines.json names them: BEIR's Elasticsearch BM25 and MTEB's all-MiniLM-L6-v2.
BASELINE_KEYS = {
    "bm25": ("BM25", "beir_paper"),
    "dense": ("sentence-transformers/all-MiniLM-L6-v2", "mteb_paper"),
}


class Command(BaseCommand):
    help = "Evaluate search relevance on a BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/*.tsv)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
        beir = sub.add_parser("beir", help="a BEIR folder")
        beir.add_argument("folder")
        beir.add_argument("--split", help="qrels file to use (default: the first in qrels/)")
        beir.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
        beir.add_argument(
            "--fp32",
            action="store_true",
            help="embed the corpus and encode the queries with sentence-transformers' own fp32 (slower)",
        )
        beir.add_argument(
            "--encoder",
            choices=CANDIDATES,
            help="embed the corpus with this encoder candidate instead of the one chosen for this machine",
        )
        beir.add_argument("--json", action="store_true", help="print the figures as JSON")
        rec = sub.add_parser("recommend", help="the recommender on real reading histories")
        rec.add_argument("--hf", default=DEFAULT_HF, help="the Hugging Face daily-papers archive folder")
        rec.add_argument("--listings", default=DEFAULT_LISTINGS, help="the arXiv listing records (jsonl.gz)")
        rec.add_argument("--sets", nargs="+", choices=("hf", "authors"), default=["hf", "authors"])
        rec.add_argument(
            "--systems", nargs="+", choices=recommend_eval.SYSTEMS, default=list(recommend_eval.SYSTEMS)
        )
        rec.add_argument(
            "--part", choices=("test", "tune", "all"), default="test", help="which half of the readers"
        )
        rec.add_argument("--readers", type=int, help="at most this many readers a set, drawn with --seed")
        rec.add_argument("--weeks", type=int, default=2, help="queries a reader: their last weeks")
        rec.add_argument("--seed", type=int, default=0)
        rec.add_argument("--cache", help="folder for vectors of papers not in the catalog")
        rec.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, kind, json: bool, **options):
        if kind == "recommend":
            return self.recommend(json=json, **options)
        return self.beir(json=json, **options)

    def beir(self, *, folder, split, systems, fp32, encoder, json: bool, **options):
        if encoder and fp32:
            raise CommandError("--fp32 and --encoder exclude each other")
        if encoder:
            settings.PAPERTIDE_DOCUMENT_ENCODER = encoder
        if not fp32 and any(choice(role).startswith("onnx") for role in ("documents", "queries")):
            make_onnx_files()  # once per model and versions, under PAPERTIDE_HOME
        try:
            data = load(folder, split)
        except BeirError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(
            f"{Path(folder).name}: {len(data.doc_ids):,} documents, {len(data.queries):,} queries "
            f"({data.split})"
        )
        started = time.perf_counter()
        with tqdm(
            total=len(data.doc_ids), unit=" docs", file=sys.stderr, disable=None, desc="embedding"
        ) as bar:
            evaluation = Evaluation(data, fast=not fp32, progress=bar.update)
        self.stderr.write(f"ready in {time.perf_counter() - started:.0f} s")
        try:
            figures = {system: evaluation.evaluate(system) for system in systems}
        finally:
            evaluation.close()  # its temporary database
        baselines = self._baselines(Path(folder), data.path.name.lower())
        if json:
            self.stdout.write(_json({"split": data.split, "figures": figures, "published": baselines}))
            return
        self.stdout.write(
            f"{'system':<8} {'nDCG@10':>8} {'Recall@100':>11} {'MRR@10':>8}   published nDCG@10"
        )
        for system, values in figures.items():
            published = baselines.get(system)
            note = f"{published[0]:.3f} ({published[1]})" if published else ""
            ndcg, recall, mrr = values["nDCG@10"], values["Recall@100"], values["MRR@10"]
            self.stdout.write(f"{system:<8} {ndcg:>8.4f} {recall:>11.4f} {mrr:>8.4f}   {note}")

    def recommend(self, *, hf, listings, sets, systems, part, readers, weeks, seed, cache, json: bool, **_):
        import torch

        torch.set_num_threads(1)
        cache = cache or str(settings.HOME / "cache")
        by_set: dict[str, dict] = {}
        report = {"cpu": torch.backends.cpu.get_cpu_capability(), "k": recommend_eval.K, "sets": by_set}
        for name in sets:
            started = time.perf_counter()
            try:
                bench = recommend_eval.load_hf(hf) if name == "hf" else recommend_eval.load_authors(listings)
                queries = recommend_eval.make_queries(bench, part, weeks, readers, seed)
            except recommend_eval.EvaluationError as exc:
                raise CommandError(str(exc)) from None
            with tqdm(unit=" papers", file=sys.stderr, disable=None, desc="embedding") as bar:
                vectors, sources = recommend_eval.vectors_for(bench.corpus, cache, bar.update)
            sizes = {
                "papers": len(bench.corpus),
                "readers": len({q.reader for q in queries}),
                "queries": len(queries),
                "held_out": sum(len(q.relevant) for q in queries),
                "candidates_per_query": round(sum(len(q.candidates) for q in queries) / max(len(queries), 1)),
                "vectors": sources,
            }
            self.stderr.write(
                f"{name}: {sizes['papers']:,} papers, {sizes['readers']:,} readers ({part}), "
                f"{sizes['queries']:,} queries, {sizes['held_out']:,} held-out papers, "
                f"{sizes['candidates_per_query']:,} candidates a query; vectors {sources}"
            )
            try:
                with tqdm(total=len(queries), unit=" queries", file=sys.stderr, disable=None) as bar:
                    results = recommend_eval.evaluate(bench, vectors, systems, bar.update)
            except recommend_eval.EvaluationError as exc:
                raise CommandError(str(exc)) from None
            by_set[name] = {
                **sizes,
                "seconds": round(time.perf_counter() - started, 1),
                "figures": {
                    r.system: {
                        f"recall@{recommend_eval.K}": r.recall,
                        f"nDCG@{recommend_eval.K}": r.ndcg,
                        "ms_per_query": 1000 * r.seconds,
                    }
                    for r in results.values()
                },
            }
        if json:
            self.stdout.write(_json(report))
            return
        k = recommend_eval.K
        self.stdout.write(f"CPU capability: {report['cpu']}")
        self.stdout.write(
            f"{'set':<8} {'system':<10} {f'recall@{k}':>10} {f'nDCG@{k}':>8} {'ms/query':>9} "
            f"{'nDCG / sanity':>14}"
        )
        for name, figures in by_set.items():
            sanity = figures["figures"].get("sanity", {}).get(f"nDCG@{k}")
            for system, values in figures["figures"].items():
                ratio = f"{values[f'nDCG@{k}'] / sanity:.2f}x" if sanity else ""
                self.stdout.write(
                    f"{name:<8} {system:<10} {values[f'recall@{k}']:>10.4f} {values[f'nDCG@{k}']:>8.4f} "
                    f"{values['ms_per_query']:>9.1f} {ratio:>14}"
                )

    def _baselines(self, folder: Path, dataset: str) -> dict:
        path = folder / "published_baselines.json"
        if not path.exists():
            return {}
        published = json.loads(path.read_text())
        out = {}
        for system, (model, key) in BASELINE_KEYS.items():
            value = published.get(model, {}).get(key, {}).get(dataset)
            if value is not None:
                out[system] = (value, f"{model}, {key.replace('_', ' ')}, test split")
        return out


def _json(value) -> str:
    return json.dumps(value, indent=2)
