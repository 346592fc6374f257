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
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from papertide.catalog.models import CodeLink

from .models import DailyEntry

CODE_KINDS = ("github", "code", "huggingface")


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
    def divisor(self) -> float:
        return (1 + self.age_days) ** self.gravity

    @property
    def score(self) -> float:
        return (self.votes + self.code_bonus) / self.divisor


def trending(now: datetime | None = None, limit: int = 50) -> list[Trend]:
    now = now or timezone.now()
    since = (now - timedelta(days=settings.PAPERTIDE_TRENDING_DAYS)).date()
    has_code = CodeLink.objects.filter(paper=OuterRef("paper"), kind__in=CODE_KINDS)
    entries = (
        DailyEntry.objects.filter(day__gte=since, day__lte=now.date())
        .select_related("paper", "submitted_by")
        .annotate(local_votes=Count("paper__votes"), has_code=Exists(has_code))
    )
    best: dict[int, Trend] = {}
    for entry in entries:
        entered = datetime.combine(entry.day, time.min, tzinfo=now.tzinfo)
        trend = Trend(
            entry=entry,
            local_votes=entry.local_votes,
            imported_votes=entry.imported_upvotes,
            code_bonus=settings.PAPERTIDE_TRENDING_CODE_BONUS if entry.has_code else 0.0,
            age_days=max((now - entered).total_seconds() / 86400, 0.0),
            gravity=settings.PAPERTIDE_TRENDING_GRAVITY,
        )
        kept = best.get(entry.paper_id)
        if kept is None or trend.score > kept.score:
            best[entry.paper_id] = trend
    ranked = sorted(best.values(), key=lambda t: (-t.score, -t.votes, t.paper.arxiv_id))
    return ranked[:limit]
