"""papertide encoders: which encoder embeds papers and which encodes queries, with the figures behind it."""

from django.core.management.base import BaseCommand, CommandError

from papertide.search import calibration
from papertide.search.encoder import CANDIDATES, model_name


class Command(BaseCommand):
    help = (
        "Show the encoders chosen for documents and queries on this machine and the calibration's figures; "
        "--calibrate measures again on the catalog's papers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--calibrate",
            action="store_true",
            help="measure every candidate again (10-30 s) and store the choice",
        )

    def handle(self, *args, calibrate, **options):
        if calibrate:
            if calibration.ensure(self.stdout.write, force=True) is None:
                raise CommandError(
                    f"calibration needs {calibration.CALIBRATION_PAPERS} papers with an abstract in the "
                    "catalog: import some first (papertide ingest)"
                )
        result = calibration.current()
        self.stdout.write(f"model: {model_name()}")
        for role in ("documents", "queries"):
            configured = calibration.setting(role)
            if configured != "auto":
                why = f"set by PAPERTIDE_{'DOCUMENT' if role == 'documents' else 'QUERY'}_ENCODER"
            elif result:
                why = "measured fastest on this machine"
            else:
                why = "the default until a calibration is stored"
            self.stdout.write(f"{role}: {calibration.choice(role)} ({why})")
        stored = calibration.stored()
        if result is None:
            if stored:
                self.stdout.write(
                    "a calibration is stored, made on another CPU or other versions: the worker or "
                    "`papertide embed` makes a new one, or run `papertide encoders --calibrate`"
                )
            else:
                self.stdout.write(
                    "no calibration yet: the worker or `papertide embed` makes one once the catalog has "
                    f"{calibration.CALIBRATION_PAPERS} papers (or run `papertide encoders --calibrate`)"
                )
            return
        self.stdout.write(
            f"calibrated {result['calibrated_at']} in {result['seconds']} s on {result['abstracts']} "
            f"abstracts and {result['queries_measured']} titles; CPU {result['key']['cpu'] or '?'}, "
            f"torch capability {result['capability']}, native bf16 {'yes' if result['native_bf16'] else 'no'}"
        )
        self.stdout.write(
            f"{'candidate':<10} {'abstracts/CPU-s':>15} {'vs fp32':>8} {'min cosine':>10} "
            f"{'query p50 ms':>12} {'min cosine':>10}"
        )
        figures = result["figures"]
        base = figures.get("fp32", {}).get("documents_per_s")
        for candidate in CANDIDATES:
            entry = figures.get(candidate)
            if entry is None:
                self.stdout.write(f"{candidate:<10} not supported by this CPU")
                continue
            if "error" in entry:
                self.stdout.write(f"{candidate:<10} failed: {entry['error']}")
                continue
            rate = entry.get("documents_per_s")
            documents = (
                f"{rate:>15.1f} {rate / base:>7.2f}x {entry['min_cosine']:>10.4f}"
                if rate and base
                else f"{'(stopped)':>15} {'':>8} {'':>10}"
            )
            queries = f"{entry['query_p50_ms']:>12.2f} {entry['query_min_cosine']:>10.4f}"
            self.stdout.write(f"{candidate:<10} {documents} {queries}")
        self.stdout.write(
            f"agreement: cosine to fp32 at least {calibration.AGREEMENT} on every abstract (documents) and "
            "every title (queries); speed in CPU time on one thread; (stopped): slower than the chosen one "
            "before the last abstract"
        )
