"""papertide ingest arxiv|oai|arxiv-daily|arxiv-reconcile|snapshot|hf-daily|hf-api|startup: bring papers
into the catalog."""

import argparse
import sys
from datetime import UTC, date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from papertide.catalog import harvest
from papertide.catalog.harvest import oai_key, resumable_run
from papertide.catalog.ids import InvalidArxivId, parse_arxiv_id
from papertide.catalog.models import IngestRun, Paper
from papertide.catalog.records import SourceError
from papertide.catalog.services import IngestStats, ingest
from papertide.catalog.sources.arxiv_api import ArxivAPI, last_days
from papertide.catalog.sources.hf_daily import (
    HuggingFaceDaily,
    days_back,
    is_captures,
    read_hf_captures,
    read_hf_daily,
)
from papertide.catalog.sources.http import PoliteClient
from papertide.catalog.sources.oai_pmh import OAIHarvester, harvest_params
from papertide.catalog.sources.snapshot import read_snapshot
from papertide.community.hf_sync import sync_days

# The most days one `ingest hf-api` reads (one request each): a typo in a year should not send thousands.
MAX_HF_DAYS = 1000


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        # argparse turns this into a usage error naming the option (a CommandError here left a traceback).
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Import papers from arXiv's API, OAI-PMH, snapshot files or Hugging Face daily papers."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")

        api = sub.add_parser("arxiv", help="the arXiv API: ids, or categories and a date window")
        api.add_argument("ids", nargs="*", help="arXiv ids or URLs to look up")
        api.add_argument("--categories", nargs="+", help="default: PAPERTIDE_CATEGORIES")
        api.add_argument("--days", type=int, help="the last N days (default: PAPERTIDE_IMPORT_DAYS)")
        api.add_argument("--from", dest="since", type=_day, help="first day, YYYY-MM-DD")
        api.add_argument("--until", type=_day, help="last day, YYYY-MM-DD (default: today)")
        api.add_argument("--query", help="a raw arXiv search_query instead of categories")
        api.add_argument("--limit", type=int, help="at most this many papers")

        oai = sub.add_parser("oai", help="an OAI-PMH ListRecords harvest (resumes an interrupted one)")
        oai.add_argument("--set", dest="set_spec", help="an OAI set, e.g. cs or physics:hep-th")
        oai.add_argument("--from", dest="since", type=_day, help="first datestamp, YYYY-MM-DD")
        oai.add_argument("--until", type=_day, help="last datestamp, YYYY-MM-DD")
        oai.add_argument("--restart", action="store_true", help="ignore an interrupted harvest, start over")

        sub.add_parser(
            "arxiv-daily",
            help="the worker's daily harvest, now: new papers of PAPERTIDE_CATEGORIES since the last one",
        )
        sub.add_parser(
            "arxiv-reconcile",
            help="the weekly reconciliation, now: the last PAPERTIDE_ARXIV_RECONCILE_DAYS days again",
        )

        snap = sub.add_parser("snapshot", help="Kaggle snapshot or listing JSONL files, gzip or plain")
        snap.add_argument("files", nargs="+")

        hf = sub.add_parser(
            "hf-daily", help="Hugging Face daily papers files: API response or scrape JSON, or captures JSONL"
        )
        hf.add_argument("files", nargs="+")

        hub = sub.add_parser("hf-api", help="Hugging Face daily papers API (default: today and yesterday)")
        hub.add_argument("--date", dest="day", type=_day, help="one day, YYYY-MM-DD")
        hub.add_argument("--from", dest="since", type=_day, help="first day, YYYY-MM-DD")
        hub.add_argument("--until", type=_day, help="last day, YYYY-MM-DD (default: today, UTC)")

        sub.add_parser("startup", help="what `make run` imports: PAPERTIDE_IMPORT, or recent arXiv papers")

    def handle(self, *args, source, **options):
        handler = getattr(self, "handle_" + source.replace("-", "_"))
        handler(**options)

    # --- sources ---------------------------------------------------------------------------------------

    def handle_arxiv(self, ids, categories, days, since, until, query, limit, **_):
        api = ArxivAPI()
        if ids:
            try:
                parsed = [str(parse_arxiv_id(i)) for i in ids]
            except InvalidArxivId as exc:
                raise CommandError(str(exc)) from None
            self.run(api.lookup(parsed), "arxiv-api", "ids=" + ",".join(parsed))
            return
        if query:
            self.run(api.search(query, limit=limit), "arxiv-api", f"query={query}")
            return
        categories = categories or settings.PAPERTIDE_CATEGORIES
        if since is None:
            since, default_until = last_days(days or settings.PAPERTIDE_IMPORT_DAYS)
            until = until or default_until
        until = until or date.today()
        if since > until:
            raise CommandError(f"--from {since} is after --until {until}")
        params = f"categories={' '.join(categories)} from={since} until={until}"
        self.run(api.recent(categories, since, until, limit=limit), "arxiv-api", params)

    def handle_oai(self, set_spec, since, until, restart, **_):
        params = harvest_params(set_spec, since, until)
        key = oai_key(params)
        # A failed run, or one killed mid-way (still "running"), that saved a token can be continued.
        run = resumable_run(key)
        if run and not restart:
            self.stderr.write(
                f"resuming the harvest of {run.started_at:%Y-%m-%d %H:%M} at record {run.cursor:,}"
            )
            run.state = IngestRun.RUNNING
        else:
            run = None
        stream = OAIHarvester().harvest(
            params, resume_token=run.resume_token if run else "", cursor=run.cursor if run else 0
        )
        self.run(stream, "oai-pmh", key, run=run)

    def handle_arxiv_daily(self, **_):
        self.job(harvest.harvest_arxiv)

    def handle_arxiv_reconcile(self, **_):
        self.job(harvest.reconcile_arxiv)

    def job(self, function) -> None:
        try:
            summary = function(now=timezone.now(), should_stop=lambda: False, write=self.stderr.write)
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(summary)

    def handle_snapshot(self, files, **_):
        for path in files:
            self._check_file(path)
            self.run(read_snapshot(path), "snapshot", path)

    def handle_hf_daily(self, files, **_):
        for path in files:
            self._check_file(path)
            self.run(read_hf_captures(path) if is_captures(path) else read_hf_daily(path), "hf-daily", path)

    def handle_hf_api(self, day, since, until, **_):
        today = timezone.now().astimezone(UTC).date()  # Hugging Face dates its lists in UTC
        if day and (since or until):
            raise CommandError("give --date, or --from and --until, not both")
        if day:
            days = [day]
        elif since or until:
            until = until or today
            since = since or until
            if since > until:
                raise CommandError(f"--from {since} is after --until {until}")
            count = (until - since).days + 1
            if count > MAX_HF_DAYS:
                raise CommandError(f"{count:,} days asked; at most {MAX_HF_DAYS:,} at once")
            days = [since + timedelta(days=n) for n in range(count)]
        else:
            days = days_back(today, 2)
        self.stderr.write(f"importing Hugging Face daily papers of {len(days)} day{'s' * (len(days) > 1)}")
        results = sync_days(days, timezone.now(), write=self.stdout.write)
        failed = [r for r in results if r.stats.error]
        if failed:
            lines = "; ".join(r.line for r in failed)
            raise CommandError(f"{len(failed)} of {len(results)} days failed: {lines}")

    def handle_startup(self, **_):
        paths = settings.PAPERTIDE_IMPORT.split()
        if paths:
            for path in paths:
                self._check_file(path)
            for path in paths:
                self.run(self._reader(path)(path), "startup", path, fail=False)
            return
        since, until = last_days(settings.PAPERTIDE_IMPORT_DAYS)
        categories = settings.PAPERTIDE_CATEGORIES
        # At start-up a failed request is not retried: an offline machine should start serving at once.
        stream = ArxivAPI(client=PoliteClient(retries=0)).recent(categories, since, until)
        params = f"categories={' '.join(categories)} from={since}"
        stats = self.run(stream, "startup", params, fail=False, quiet_failure=True)
        if stats.error:
            have = Paper.objects.count()
            self.stdout.write(
                f"arXiv cannot be reached ({stats.error_short}); serving the {have:,} papers already in "
                "the catalog. Set PAPERTIDE_IMPORT to a file to import it instead."
            )
        self._startup_hf()

    def _startup_hf(self) -> None:
        """The last days of Hugging Face's daily list, newest first, so the daily list and trending have
        something at once. Offline, one line says so: the first failure ends it, without retries."""
        now = timezone.now()
        api = HuggingFaceDaily(client=PoliteClient(delay=settings.PAPERTIDE_HF_DELAY, retries=0))
        self.stderr.write(f"importing the last {settings.PAPERTIDE_HF_IMPORT_DAYS} days of Hugging Face")
        for day in days_back(now.astimezone(UTC).date(), settings.PAPERTIDE_HF_IMPORT_DAYS):
            stats, _ = ingest(api.day(day, now), "startup", f"hf-api date={day}")
            if stats.error:
                self.stdout.write(f"Hugging Face cannot be reached ({stats.error_short}); its list waits.")
                return
            self.stdout.write(f"Hugging Face {day}: {stats.summary_lines()[0]}")

    @staticmethod
    def _reader(path: str):
        """The reader a file's format needs: Hugging Face JSON, Hugging Face captures, or arXiv JSONL."""
        if path.removesuffix(".gz").endswith(".json"):
            return read_hf_daily
        return read_hf_captures if is_captures(path) else read_snapshot

    # --- shared ----------------------------------------------------------------------------------------

    def _check_file(self, path: str) -> None:
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None

    def run(
        self,
        stream,
        source: str,
        params: str,
        run: IngestRun | None = None,
        fail: bool = True,
        quiet_failure: bool = False,
    ) -> IngestStats:
        self.stderr.write(f"importing from {source}: {params}")
        with tqdm(unit=" records", file=sys.stderr, disable=None, mininterval=0.5, dynamic_ncols=True) as bar:
            stats, run = ingest(
                stream,
                source,
                params,
                run=run,
                batch_size=settings.PAPERTIDE_INGEST_BATCH,
                on_progress=bar.update,
            )
        if not (quiet_failure and stats.error and stats.stored == 0):
            for line in stats.summary_lines():
                self.stdout.write(line)
        if fail and stats.stored == 0 and (stats.error or stats.total_rejected):
            raise CommandError("nothing could be imported" + (f": {stats.error}" if stats.error else ""))
        return stats
