"""The worker's periodic jobs, registered in one place: the `register(...)` calls at the end of this file.

A job is a plain function in the app that owns the work:

    def some_job(*, now: datetime, should_stop: Callable[[], bool], write: Callable[[str], None]) -> str

It does its work (asking should_stop() between units of work, writing progress lines with write()),
returns a one-line summary, and raises on failure. It must be safe to run again, and must not hold the
database's write lock while it computes or waits on the network. Its schedule is a function giving the
next run after a time (`Every(setting)`: every N seconds, N a setting), counted from the end of a run.
ops.runner claims, runs and records jobs; the schedule itself lives in the database (ops.models.Job).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from papertide.catalog.github import sync_github
from papertide.catalog.harvest import harvest_arxiv, next_harvest_after, next_reconcile_after, reconcile_arxiv
from papertide.community.hf_sync import sync_hf
from papertide.digests.delivery import send_due
from papertide.library.recommend import interests_job
from papertide.search.atlas import map_job
from papertide.search.embedding import coverage, display_text_job, embedding_job
from papertide.search.keyword_pg import term_stats_job
from papertide.search.progress import duration

from .housekeeping import housekeeping_job

JobFunction = Callable[..., str]
Schedule = Callable[[datetime], datetime]


class Every:
    """Every N seconds, N read from a setting at each use (so a test's settings override applies)."""

    def __init__(self, setting: str, unit: float = 1.0):
        self.setting, self.unit = setting, unit  # unit: seconds in one of the setting's (60: minutes)

    @property
    def seconds(self) -> float:
        return float(getattr(settings, self.setting)) * self.unit

    def __call__(self, after: datetime) -> datetime:
        return after + timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        return f"every {duration(self.seconds)}"


class UntilDone(Every):
    """Every N seconds while there is nothing to do; due again at once while work is left, so that a long
    backlog is worked through in bounded runs with the other due jobs (longer overdue) taking turns."""

    def __init__(self, setting: str, work_left: Callable[[], bool]):
        super().__init__(setting)
        self.work_left = work_left

    def __call__(self, after: datetime) -> datetime:
        return after if self.work_left() else super().__call__(after)

    def __str__(self) -> str:
        return f"{super().__str__()}, at once while work is left"


def embedding_left() -> bool:
    embedded, papers = coverage()
    return embedded < papers


@dataclass(frozen=True)
class Registered:
    name: str
    run: JobFunction
    schedule: Schedule
    description: str

    @property
    def schedule_text(self) -> str:
        """How the table shows the schedule: its str() when it has one of its own, else its docstring."""
        if type(self.schedule).__str__ is not object.__str__:
            return str(self.schedule)
        doc = (getattr(self.schedule, "__doc__", None) or "").strip()
        return doc.splitlines()[0] if doc else getattr(self.schedule, "__name__", "custom")


JOBS: dict[str, Registered] = {}


def register(name: str, run: JobFunction, schedule: Schedule, description: str) -> None:
    JOBS[name] = Registered(name, run, schedule, description)


def send_digests(*, now: datetime, should_stop: Callable[[], bool], write: Callable[[str], None]) -> str:
    """digests.delivery.send_due for the worker: plan the outbox, send what is due."""
    return f"digests: {send_due(now=now, should_stop=should_stop)}"


# --- the registry: one call per job, run in this order when several are due at once --------------------
register("arxiv", harvest_arxiv, next_harvest_after, "harvest the new arXiv papers after each announcement")
register(
    "arxiv-reconcile",
    reconcile_arxiv,
    next_reconcile_after,
    "re-read arXiv's last PAPERTIDE_ARXIV_RECONCILE_DAYS days for late and replaced papers",
)
register(
    "hf-sync",
    sync_hf,
    Every("PAPERTIDE_HF_SYNC_MINUTES", unit=60),
    "read today's and yesterday's Hugging Face daily papers: new papers, upvotes, links",
)
register(
    "github",
    sync_github,
    Every("PAPERTIDE_GITHUB_INTERVAL"),
    "read the stars of the GitHub repositories papers link to (conditional requests, within the quota)",
)
register(
    "embedding",
    embedding_job,
    UntilDone("PAPERTIDE_JOB_EMBEDDING_SECONDS", embedding_left),
    "embed papers without a vector of the configured model, for up to PAPERTIDE_EMBEDDING_RUN_SECONDS a run",
)
register(
    "display-text",
    display_text_job,
    Every("PAPERTIDE_JOB_DISPLAY_TEXT_SECONDS"),
    "fill the cleaned title and abstract of papers that lack them",
)
register(
    "keyword-stats",
    term_stats_job,
    Every("PAPERTIDE_JOB_KEYWORD_STATS_SECONDS"),
    "PostgreSQL: count how many papers each common word is in (SQLite's index keeps its own counts)",
)
register(
    "interests",
    interests_job,
    Every("PAPERTIDE_JOB_INTERESTS_SECONDS"),
    "train the readers' interests whose papers or ratings changed (ratings also train at once)",
)
register(
    "map",
    map_job,
    Every("PAPERTIDE_JOB_MAP_SECONDS"),
    "lay out the map of the embedded papers (UMAP) when it has grown by PAPERTIDE_MAP_REFIT_GROWTH, else "
    "place the new papers near their neighbours",
)
register("digests", send_digests, Every("PAPERTIDE_JOB_DIGESTS_SECONDS"), "send the digests that are due")
register(
    "housekeeping",
    housekeeping_job,
    Every("PAPERTIDE_JOB_HOUSEKEEPING_SECONDS"),
    "prune refilled rate-limit buckets, expired sessions, old worker heartbeats and dead embedding claims",
)
