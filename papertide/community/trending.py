"""Trending: recent upvotes decayed by age, plus a bonus for available code.

    score = (votes + code bonus) / (1 + age in days) ** gravity

votes: upvotes cast here plus those imported from Hugging Face; code bonus: PAPERTIDE_TRENDING_CODE_BONUS
when the paper links to code (GitHub, another code host or Hugging Face), else 0; age: days since the paper
entered the daily list; gravity: PAPERTIDE_TRENDING_GRAVITY. Papers of the last PAPERTIDE_TRENDING_DAYS
days take part. Every number is shown on the trending page, so each position can be checked by hand.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Sum
from django.utils import timezone

from papertide.catalog.models import CodeLink

from .models import DailyEntry, Vote

CODE_KINDS = CodeLink.CODE_KINDS


def age_days(day, now: datetime) -> float:
    """Days since the start of the day a paper entered the daily list."""
    return max((now - datetime.combine(day, time.min, tzinfo=now.tzinfo)).total_seconds() / 86400, 0.0)


def code_bonus(has_code: bool) -> float:
    return settings.PAPERTIDE_TRENDING_CODE_BONUS if has_code else 0.0


def score(votes: int, bonus: float, age: float, gravity: float) -> float:
    return (votes + bonus) / (1 + age) ** gravity


@dataclass
class Trend:
    entry: DailyEntry
    local_votes: int
    imported_votes: int
    code_bonus: float
    age_days: float
    gravity: float

    @property
    def paper(self):
        return self.entry.paper

    @property
    def votes(self) -> int:
        return self.local_votes + self.imported_votes

    @property
    def score(self) -> float:
        return score(self.votes, self.code_bonus, self.age_days, self.gravity)


_cache: dict = {"key": None, "at": 0.0, "ranked": []}
CACHE_SECONDS = 10.0


def _state() -> tuple:
    """What the ranking depends on besides the clock: any vote, entry or code link added or removed."""
    return (
        tuple(Vote.objects.aggregate(n=Count("id"), last=Max("id")).values()),
        tuple(
            DailyEntry.objects.aggregate(n=Count("id"), last=Max("id"), up=Sum("imported_upvotes")).values()
        ),
        CodeLink.objects.count(),
    )


def _scores(now: datetime) -> list[tuple[float, int, str, int, int, int, float, float]]:
    """(score, votes, arxiv id, entry id, local votes, imported, code bonus, age) of every paper in the
    window, best first: computed from plain rows, since building 753 model objects cost 30 ms a page."""
    since = (now - timedelta(days=settings.PAPERTIDE_TRENDING_DAYS)).date()
    has_code = CodeLink.objects.filter(paper=OuterRef("paper"), kind__in=CODE_KINDS)
    rows = (
        DailyEntry.objects.filter(day__gte=since, day__lte=now.date())
        .annotate(local_votes=Count("paper__votes"), has_code=Exists(has_code))
        .values_list(
            "id", "paper_id", "paper__arxiv_id", "day", "imported_upvotes", "local_votes", "has_code"
        )
    )
    gravity = settings.PAPERTIDE_TRENDING_GRAVITY
    best: dict[int, tuple] = {}
    for entry_id, paper_id, arxiv_id, day, imported, local, coded in rows:
        age, code = age_days(day, now), code_bonus(coded)
        value = score(local + imported, code, age, gravity)
        row = (value, local + imported, arxiv_id, entry_id, local, imported, code, age)
        if paper_id not in best or value > best[paper_id][0]:
            best[paper_id] = row
    return sorted(best.values(), key=lambda r: (-r[0], -r[1], r[2]))


def trending(now: datetime | None = None, limit: int = 50) -> list[Trend]:
    """The top papers with their breakdowns. The ranking is kept per process for CACHE_SECONDS while no
    vote, entry or code link changes: a new vote shows at once, the clock's decay within seconds."""
    now = now or timezone.now()
    key = (
        _state(),
        settings.PAPERTIDE_TRENDING_DAYS,
        settings.PAPERTIDE_TRENDING_GRAVITY,
        settings.PAPERTIDE_TRENDING_CODE_BONUS,
        now.date(),
    )
    fresh = _cache["key"] == key and 0 <= (now.timestamp() - _cache["at"]) < CACHE_SECONDS
    if not fresh:
        _cache.update(key=key, at=now.timestamp(), ranked=_scores(now))
    top = _cache["ranked"][:limit]
    entries = DailyEntry.objects.select_related("paper", "submitted_by").in_bulk([r[3] for r in top])
    gravity = settings.PAPERTIDE_TRENDING_GRAVITY
    trends = []
    for _, _, _, entry_id, local, imported, code, age in top:
        if entry_id in entries:
            entries[entry_id].local_votes = local  # as the daily list's entries have it
            trends.append(Trend(entries[entry_id], local, imported, code, age, gravity))
    return trends
