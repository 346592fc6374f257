"""papertide eval beir DIR: nDCG@10, Recall@100 and MRR@10 of bm25, dense and hybrid on a BEIR folder."""

import json
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from papertide.search.beir import BeirError, Evaluation, load
from papertide.search.calibration import choice
from papertide.search.encoder import CANDIDATES, make_onnx_files

SYSTEMS = ("bm25", "dense", "rrf", "hybrid")
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

    def handle(self, *args, kind, folder, split, systems, fp32, encoder, json: bool, **options):
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
